"""Rows that break a per-column condition, counted in one scan (not-null, distribution)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb

from rastup_data.quality._sql import fetch_dicts

__all__ = ["Violations", "find_violations"]


@dataclass(frozen=True, slots=True)
class Violations:
    """How many rows break any condition, how many break each column's, and some of them."""

    rows: int
    by_column: Mapping[str, int]
    samples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def detail(self) -> str:
        """``col: N row(s)`` for each column with a violation."""
        return "; ".join(f"{col}: {n} row(s)" for col, n in self.by_column.items() if n)


def find_violations(
    conn: duckdb.DuckDBPyConnection,
    source: str,
    conditions: Mapping[str, str],
    *,
    sample_limit: int,
) -> Violations:
    """Count the rows of ``source`` where a column's SQL condition (``conditions``: column ->
    condition) holds: any of them, then per column, in one scan; and, only when there are
    some, up to ``sample_limit`` of those rows."""
    any_violation = " OR ".join(f"({cond})" for cond in conditions.values())
    per_column = "".join(f", count(*) FILTER (WHERE {cond})" for cond in conditions.values())
    row = conn.execute(
        f"SELECT count(*) FILTER (WHERE {any_violation}){per_column} FROM {source}"
    ).fetchone()
    assert row is not None
    by_column = dict(zip(conditions, (int(n) for n in row[1:]), strict=True))
    if not row[0]:
        return Violations(0, by_column)
    samples = fetch_dicts(
        conn, f"SELECT * FROM {source} WHERE {any_violation} LIMIT {int(sample_limit)}"
    )
    return Violations(int(row[0]), by_column, samples)
