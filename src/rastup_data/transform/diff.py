"""What a rebuild changed: whole-table fingerprints, and the rows of a table that differ
between the published build and a staged one (before/after)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

__all__ = ["TableDiff", "diff_table", "fingerprint"]

#: The data columns of a relation: every column but load metadata (``_loaded_at``).
_DATA = "COLUMNS(lambda c: NOT starts_with(c, '_'))"


def fingerprint(conn: duckdb.DuckDBPyConnection, relation: str) -> tuple[int, int] | None:
    """(rows, sum of row hashes) of ``relation``; None when it does not exist.

    Two tables with the same fingerprint hold the same rows (up to a 64-bit hash collision,
    summed over a 128-bit integer). Load metadata (columns named ``_…``, e.g. ``_loaded_at``)
    is left out: it changes at every load without the data changing.
    """
    try:
        row = conn.execute(
            f"SELECT count(*), coalesce(sum(hash({_DATA})::HUGEINT), 0) FROM {relation}"
        ).fetchone()
    except duckdb.CatalogException:
        return None
    assert row is not None
    return int(row[0]), int(row[1])


@dataclass(frozen=True, slots=True)
class TableDiff:
    """Rows only in the published build (``removed``: before) and only in the staged one
    (``added``: after), counted in full and sampled."""

    relation: str
    rows_before: int
    rows_after: int
    removed: int
    added: int
    removed_sample: tuple[dict[str, Any], ...] = ()
    added_sample: tuple[dict[str, Any], ...] = ()
    note: str = ""

    @property
    def changed(self) -> bool:
        return bool(self.removed or self.added or self.note)

    def to_json(self) -> dict[str, Any]:
        return {
            "relation": self.relation,
            "rows_before": self.rows_before,
            "rows_after": self.rows_after,
            "removed": self.removed,
            "added": self.added,
            "before": [_json_row(r) for r in self.removed_sample],
            "after": [_json_row(r) for r in self.added_sample],
            "note": self.note,
        }


def _json_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v if isinstance(v, str | int | float | bool) or v is None else str(v)
        for k, v in row.items()
    }


def _count(conn: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = conn.execute(f"SELECT count(*) FROM ({sql})").fetchone()
    return int(row[0]) if row else 0


def _sample(conn: duckdb.DuckDBPyConnection, sql: str, limit: int) -> tuple[dict[str, Any], ...]:
    cursor = conn.execute(f"SELECT * FROM ({sql}) LIMIT {int(limit)}")
    columns = [str(c[0]) for c in cursor.description or []]
    return tuple(dict(zip(columns, row, strict=True)) for row in cursor.fetchall())


def diff_table(
    conn: duckdb.DuckDBPyConnection, before: str, after: str, *, relation: str, sample: int = 10
) -> TableDiff:
    """Compare ``before.relation`` with ``after.relation`` (two attached databases)."""
    old, new = f"{before}.{relation}", f"{after}.{relation}"
    rows_before = _count(conn, f"SELECT * FROM {old}")
    rows_after = _count(conn, f"SELECT * FROM {new}")
    removed_sql = f"SELECT {_DATA} FROM {old} EXCEPT ALL SELECT {_DATA} FROM {new}"
    added_sql = f"SELECT {_DATA} FROM {new} EXCEPT ALL SELECT {_DATA} FROM {old}"
    try:
        return TableDiff(
            relation,
            rows_before,
            rows_after,
            _count(conn, removed_sql),
            _count(conn, added_sql),
            _sample(conn, removed_sql, sample),
            _sample(conn, added_sql, sample),
        )
    except duckdb.Error as exc:  # the columns changed: rows cannot be compared one by one
        note = f"columns differ, rows not compared ({' '.join(str(exc).split())[:200]})"
        return TableDiff(relation, rows_before, rows_after, 0, 0, note=note)
