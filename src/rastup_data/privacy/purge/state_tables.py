"""Purge the state database: the subjects' sticky assignments, logged exposures and identity
links.

Which tables hold people and in which columns is data (:data:`STATE_TABLES`), in the order
rows must go: an exposure references its assignment. Deletes are one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rastup_data.privacy.purge.base import PurgeRun, StoreOutcome
from rastup_data.state import StateDB

__all__ = ["STATE_TABLES", "StateStep"]

#: (table, id columns, extra condition naming the ids as ``{ids}``), in deletion order.
STATE_TABLES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    (
        "exposures_logged",
        ("unit_id",),
        "EXISTS (SELECT 1 FROM experiment_assignments AS a WHERE a.exp_key = "
        "exposures_logged.exp_key AND a.unit_id = exposures_logged.unit_id "
        "AND a.source_unit_id IN ({ids}))",
    ),
    ("experiment_assignments", ("unit_id", "source_unit_id"), ""),
    ("identity_links", ("anon_id", "user_id"), ""),
)
_CHUNK = 400


def _where(columns: Sequence[str], extra: str, count: int) -> str:
    marks = ", ".join("?" * count)
    parts = [f"{c} IN ({marks})" for c in columns]
    if extra:
        parts.append(extra.format(ids=marks))
    return " OR ".join(parts)


def _count_or_delete(
    db: StateDB, table: str, where: str, params: list[str], *, delete: bool
) -> int:
    if delete:
        return db.execute(f"DELETE FROM {table} WHERE {where}", params)
    row = db.fetchone(f"SELECT count(*) FROM {table} WHERE {where}", params)
    return int(row[0]) if row else 0


@dataclass(frozen=True, slots=True)
class StateStep:
    """Deletes the subjects' rows from the state tables that hold people."""

    name: str = "state"

    def purge(self, run: PurgeRun) -> StoreOutcome:
        outcome = StoreOutcome(self.name)
        ids = sorted(run.ids.all)
        db = run.ctx.state
        with db.transaction():
            for table, columns, extra in STATE_TABLES:
                outcome.files_scanned += 1
                for start in range(0, len(ids), _CHUNK):
                    chunk = ids[start : start + _CHUNK]
                    copies = len(columns) + (1 if extra else 0)
                    removed = _count_or_delete(
                        db,
                        table,
                        _where(columns, extra, len(chunk)),
                        chunk * copies,
                        delete=not run.dry_run,
                    )
                    outcome.rows_removed += removed
                    if removed and table not in outcome.rewritten:
                        outcome.rewritten.append(table)
        outcome.files_rewritten = len(outcome.rewritten)
        return outcome
