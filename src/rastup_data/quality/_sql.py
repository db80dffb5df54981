"""SQL helpers shared by the check runners: quoting, probing, JSON-safe rows."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import duckdb

from rastup_data.errors import ErrorCode, RastupError

__all__ = [
    "ColumnMissing",
    "TableMissing",
    "fetch_dicts",
    "json_safe",
    "probe_columns",
    "probed_once",
    "quote_ident",
    "quote_table",
    "require_columns",
]


class TableMissing(Exception):
    """The table a check references does not exist (a misconfiguration, reported as data)."""


class ColumnMissing(Exception):
    """A column a check references does not exist in its table."""


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_table(table: str) -> str:
    """Quote a ``schema.table`` (or ``catalog.schema.table``) name part by part."""
    parts = table.split(".")
    if not all(parts):
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"table name {table!r} is not valid. To fix this, write it as schema.table.",
        )
    return ".".join(quote_ident(part) for part in parts)


#: The columns of each table probed so far in this run of the gate (None: not in a run).
_PROBED: ContextVar[dict[str, dict[str, str]] | None] = ContextVar("probed", default=None)


@contextlib.contextmanager
def probed_once() -> Iterator[None]:
    """Within the block, each table is probed once: its columns do not change while a gate
    run reads it, and every probe binds the table again (a Bronze source lists the lake
    and reads its files' footers). Per thread: the checks that run ahead keep their own."""
    token = _PROBED.set({})
    try:
        yield
    finally:
        _PROBED.reset(token)


def probe_columns(conn: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """Column name -> DuckDB type of ``table``; raises :class:`TableMissing`."""
    probed = _PROBED.get()
    if probed is not None and table in probed:
        return dict(probed[table])
    try:
        conn.execute(f"SELECT * FROM {quote_table(table)} LIMIT 0")
    except duckdb.CatalogException as exc:
        raise TableMissing(table) from exc
    description = conn.description or []
    columns = {str(col[0]): str(col[1]) for col in description}
    if probed is not None:
        probed[table] = dict(columns)
    return columns


def require_columns(
    conn: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str]
) -> dict[str, str]:
    """Probe ``table`` and raise :class:`ColumnMissing` naming every absent column."""
    available = probe_columns(conn, table)
    missing = [col for col in columns if col not in available]
    if missing:
        raise ColumnMissing(
            f"column(s) {', '.join(missing)} missing in {table} "
            f"(has: {', '.join(available) or 'no columns'})"
        )
    return available


def fetch_dicts(
    conn: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()
) -> list[dict[str, Any]]:
    """Run ``sql`` and return JSON-safe dict rows."""
    cursor = conn.execute(sql, list(params))
    names = [str(col[0]) for col in cursor.description or []]
    return [
        {name: json_safe(value) for name, value in zip(names, row, strict=True)}
        for row in cursor.fetchall()
    ]


def json_safe(value: Any) -> Any:
    """Dates as ISO strings, decimals as int/float, NaN as None; everything else as is."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    return str(value)
