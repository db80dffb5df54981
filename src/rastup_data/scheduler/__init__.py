"""The scheduler: the environment's jobs (daily build, lifecycle, Bronze compaction, alert
evaluation, guardrails) run when due, one runner per lake, every run recorded."""

from rastup_data.scheduler.jobs import JOBS as JOBS
from rastup_data.scheduler.runner import Scheduler as Scheduler
from rastup_data.scheduler.service import SchedulerService as SchedulerService

__all__ = ["JOBS", "Scheduler", "SchedulerService"]
