"""The scheduler: one runner per lake runs each job of the profile's schedule when due.

The runner holds the lake's ``scheduler`` lock (:meth:`Storage.try_lock`) for as long as it
runs; a second ``serve`` or ``rastup-data scheduler`` on the same lake waits on standby and
takes over when the first stops. Heavy jobs (builds, lifecycle, compaction) run one at a
time in child processes; light ones (alert evaluation, guardrails) in a lane of their own,
so alerts keep being evaluated while a build runs. Every run is recorded
(``scheduler_runs``); operators pause jobs, or degrade them to daily-only, through
:class:`~rastup_data.state.OpsControls`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from rastup_data.environments import ScheduleEntry
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.scheduler.jobs import (
    JOBS,
    MAX_DAILY_RUNS,
    JobContext,
    JobKind,
    JobOutcome,
    RunControl,
)
from rastup_data.scheduler.records import SchedulerRuns, detail_line, runner_name
from rastup_data.scheduler.timing import due_interval, latest_slot, next_slot
from rastup_data.state import SCHEDULER_SINCE, OpsControls

__all__ = ["HEAVY", "Scheduler", "check_schedule", "daily_only_control", "paused_control"]

log = logging.getLogger(__name__)

#: ``jobs.paused.heavy`` pauses every heavy job at once.
HEAVY = "heavy"
_POLL_S = 1.0
_STANDBY_S = 5.0
_HEARTBEAT_S = 30.0


def paused_control(job: str) -> str:
    return f"jobs.paused.{job}"


def daily_only_control(job: str) -> str:
    return f"scheduler.daily_only.{job}"


def check_schedule(schedule: Mapping[str, ScheduleEntry], jobs: Mapping[str, JobKind]) -> None:
    """CONFIG_INVALID for a job nobody knows, or more runs a day than the job may have."""
    for name, entry in schedule.items():
        if name not in jobs:
            raise RastupError(
                ErrorCode.CONFIG_INVALID,
                f"the profile schedules {name!r}, which is not a job. To fix this, use one of "
                f"{', '.join(sorted(jobs))} under schedule.",
            )
        cap = MAX_DAILY_RUNS.get(name)
        daily = len(entry.at) if entry.at else 86400 / (entry.every_s or 86400)
        if cap is not None and daily > cap:
            raise RastupError(
                ErrorCode.CONFIG_INVALID,
                f"schedule.{name} runs {daily:g} times a day; at most {cap} are allowed. To "
                "fix this, list fewer times.",
            )


class Scheduler:
    """Runs the profile's schedule against one lake until stopped."""

    def __init__(self, context: JobContext, *, jobs: Mapping[str, JobKind] = JOBS) -> None:
        check_schedule(context.profile.schedule, jobs)
        self.context = context
        self.jobs = jobs
        self.schedule = context.profile.schedule
        self.runs = SchedulerRuns(context.state)
        self.controls = OpsControls(context.state)
        self.holding = False
        self._stop = threading.Event()
        self._lanes: dict[bool, threading.Thread | None] = {True: None, False: None}
        self._thread: threading.Thread | None = None
        self._since: datetime | None = None
        self._heartbeat = 0.0
        self._paused: set[str] = set()

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run_forever, name="scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        for lane in self._lanes.values():
            if lane is not None:
                lane.join()
        if self._thread is not None:
            self._thread.join()

    def run_forever(self) -> None:
        """Wait for the lake's scheduler lock, then poll until stopped."""
        store = self.context.layout.lake
        while not self._stop.is_set():
            with store.try_lock("scheduler") as held:
                if held:
                    self._hold()
                    return
            self._stop.wait(_STANDBY_S)

    def prepare(self) -> None:
        """Take over the lake's schedule (the lock is held): close the runs a stopped runner
        left open, prune old alert runs, note the first start."""
        stale = self.runs.interrupt_stale()
        if stale:
            log.warning("%d run(s) were interrupted by the previous runner's stop", stale)
        self.runs.prune("alerts", timedelta(days=7))
        self._since = self._first_start()

    def _hold(self) -> None:
        self.holding = True
        self.prepare()
        log.info("scheduler running on %s (since %s)", self.context.layout.root, self._since)
        try:
            while not self._stop.is_set():
                try:
                    self.poll(datetime.now(UTC))
                except Exception:  # the database may be busy for a moment: poll again
                    log.exception("scheduler poll failed")
                self._stop.wait(_POLL_S)
        finally:
            self.holding = False

    def _first_start(self) -> datetime:
        since = self.controls.scheduler_since()
        if since is None:
            since = datetime.now(UTC)
            self.controls.set(
                SCHEDULER_SINCE, since.isoformat(), by=runner_name(), reason="first start"
            )
        return since

    # -- one poll ------------------------------------------------------------------------

    def poll(self, now: datetime) -> list[str]:
        """Start every job that is due and whose lane is free; returns their names."""
        controls = {c.name: c.value for c in self.controls.with_prefix("")}
        self._paused = {
            name.removeprefix("jobs.paused.")
            for name in controls
            if name.startswith("jobs.paused.")
        }
        if time.monotonic() - self._heartbeat > _HEARTBEAT_S:
            self._heartbeat = time.monotonic()
            self.controls.set("scheduler.heartbeat", now.isoformat(), by=runner_name())
        started = []
        for name, entry in self.schedule.items():
            job = self.jobs[name]
            lane = self._lanes[job.heavy]
            if (lane is not None and lane.is_alive()) or self.is_paused(name):
                continue
            due = self.due(name, entry, now, daily_only=daily_only_control(name) in controls)
            if due is not None:
                self._dispatch(job, due)
                started.append(name)
        return started

    def is_paused(self, name: str) -> bool:
        return name in self._paused or (self.jobs[name].heavy and HEAVY in self._paused)

    def due(
        self, name: str, entry: ScheduleEntry, now: datetime, *, daily_only: bool = False
    ) -> datetime | None:
        """The slot of ``name`` to run now, or None."""
        since = self._since or now
        if entry.every_s is not None:
            last = self.runs.last(name)
            return due_interval(
                entry.every_s, now, last_due=last.due_at if last else None, since=since
            )
        slot = latest_slot(entry, self.context.profile.time_zone, now, daily_only=daily_only)
        if slot is None or slot < since or self.runs.done(name, slot):
            return None
        return slot

    def next_due(self, name: str, now: datetime) -> datetime | None:
        entry = self.schedule[name]
        if entry.every_s is not None:
            last = self.runs.last(name)
            start = last.due_at if last else (self._since or now)
            return start + timedelta(seconds=entry.every_s)
        daily = self.controls.get(daily_only_control(name)) is not None
        return next_slot(entry, self.context.profile.time_zone, now, daily_only=daily)

    def _dispatch(self, job: JobKind, due: datetime) -> None:
        thread = threading.Thread(
            target=self.run_job, args=(job, due), name=f"job-{job.name}", daemon=True
        )
        self._lanes[job.heavy] = thread
        thread.start()

    def run_job(self, job: JobKind, due: datetime, *, log_failure: bool = True) -> JobOutcome:
        """Run ``job`` for its slot ``due`` now, recording the run; returns its outcome with
        the detail recorded (the seconds it took included).

        A failure is logged as one ``key=value`` line (after the traceback of a job's bug):
        a scheduled run has nobody else to tell. ``log_failure=False`` leaves the telling to
        the caller (``rastup-data scheduler run`` prints the outcome itself)."""
        run_id = self.runs.start(job.name, due)
        control = RunControl(paused=lambda: self.is_paused(job.name), stopping=self._stop)
        began = time.monotonic()
        try:
            outcome = job.run(self.context, control)
        except RastupError as exc:
            outcome = JobOutcome("failed", {"code": exc.code.value, "message": exc.message})
        except Exception as exc:  # a job's bug must not stop the schedule; the run says what
            if log_failure:
                log.exception("scheduled job %s failed", job.name)
            outcome = JobOutcome("failed", {"error": f"{type(exc).__name__}: {exc}"})
        detail: dict[str, Any] = {**outcome.detail, "seconds": round(time.monotonic() - began, 3)}
        self.runs.finish(run_id, outcome.status, detail)
        if log_failure and outcome.status == "failed":
            log.warning("scheduled job %s failed: %s", job.name, detail_line(detail))
        return JobOutcome(outcome.status, detail)
