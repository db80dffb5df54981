"""Operator controls: named switches runbooks set and running processes read.

``jobs.paused.<job>`` (the scheduler starts no new run of a paused job and stops a running
one until it is resumed), ``lander.rotate_s`` (the spool's widened buffer),
``scheduler.daily_only.<job>`` (a job degraded to its first run of the day),
``gate.dashboards_pinned`` (dashboard queries read only the BI extracts); and
``scheduler.since``, the scheduler's first start on the lake (set by the scheduler itself).
Every change is recorded with who made it, when and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from rastup_data.state.database import StateDB

__all__ = ["SCHEDULER_SINCE", "Control", "OpsControls"]

#: The scheduler's first start on the lake: slots before it are never due.
SCHEDULER_SINCE = "scheduler.since"


@dataclass(frozen=True, slots=True)
class Control:
    name: str
    value: str
    set_by: str
    set_at: str
    reason: str


class OpsControls:
    """Read and change the controls in the state database."""

    def __init__(self, db: StateDB) -> None:
        self.db = db

    def set(self, name: str, value: str, *, by: str, reason: str = "") -> Control:
        control = Control(name, value, by, datetime.now(UTC).isoformat(), reason)
        with self.db.transaction():
            self.db.execute("DELETE FROM ops_controls WHERE name = ?", (name,))
            self.db.execute(
                "INSERT INTO ops_controls (name, value, set_by, set_at, reason) "
                "VALUES (?, ?, ?, ?, ?)",
                (control.name, control.value, control.set_by, control.set_at, control.reason),
            )
        return control

    def clear(self, name: str) -> bool:
        return self.db.execute("DELETE FROM ops_controls WHERE name = ?", (name,)) > 0

    def get(self, name: str) -> str | None:
        row = self.db.fetchone("SELECT value FROM ops_controls WHERE name = ?", (name,))
        return str(row[0]) if row else None

    def scheduler_since(self) -> datetime | None:
        """The scheduler's first start on the lake, or None when none has run."""
        value = self.get(SCHEDULER_SINCE)
        return datetime.fromisoformat(value) if value is not None else None

    def with_prefix(self, prefix: str) -> list[Control]:
        rows = self.db.fetchall(
            "SELECT name, value, set_by, set_at, reason FROM ops_controls "
            "WHERE name LIKE ? ORDER BY name",
            (prefix.replace("%", "") + "%",),
        )
        return [Control(*map(str, row)) for row in rows]
