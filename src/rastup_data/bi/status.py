"""``bi status``: each dataset's refresh health, and the extract capacity used."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rastup_data.bi.refresh import RefreshLimits, extract_bytes
from rastup_data.bi.runs import DatasetStatus, RunLog
from rastup_data.bi.schedule import RefreshSchedule
from rastup_data.lake.layout import LakeLayout
from rastup_data.state import StateDB

__all__ = ["BiStatus", "bi_status"]


@dataclass(frozen=True, slots=True)
class BiStatus:
    """Every scheduled dataset's status plus the capacity used and configured."""

    datasets: tuple[DatasetStatus, ...]
    schedule: RefreshSchedule
    capacity_used: int
    capacity_bytes: int
    alert_after_failures: int

    def alerting(self) -> tuple[str, ...]:
        """Datasets whose failures in a row reached the alarm threshold."""
        return tuple(
            s.dataset for s in self.datasets if s.consecutive_failures >= self.alert_after_failures
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.schedule.mode.value,
            "capacity": {
                "used_bytes": self.capacity_used,
                "configured_bytes": self.capacity_bytes,
                "used_ratio": self.capacity_used / self.capacity_bytes,
            },
            "alerting": list(self.alerting()),
            "datasets": [self._dataset_json(s) for s in self.datasets],
        }

    def _dataset_json(self, status: DatasetStatus) -> dict[str, Any]:
        success = status.last_success
        return {
            "dataset": status.dataset,
            "schedule": [t.strftime("%H:%M") for t in self.schedule.times(status.dataset)],
            "last_success": None if success is None else success.finished_at,
            "duration_ms": None if success is None else round(success.duration_ms, 1),
            "rows": None if success is None else success.rows,
            "bytes": None if success is None else success.bytes,
            "snapshot": None if success is None else success.snapshot,
            "success_ratio_30d": status.success_ratio,
            "runs_30d": status.runs_30d,
            "consecutive_failures": status.consecutive_failures,
            "last_error": None if status.last_run is None else status.last_run.error,
        }


def bi_status(
    layout: LakeLayout,
    schedule: RefreshSchedule,
    state: StateDB,
    limits: RefreshLimits,
    now: datetime,
) -> BiStatus:
    runs = RunLog(state)
    statuses = tuple(runs.status(name, now=now) for name in schedule.names)
    return BiStatus(
        datasets=statuses,
        schedule=schedule,
        capacity_used=extract_bytes(layout),
        capacity_bytes=limits.capacity_bytes,
        alert_after_failures=limits.alert_after_failures,
    )
