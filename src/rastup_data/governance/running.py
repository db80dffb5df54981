"""The queries running through the gate, in every process, and operators' kill requests.

Each gated query that runs longer than a second is registered in the state database
(``running_queries``) until it ends, with the process that runs it (``host:pid``); shorter
ones never touch the database. ``rastup-data queries kill ID`` records a
kill request; the running process's watchdog polls for requests on its own queries twice a
second and interrupts them (``QUERY_KILLED``). Rows of processes that died are pruned when
listed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rastup_data.state import StateDB
from rastup_data.state.runners import runner_alive, this_runner

__all__ = ["QueryListing", "RunningQueries", "RunningQuery"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RunningQuery:
    query_id: str
    env: str
    principal: str
    role: str
    path: str
    sql: str
    started_at: str
    runner: str
    scanned_bytes: int = 0
    kill_requested_at: str | None = None
    kill_requested_by: str | None = None

    def to_json(self) -> dict[str, Any]:
        seconds = (datetime.now(UTC) - datetime.fromisoformat(self.started_at)).total_seconds()
        return {
            "query_id": self.query_id,
            "principal": self.principal,
            "role": self.role,
            "path": self.path,
            "sql": self.sql,
            "started_at": self.started_at,
            "running_s": round(seconds, 1),
            "scanned_bytes": self.scanned_bytes,
            "runner": self.runner,
            "kill_requested_at": self.kill_requested_at,
            "kill_requested_by": self.kill_requested_by,
        }


_COLUMNS = (
    "query_id, env, principal, role, path, sql_text, started_at, runner, scanned_bytes, "
    "kill_requested_at, kill_requested_by"
)


def _from_row(row: tuple[Any, ...]) -> RunningQuery:
    query_id, env, principal, role, path, sql, started_at, runner = (str(v) for v in row[:8])
    killed_at, killed_by = row[9], row[10]
    return RunningQuery(
        query_id=query_id,
        env=env,
        principal=principal,
        role=role,
        path=path,
        sql=sql,
        started_at=started_at,
        runner=runner,
        scanned_bytes=int(row[8] or 0),
        kill_requested_at=None if killed_at is None else str(killed_at),
        kill_requested_by=None if killed_by is None else str(killed_by),
    )


class RunningQueries:
    """Register, list and kill running queries."""

    def __init__(self, db: StateDB, runner: str | None = None) -> None:
        self.db = db
        self.runner = runner or this_runner()

    def start(self, query: RunningQuery) -> None:
        """Register ``query`` run by this process (``started_at``: when it began, else now)."""
        self.db.execute(
            f"INSERT INTO running_queries ({_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
            (
                query.query_id,
                query.env,
                query.principal,
                query.role,
                query.path,
                query.sql,
                query.started_at or datetime.now(UTC).isoformat(),
                self.runner,
                query.scanned_bytes,
            ),
        )

    def finish(self, query_id: str) -> None:
        self.db.execute("DELETE FROM running_queries WHERE query_id = ?", (query_id,))

    def kill_requested(self) -> list[str]:
        """This process's queries an operator asked to stop."""
        rows = self.db.fetchall(
            "SELECT query_id FROM running_queries "
            "WHERE runner = ? AND kill_requested_at IS NOT NULL",
            (self.runner,),
        )
        return [str(row[0]) for row in rows]

    def listing(self, env: str | None = None) -> list[RunningQuery]:
        rows = self.db.fetchall(f"SELECT {_COLUMNS} FROM running_queries ORDER BY started_at")
        found = []
        for row in rows:
            query = _from_row(row)
            if not runner_alive(query.runner):
                self.finish(query.query_id)  # its process died: nothing runs any more
                continue
            if env is None or query.env == env:
                found.append(query)
        return found

    def request_kill(self, query_id: str, *, by: str) -> bool:
        """Ask the process running ``query_id`` to stop it; False when no such query runs."""
        return (
            self.db.execute(
                "UPDATE running_queries SET kill_requested_at = ?, kill_requested_by = ? "
                "WHERE query_id = ?",
                (datetime.now(UTC).isoformat(), by, query_id),
            )
            > 0
        )

    def is_running(self, query_id: str) -> bool:
        row = self.db.fetchone("SELECT 1 FROM running_queries WHERE query_id = ?", (query_id,))
        return row is not None


@dataclass(slots=True)
class QueryListing:
    """Lists one gated query as running (``rastup-data queries running``) once the gate's
    watchdog calls :meth:`register` (after ``LIST_AFTER_S``): the short queries dashboards
    make never touch the state database."""

    running: RunningQueries
    query: RunningQuery
    registered: bool = False

    def register(self) -> None:  # on the watchdog's thread: never raise
        try:
            self.running.start(self.query)
            self.registered = True
        except Exception:
            log.exception("could not list query %s as running", self.query.query_id)

    def finish(self) -> None:
        if self.registered:
            self.running.finish(self.query.query_id)
