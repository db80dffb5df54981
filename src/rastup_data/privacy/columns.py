"""Which columns of a DuckDB database or a Parquet file can hold an id, as text expressions.

Text columns are read as they are; JSON, lists, structs, maps and unions are cast to text (an
id inside them shows in their text form); numbers, dates and blobs cannot hold an id.
"""

from __future__ import annotations

from collections.abc import Iterator

import duckdb

from rastup_data.privacy.ids import SubjectIds

__all__ = [
    "contains_any",
    "duckdb_text_tables",
    "parquet_text_columns",
    "quote_identifier",
    "sql_literal",
]

_NESTED = ("STRUCT", "MAP", "UNION")


def contains_any(expressions: list[str], ids: SubjectIds) -> str:
    """A DuckDB predicate true when any expression contains any id: the cheap pre-filter of
    every match (candidates are then judged by the matching rule). Ids are bound as ``$1…``
    in sorted order."""
    return " OR ".join(
        f"contains({expression}, ${n + 1})"
        for expression in expressions
        for n in range(len(ids.all))
    )


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_literal(text: str) -> str:
    """The body of a single-quoted SQL string literal."""
    return text.replace("'", "''")


def text_expression(column: str, kind: str) -> str | None:
    """How to read ``column`` of DuckDB type ``kind`` as text, or None when it holds no text."""
    if kind == "VARCHAR":
        return quote_identifier(column)
    if kind == "JSON" or kind.endswith("]") or kind.startswith(_NESTED):
        return f"CAST({quote_identifier(column)} AS VARCHAR)"
    return None


def duckdb_text_tables(
    conn: duckdb.DuckDBPyConnection, alias: str
) -> Iterator[tuple[str, list[str]]]:
    """``(schema.table, [text expressions])`` of every base table of the attached database
    ``alias`` (tables without text columns come with an empty list)."""
    rows = conn.execute(
        "SELECT c.schema_name, c.table_name, c.column_name, c.data_type "
        "FROM duckdb_columns() AS c JOIN duckdb_tables() AS t "
        "ON t.database_name = c.database_name AND t.schema_name = c.schema_name "
        "AND t.table_name = c.table_name "
        "WHERE c.database_name = ? ORDER BY c.schema_name, c.table_name, c.column_index",
        [alias],
    ).fetchall()
    tables: dict[str, list[str]] = {}
    for schema, table, column, kind in rows:
        name = f"{quote_identifier(str(schema))}.{quote_identifier(str(table))}"
        expressions = tables.setdefault(name, [])
        expression = text_expression(str(column), str(kind))
        if expression is not None:
            expressions.append(expression)
    yield from tables.items()


def parquet_text_columns(conn: duckdb.DuckDBPyConnection, source_sql: str) -> list[str]:
    """Text expressions of every column a ``read_parquet(...)`` source yields."""
    rows = conn.execute(f"DESCRIBE SELECT * FROM {source_sql}").fetchall()
    found = [text_expression(str(r[0]), str(r[1])) for r in rows]
    return [e for e in found if e is not None]
