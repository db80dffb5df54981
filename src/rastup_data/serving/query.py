"""Run one SQL query over the published warehouse and shape the answer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, TypeVar

import duckdb
import pyarrow as pa

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.transform.published import NRT_CATALOG, WAREHOUSE_CATALOG

__all__ = [
    "QueryResult",
    "TableInfo",
    "answer_too_large",
    "list_tables",
    "query_failed",
    "rows_nbytes",
    "run_arrow_query",
    "run_query",
]

#: Schemas of the published warehouse that readers see.
READER_SCHEMAS = ("silver", "gold")
#: Rows of the first fetch of a metered answer; later fetches size themselves to the room
#: left in the byte budget, up to ``FETCH_MAX_ROWS``.
FETCH_FIRST_ROWS = 64
FETCH_MAX_ROWS = 8_192
#: Bytes counted for a value that is neither text, binary nor nested (numbers, dates...).
FIXED_VALUE_BYTES = 8
#: The setting DuckDB names when a query runs out of spill space (not of memory).
SPILL_SETTING = "max_temp_directory_size"

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class QueryResult:
    """Column names, their DuckDB types, and the rows of one query.

    ``truncated`` is true when the query had more rows than ``max_rows`` and was cut;
    ``nbytes`` is the size of the rows measured against a byte budget (0 when unmetered).
    """

    columns: tuple[str, ...]
    types: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    truncated: bool = False
    nbytes: int = 0

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
    max_bytes: int | None = None,
) -> QueryResult:
    """Run ``sql``; any parse, bind or run error becomes QUERY_INVALID with DuckDB's reason
    (running out of memory: QUERY_ANSWER_TOO_LARGE, :func:`query_failed`).

    With ``max_rows`` at most that many rows are fetched; ``truncated`` tells if more existed.
    With ``max_bytes`` the rows are fetched in steps and measured (:func:`rows_nbytes`) as
    they come: QUERY_ANSWER_TOO_LARGE as soon as the answer passes that many bytes.
    """
    if not sql.strip():
        raise RastupError(ErrorCode.QUERY_INVALID, "the query is empty. To fix this, pass SQL.")
    want = None if max_rows is None else max_rows + 1
    try:
        description, rows, nbytes = once_more_if_a_file_vanished(
            lambda: _fetch(conn, sql, params, want, max_bytes)
        )
    except duckdb.Error as exc:
        raise query_failed(exc) from exc
    truncated = max_rows is not None and len(rows) > max_rows
    kept = rows[:max_rows] if truncated else rows
    return QueryResult(
        columns=tuple(str(d[0]) for d in description),
        types=tuple(str(d[1]) for d in description),
        rows=tuple(tuple(r) for r in kept),
        truncated=truncated,
        nbytes=nbytes,
    )


def run_arrow_query(
    conn: duckdb.DuckDBPyConnection,
    sql: str,
    params: Sequence[Any] = (),
    *,
    max_bytes: int | None = None,
) -> pa.Table:
    """Run ``sql`` into an Arrow table; with ``max_bytes`` the record batches are read one
    by one and QUERY_ANSWER_TOO_LARGE raised as soon as their bytes pass the budget."""
    try:
        return once_more_if_a_file_vanished(lambda: _arrow(conn, sql, params, max_bytes))
    except duckdb.Error as exc:
        raise query_failed(exc) from exc


def once_more_if_a_file_vanished(run: Callable[[], T]) -> T:
    """``run()``, and once more if DuckDB could not read a file it had listed.

    A Bronze partition swapped by the hourly compaction between a query's glob and its read
    is such a file: the query is read-only, and run again it lists the merged file. A file
    that stays unreadable fails the second run with DuckDB's error.
    """
    try:
        return run()
    except duckdb.IOException:
        return run()


def _fetch(
    conn: duckdb.DuckDBPyConnection,
    sql: str,
    params: Sequence[Any],
    want: int | None,
    max_bytes: int | None,
) -> tuple[list[Any], list[Any], int]:
    """The description, up to ``want`` rows (all when None) and their metered bytes."""
    cursor = conn.execute(sql, list(params)) if params else conn.execute(sql)
    description = cursor.description or []
    if not description:
        return description, [], 0
    if max_bytes is not None:
        rows, nbytes = _fetch_metered(cursor, want, max_bytes)
        return description, rows, nbytes
    return description, cursor.fetchall() if want is None else cursor.fetchmany(want), 0


def _arrow(
    conn: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any], max_bytes: int | None
) -> pa.Table:
    relation = conn.sql(sql, params=list(params)) if params else conn.sql(sql)
    if max_bytes is None:
        table = relation.to_arrow_table()
    else:
        reader = relation.to_arrow_reader(FETCH_MAX_ROWS)
        batches, nbytes = [], 0
        for batch in reader:
            nbytes += batch.nbytes
            if nbytes > max_bytes:
                raise answer_too_large(max_bytes)
            batches.append(batch)
        table = pa.Table.from_batches(batches, schema=reader.schema)
    assert isinstance(table, pa.Table)
    return table


def answer_too_large(max_bytes: int) -> RastupError:
    """QUERY_ANSWER_TOO_LARGE: the answer passed ``max_bytes``."""
    return RastupError(
        ErrorCode.QUERY_ANSWER_TOO_LARGE,
        f"the answer passed {max_bytes:,} bytes, the most one answer may hold, and was "
        "stopped. To fix this, narrow the query (dates, columns) or aggregate it.",
    )


def rows_nbytes(rows: Sequence[Sequence[Any]]) -> int:
    """The bytes of fetched rows as a columnar answer holds them: text and binary by their
    length, nested values by the length of their text, anything else ``FIXED_VALUE_BYTES``.
    Each column's kind is read from its first value that is not NULL."""
    if not rows:
        return 0
    total = 0
    for i in range(len(rows[0])):
        first = next((r[i] for r in rows if r[i] is not None), None)
        if isinstance(first, str | bytes):
            # A column has one type: its values are all text (or all binary) or NULL; an
            # empty one (filtered out with the NULLs) counts 0 anyway.
            total += sum(map(len, filter(None, map(itemgetter(i), rows))))
        elif isinstance(first, list | dict | tuple):
            total += sum(len(str(r[i])) for r in rows if r[i] is not None)
        else:
            total += FIXED_VALUE_BYTES * len(rows)
    return total


