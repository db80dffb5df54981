"""Job kinds: one module per kind, the schedulable jobs by name (a profile's ``schedule``
keys), like the quality checks' registry."""

from __future__ import annotations

from collections.abc import Mapping

from rastup_data.scheduler.jobs.alerts import AlertsJob
from rastup_data.scheduler.jobs.base import JobContext, JobKind, JobOutcome, RunControl
from rastup_data.scheduler.jobs.child import ChildCommandJob
from rastup_data.scheduler.jobs.guardrails import GuardrailsJob

__all__ = [
    "JOBS",
    "MAX_DAILY_RUNS",
    "SERVE_JOBS",
    "AlertsJob",
    "ChildCommandJob",
    "GuardrailsJob",
    "JobContext",
    "JobKind",
    "JobOutcome",
    "RunControl",
]

#: Every job a profile may schedule, by name.
JOBS: Mapping[str, JobKind] = {
    "daily_build": ChildCommandJob("daily_build", ("build",)),
    "lifecycle": ChildCommandJob("lifecycle", ("lake", "lifecycle")),
    "compaction": ChildCommandJob("compaction", ("lake", "compact")),
    "alerts": AlertsJob(),
    "guardrails": GuardrailsJob(),
}

#: Jobs ``serve`` runs on schedules of their own that obey the same operator controls
#: (paused, daily only): the BI extract refreshes (``bi/scheduler.py``).
SERVE_JOBS: tuple[str, ...] = ("bi_refresh",)

#: Jobs with a cap on their runs a day (the seed: no more than 4–6 extract refreshes).
MAX_DAILY_RUNS: Mapping[str, int] = {"extract_refresh": 6}
