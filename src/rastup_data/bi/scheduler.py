"""The BI refresh schedule inside ``serve``: each dataset refreshes at its times of day.

Every minute the thread checks, per dataset, whether its latest scheduled time (UTC) of
today has passed with no scheduled refresh since (from ``bi_refresh_runs``, so a restart
does not refresh twice), and refreshes the datasets that are due. Times missed while
``serve`` was down are caught up by one refresh. The operator controls of the job
``bi_refresh`` apply (``rastup-data scheduler pause|resume|degrade|restore bi_refresh``):
paused, nothing refreshes; degraded, each dataset refreshes only at its first time of the
day, as ``mode: daily`` in the schedule would.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from datetime import UTC, datetime

from rastup_data.bi.refresh import RefreshLimits, RefreshRequest, refresh_datasets
from rastup_data.bi.runs import RefreshStatus, RunLog
from rastup_data.bi.schedule import RefreshMode, RefreshSchedule
from rastup_data.lake.layout import LakeLayout
from rastup_data.ops.metrics import PlatformMetrics
from rastup_data.state import StateDB
from rastup_data.state.controls import OpsControls

__all__ = ["DAILY_ONLY_CONTROL", "JOB", "PAUSED_CONTROL", "BiScheduler"]

log = logging.getLogger(__name__)

_CHECK_S = 60.0
#: The job name the operator controls use for the extract refreshes.
JOB = "bi_refresh"
PAUSED_CONTROL = f"jobs.paused.{JOB}"
DAILY_ONLY_CONTROL = f"scheduler.daily_only.{JOB}"


class BiScheduler:
    """A thread that runs the refresh schedule (start/stop from the collector runtime)."""

    def __init__(
        self,
        layout: LakeLayout,
        schedule: RefreshSchedule,
        state: StateDB,
        limits: RefreshLimits,
        metrics: PlatformMetrics | None = None,
    ) -> None:
        self.layout = layout
        self.schedule = schedule
        self.state = state
        self.limits = limits
        self.metrics = metrics
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if metrics is not None:  # every dataset's series from the start, at 0, not "no data"
            for name in schedule.names:
                for status in RefreshStatus:
                    metrics.bi_refreshes.labels(name, status.value)

    def due(self, now: datetime) -> tuple[str, ...]:
        """The datasets whose scheduled refreshes today are behind at ``now`` (UTC)."""
        controls = OpsControls(self.state)
        if controls.get(PAUSED_CONTROL):
            return ()
        schedule = self.schedule
        if controls.get(DAILY_ONLY_CONTROL):
            schedule = replace(schedule, mode=RefreshMode.DAILY)
        runs = RunLog(self.state)
        return tuple(
            name for name in schedule.names if schedule.due(name, now, runs.last_scheduled(name))
        )

    def run_once(self, now: datetime | None = None) -> int:
        """Refresh what is due; the number of refreshes run."""
        now = now or datetime.now(UTC)
        due = self.due(now)
        if not due:
            return 0
        request = RefreshRequest(datasets=due, trigger="schedule", now=now, limits=self.limits)
        runs = refresh_datasets(self.layout, self.schedule, self.state, request, self.metrics)
        return len(runs)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="bi-refresh", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # keep the schedule alive; each run records its own failure
                log.exception("BI refresh schedule check failed")
            self._stop.wait(_CHECK_S)
