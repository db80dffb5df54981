"""Every scheduled run with its outcome, in the state database (``scheduler_runs``)."""

from __future__ import annotations

import os
import re
import socket
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from rastup_data.state import StateDB

__all__ = ["RunRecord", "SchedulerRuns", "detail_line", "runner_name"]

#: A value written bare in a log line: no spaces, quotes or ``=`` that would blur its end.
_WORD = re.compile(r"[^\s\"'=]+")

#: Statuses of a finished run that count as done (an interrupted run is retried).
DONE = ("succeeded", "failed", "skipped")


def detail_line(detail: Mapping[str, Any]) -> str:
    """A run's detail as one ``key=value`` line for logs: a value that is a plain word as
    is, any other (text with spaces, lists, nested objects) as compact JSON."""
    return " ".join(f"{key}={_logged(value)}" for key, value in detail.items())


def _logged(value: Any) -> str:
    if isinstance(value, str) and _WORD.fullmatch(value):
        return value
    return orjson.dumps(value, default=str).decode()


def runner_name() -> str:
    """``host:pid`` of this process."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True, slots=True)
class RunRecord:
    run_id: str
    job: str
    due_at: datetime
    started_at: datetime
    finished_at: datetime | None
    status: str
    detail: dict[str, Any]
    runner: str

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "job": self.job,
            "due_at": self.due_at.isoformat(),
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "seconds": (self.finished_at - self.started_at).total_seconds()
            if self.finished_at
            else None,
            "status": self.status,
            "detail": self.detail,
            "runner": self.runner,
        }


_COLUMNS = "run_id, job, due_at, started_at, finished_at, status, detail, runner"


def _record(row: Any) -> RunRecord:
    try:
        detail = orjson.loads(row[6]) if row[6] else {}
    except orjson.JSONDecodeError:
        detail = {"text": row[6]}
    return RunRecord(
        run_id=row[0],
        job=row[1],
        due_at=datetime.fromisoformat(row[2]),
        started_at=datetime.fromisoformat(row[3]),
        finished_at=datetime.fromisoformat(row[4]) if row[4] else None,
        status=row[5],
        detail=detail if isinstance(detail, dict) else {"value": detail},
        runner=row[7],
    )


class SchedulerRuns:
    """Start, finish and read runs."""

    def __init__(self, db: StateDB) -> None:
        self.db = db

    def start(self, job: str, due_at: datetime) -> str:
        run_id = uuid.uuid4().hex
        now = datetime.now(UTC).isoformat()
        self.db.execute(
            f"INSERT INTO scheduler_runs ({_COLUMNS}) "
            "VALUES (?, ?, ?, ?, NULL, 'running', '{}', ?)",
            (run_id, job, due_at.astimezone(UTC).isoformat(), now, runner_name()),
        )
        return run_id

    def finish(self, run_id: str, status: str, detail: dict[str, Any]) -> None:
        self.db.execute(
            "UPDATE scheduler_runs SET finished_at = ?, status = ?, detail = ? WHERE run_id = ?",
            (datetime.now(UTC).isoformat(), status, orjson.dumps(detail).decode(), run_id),
        )

    def done(self, job: str, due_at: datetime) -> bool:
        """Whether the slot ``due_at`` of ``job`` has a run that finished (or is running)."""
        row = self.db.fetchone(
            "SELECT 1 FROM scheduler_runs WHERE job = ? AND due_at = ? AND status IN "
            "('running', 'succeeded', 'failed', 'skipped') LIMIT 1",
            (job, due_at.astimezone(UTC).isoformat()),
        )
        return row is not None

    def last(self, job: str) -> RunRecord | None:
        row = self.db.fetchone(
            f"SELECT {_COLUMNS} FROM scheduler_runs WHERE job = ? ORDER BY due_at DESC, "
            "started_at DESC LIMIT 1",
            (job,),
        )
        return _record(row) if row else None

    def recent(self, job: str | None = None, limit: int = 50) -> list[RunRecord]:
        where, params = ("WHERE job = ?", (job,)) if job else ("", ())
        rows = self.db.fetchall(
            f"SELECT {_COLUMNS} FROM scheduler_runs {where} ORDER BY started_at DESC "
            f"LIMIT {int(limit)}",
            params,
        )
        return [_record(row) for row in rows]

    def interrupt_stale(self) -> int:
        """Mark runs left ``running`` by a runner that is gone (the lock holder calls this)."""
        reason = orjson.dumps({"reason": "the runner stopped before the run finished"})
        return self.db.execute(
            "UPDATE scheduler_runs SET status = 'interrupted', finished_at = ?, detail = ? "
            "WHERE status = 'running'",
            (datetime.now(UTC).isoformat(), reason.decode()),
        )

    def prune(self, job: str, older_than: timedelta) -> int:
        cutoff = (datetime.now(UTC) - older_than).isoformat()
        return self.db.execute(
            "DELETE FROM scheduler_runs WHERE job = ? AND started_at < ?", (job, cutoff)
        )
