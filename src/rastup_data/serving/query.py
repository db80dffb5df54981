"""Run one SQL query over the published warehouse and shape the answer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.transform.published import NRT_CATALOG, WAREHOUSE_CATALOG

__all__ = ["QueryResult", "TableInfo", "list_tables", "query_failed", "run_query"]

#: Schemas of the published warehouse that readers see.
READER_SCHEMAS = ("silver", "gold")


@dataclass(frozen=True, slots=True)
class QueryResult:
    """Column names, their DuckDB types, and the rows of one query.

    ``truncated`` is true when the query had more rows than ``max_rows`` and was cut.
    """

    columns: tuple[str, ...]
    types: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    truncated: bool = False

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


@dataclass(frozen=True, slots=True)
class TableInfo:
    """One queryable table: the name to use in SQL, its kind and row count."""

    name: str
    kind: str
    rows: int | None
    description: str = ""


def run_query(
    conn: duckdb.DuckDBPyConnection,
    sql: str,
    params: Sequence[Any] = (),
    *,
    max_rows: int | None = None,
) -> QueryResult:
    """Run ``sql``; any parse, bind or run error becomes QUERY_INVALID with DuckDB's reason.

    With ``max_rows`` at most that many rows are fetched; ``truncated`` tells if more existed.
    """
    if not sql.strip():
        raise RastupError(ErrorCode.QUERY_INVALID, "the query is empty. To fix this, pass SQL.")
    try:
        cursor = conn.execute(sql, list(params)) if params else conn.execute(sql)
        description = cursor.description or []
        if not description:
            rows: list[Any] = []
        elif max_rows is None:
            rows = cursor.fetchall()
        else:
            rows = cursor.fetchmany(max_rows + 1)
    except duckdb.Error as exc:
        raise query_failed(exc) from exc
    truncated = max_rows is not None and len(rows) > max_rows
    kept = rows[:max_rows] if truncated else rows
    return QueryResult(
        columns=tuple(str(d[0]) for d in description),
        types=tuple(str(d[1]) for d in description),
        rows=tuple(tuple(r) for r in kept),
        truncated=truncated,
    )


def query_failed(exc: duckdb.Error) -> RastupError:
    """DuckDB's error as QUERY_INVALID with its reason on one line."""
    reason = " ".join(str(exc).split())
    return RastupError(
        ErrorCode.QUERY_INVALID,
        f"the query failed: {reason}. To fix this, correct the SQL; "
        "`rastup-data query --tables` lists what can be queried.",
    )


def list_tables(conn: duckdb.DuckDBPyConnection) -> list[TableInfo]:
    """Silver and Gold tables of the published build, then the NRT views if attached."""
    schemas = ", ".join(f"'{s}'" for s in READER_SCHEMAS)
    found = conn.execute(
        f"""
        SELECT database_name, schema_name, table_name, estimated_size, coalesce(comment, '')
        FROM duckdb_tables()
        WHERE (database_name = '{WAREHOUSE_CATALOG}' AND schema_name IN ({schemas}))
           OR (database_name = '{NRT_CATALOG}' AND schema_name = 'main')
        ORDER BY database_name = '{NRT_CATALOG}', schema_name, table_name
        """
    ).fetchall()
    tables: list[TableInfo] = []
    for database, schema, table, size, comment in found:
        name = f"{NRT_CATALOG}.{table}" if database == NRT_CATALOG else f"{schema}.{table}"
        tables.append(
            TableInfo(
                name=name,
                kind=schema if database != NRT_CATALOG else "nrt",
                rows=int(size) if size is not None else None,
                description=str(comment),
            )
        )
    return tables
