"""A read-only, DB-API-like connection whose every ``execute`` is a gated, audited query.

Library code that reads the lake with a connection (experiment analysis, golden-mart
comparison) gets one of these from :meth:`Gate.connect` instead of a raw DuckDB
connection, so it reads only what its principal may, as the principal sees it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa

if TYPE_CHECKING:
    from rastup_data.governance.gate import Gate, GatedResult, QueryPath
    from rastup_data.governance.principals import Principal

__all__ = ["GatedConnection", "GatedCursor"]


class GatedCursor:
    """The answer of one gated query, read like a DB-API cursor."""

    def __init__(self, gated: GatedResult) -> None:
        self.gated = gated
        table = gated.table
        assert table is not None
        self._table = table
        self._rows: list[tuple[Any, ...]] | None = None
        self._next = 0

    @property
    def description(self) -> list[tuple[str, str, None, None, None, None, None]]:
        return [
            (name, str(field.type), None, None, None, None, None)
            for name, field in zip(self._table.column_names, self._table.schema, strict=True)
        ]

    def fetchall(self) -> list[tuple[Any, ...]]:
        rows = self._all()[self._next :]
        self._next = len(self._all())
        return rows

    def fetchone(self) -> tuple[Any, ...] | None:
        rows = self._all()
        if self._next >= len(rows):
            return None
        self._next += 1
        return rows[self._next - 1]

    def to_arrow_table(self) -> pa.Table:
        return self._table

    def _all(self) -> list[tuple[Any, ...]]:
        if self._rows is None:
            columns = [c.to_pylist() for c in self._table.columns]
            self._rows = list(zip(*columns, strict=True)) if columns else []
        return self._rows


class GatedConnection:
    """``execute(sql, params)`` runs through the gate as one principal on one path."""

    def __init__(self, gate: Gate, principal: Principal, path: QueryPath) -> None:
        self.gate = gate
        self.principal = principal
        self.path = path

    def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> GatedCursor:
        gated = self.gate.run(
            self.principal, sql, path=self.path, params=tuple(parameters or ()), as_arrow=True
        )
        return GatedCursor(gated)

    def sql(self, sql: str, params: Sequence[Any] | None = None) -> GatedCursor:
        """DuckDB's relational spelling of :meth:`execute` (``.to_arrow_table()`` works)."""
        return self.execute(sql, params)

    def close(self) -> None:
        """Nothing to release: the gate owns the sessions."""