def _fetch_metered(
    cursor: duckdb.DuckDBPyConnection, want: int | None, max_bytes: int
) -> tuple[list[Any], int]:
    """Up to ``want`` rows (all when None) and their bytes, fetched in steps sized to the
    room left in ``max_bytes`` so that little is fetched past it."""
    rows: list[Any] = []
    nbytes, step = 0, FETCH_FIRST_ROWS
    while want is None or len(rows) < want:
        chunk = cursor.fetchmany(step if want is None else min(step, want - len(rows)))
        if not chunk:
            break
        nbytes += rows_nbytes(chunk)
        if nbytes > max_bytes:
            raise answer_too_large(max_bytes)
        rows += chunk
        per_row = max(1, nbytes // len(rows))
        step = max(1, min(FETCH_MAX_ROWS, (max_bytes - nbytes) // per_row + 1))
    return rows, nbytes


def query_failed(exc: duckdb.Error) -> RastupError:
    """DuckDB's error as QUERY_INVALID with its reason on one line; running out of memory
    is QUERY_ANSWER_TOO_LARGE and out of spill space (``max_temp_directory_size``)
    QUERY_SPILL_TOO_LARGE (the query needs narrowing, not correcting)."""
    reason = " ".join(str(exc).split())
    if isinstance(exc, duckdb.OutOfMemoryException) and SPILL_SETTING in reason:
        return RastupError(
            ErrorCode.QUERY_SPILL_TOO_LARGE,
            "the query needed more temporary disk space than it may spill to. To fix this, "
            "narrow the query (dates, columns) or aggregate it before sorting or joining.",
        )
    if isinstance(exc, duckdb.OutOfMemoryException):
        return RastupError(
            ErrorCode.QUERY_ANSWER_TOO_LARGE,
            f"the query needed more memory than it may use ({reason.split(' Possible')[0]}). "
            "To fix "
            "this, narrow the query (dates, columns) or aggregate it.",
        )
    return RastupError(
        ErrorCode.QUERY_INVALID,
        f"the query failed: {reason}. To fix this, correct the SQL; "
        "`rastup-data query --tables` lists what can be queried.",
    )


def list_tables(conn: duckdb.DuckDBPyConnection) -> list[TableInfo]:
    """Silver and Gold relations of the published build, then the NRT views if attached.

    A relation the build keeps as a view (``silver.fact_search_impressions``) is listed
    like a table; its row count is not known without running it, so it is None.
    """
    schemas = ", ".join(f"'{s}'" for s in READER_SCHEMAS)
    found = conn.execute(
        f"""
        SELECT database_name, schema_name, name, rows, comment
        FROM (
            SELECT database_name, schema_name, table_name AS name,
                   estimated_size AS rows, coalesce(comment, '') AS comment
            FROM duckdb_tables()
            UNION ALL
            SELECT database_name, schema_name, view_name, NULL, coalesce(comment, '')
            FROM duckdb_views()
            WHERE NOT internal
        )
        WHERE (database_name = '{WAREHOUSE_CATALOG}' AND schema_name IN ({schemas}))
           OR (database_name = '{NRT_CATALOG}' AND schema_name = 'main')
        ORDER BY database_name = '{NRT_CATALOG}', schema_name, name
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
