"""Refresh runs in the state database, and what ``bi status`` reports from them.

Every refresh attempt of a dataset, scheduled or on demand, is one ``bi_refresh_runs`` row
(``state/sql/0008_bi_refreshes.sql``): ``ok``, ``failed``, or ``skipped`` (nothing was
published yet to refresh from; its ``error`` says so). The success ratio is over the
refreshes attempted in the last 30 days; the consecutive failures since the last success
drive ``BI_REFRESH_FAILED``; skipped runs count in neither.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from rastup_data.state import StateDB

__all__ = ["DatasetStatus", "RefreshRun", "RefreshStatus", "RunLog"]


class RefreshStatus(StrEnum):
    """How one refresh attempt ended (stored as its value)."""

    OK = "ok"
    FAILED = "failed"
    #: Nothing was published yet: there was nothing to refresh from, which is no failure.
    SKIPPED = "skipped"


_COLUMNS = (
    "run_id, dataset, trigger, started_at, finished_at, duration_ms, status, row_count, "
    "bytes, snapshot, error"
)
#: The window of the success ratio.
RATIO_DAYS = 30


@dataclass(frozen=True, slots=True)
class RefreshRun:
    """One refresh attempt of one dataset."""

    dataset: str
    trigger: str
    started_at: str
    finished_at: str
    duration_ms: float
    status: str
    rows: int = 0
    bytes: int = 0
    snapshot: str | None = None
    error: str | None = None
    run_id: str = ""

    @property
    def ok(self) -> bool:
        return self.status == RefreshStatus.OK

    @property
    def failed(self) -> bool:
        return self.status == RefreshStatus.FAILED

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "dataset": self.dataset,
            "trigger": self.trigger,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "duration_ms": round(self.duration_ms, 1),
            "status": self.status,
            "rows": self.rows,
            "bytes": self.bytes,
            "snapshot": self.snapshot,
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class DatasetStatus:
    """A dataset's refresh health, as ``bi status`` prints it."""

    dataset: str
    last_success: RefreshRun | None
    last_run: RefreshRun | None
    runs_30d: int
    successes_30d: int
    consecutive_failures: int

    @property
    def success_ratio(self) -> float | None:
        return None if self.runs_30d == 0 else self.successes_30d / self.runs_30d


class RunLog:
    """The ``bi_refresh_runs`` table."""

    def __init__(self, db: StateDB) -> None:
        self.db = db

    def record(self, run: RefreshRun) -> RefreshRun:
        run_id = run.run_id or uuid.uuid4().hex
        self.db.execute(
            f"INSERT INTO bi_refresh_runs ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                run_id,
                run.dataset,
                run.trigger,
                run.started_at,
                run.finished_at,
                run.duration_ms,
                run.status,
                run.rows,
                run.bytes,
                run.snapshot,
                run.error,
            ),
        )
        return RefreshRun(**{**_fields(run), "run_id": run_id})

    def runs(self, dataset: str, *, since: str | None = None) -> list[RefreshRun]:
        """The dataset's runs, newest first (from ``since``, an ISO time, when given)."""
        where, params = "dataset = ?", [dataset]
        if since is not None:
            where += " AND started_at >= ?"
            params.append(since)
        rows = self.db.fetchall(
            f"SELECT {_COLUMNS} FROM bi_refresh_runs WHERE {where} "
            "ORDER BY started_at DESC, run_id DESC",
            params,
        )
        return [_run(row) for row in rows]

    def status(self, dataset: str, *, now: datetime) -> DatasetStatus:
        since = (now - timedelta(days=RATIO_DAYS)).isoformat()
        recent = [r for r in self.runs(dataset, since=since) if r.status != RefreshStatus.SKIPPED]
        last_success = self._last(dataset, status=RefreshStatus.OK)
        failures = 0
        for run in self.runs(dataset, since=last_success.started_at if last_success else None):
            if run.ok:
                break
            failures += run.failed
        newest = self.runs(dataset)
        return DatasetStatus(
            dataset=dataset,
            last_success=last_success,
            last_run=newest[0] if newest else None,
            runs_30d=len(recent),
            successes_30d=sum(1 for r in recent if r.ok),
            consecutive_failures=failures,
        )

    def last_scheduled(self, dataset: str) -> datetime | None:
        """When the newest scheduled refresh of ``dataset`` started, if any."""
        row = self.db.fetchone(
            "SELECT max(started_at) FROM bi_refresh_runs WHERE dataset = ? AND trigger = ?",
            (dataset, "schedule"),
        )
        return None if row is None or row[0] is None else datetime.fromisoformat(str(row[0]))

    def _last(self, dataset: str, *, status: RefreshStatus) -> RefreshRun | None:
        row = self.db.fetchone(
            f"SELECT {_COLUMNS} FROM bi_refresh_runs WHERE dataset = ? AND status = ? "
            "ORDER BY started_at DESC, run_id DESC LIMIT 1",
            (dataset, status.value),
        )
        return None if row is None else _run(row)


def _fields(run: RefreshRun) -> dict[str, Any]:
    return {name: getattr(run, name) for name in RefreshRun.__slots__}


def _run(row: tuple[Any, ...]) -> RefreshRun:
    run_id, dataset, trigger, started, finished, duration, status, rows, size, snap, error = row
    return RefreshRun(
        dataset=str(dataset),
        trigger=str(trigger),
        started_at=str(started),
        finished_at=str(finished),
        duration_ms=float(duration),
        status=str(status),
        rows=int(rows),
        bytes=int(size),
        snapshot=None if snap is None else str(snap),
        error=None if error is None else str(error),
        run_id=str(run_id),
    )
