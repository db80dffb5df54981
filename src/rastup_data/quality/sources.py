"""dbt sources that live outside the warehouse file (Bronze Parquet), made readable by name.

For the duration of a gate run each source schema (``bronze``) is attached as an
in-memory catalog of views over the source's ``external_location``, so checks name
``bronze.events`` exactly as dbt and the query gate do. Nothing is written to the
warehouse file. A source with no files yet is an empty view typed from its declared
columns (an empty lake is empty, not an error).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import duckdb

from rastup_data.quality._sql import quote_ident
from rastup_data.quality.catalog import DeclaredModel

__all__ = ["attached_sources"]


@contextmanager
def attached_sources(
    conn: duckdb.DuckDBPyConnection, sources: Sequence[DeclaredModel]
) -> Iterator[None]:
    """Views over every source with a location, detached again on exit."""
    schemas = sorted({m.schema for m in sources if m.source is not None})
    taken = {
        str(row[0])
        for row in conn.execute("SELECT database_name FROM duckdb_databases()").fetchall()
    }
    taken |= {
        str(row[0]) for row in conn.execute("SELECT schema_name FROM duckdb_schemas()").fetchall()
    }
    attached: list[str] = []
    try:
        for schema in schemas:
            if schema in taken:
                continue  # the warehouse itself holds it: read that
            conn.execute(f"ATTACH ':memory:' AS {quote_ident(schema)} (READ_WRITE)")
            attached.append(schema)
        for model in sources:
            if model.schema in attached:
                conn.execute(_view_sql(conn, model))
        yield
    finally:
        for schema in reversed(attached):
            conn.execute(f"DETACH {quote_ident(schema)}")


def _view_sql(conn: duckdb.DuckDBPyConnection, model: DeclaredModel) -> str:
    source = model.source
    assert source is not None
    schema, table = model.relation.split(".", 1)
    name = f"{quote_ident(schema)}.main.{quote_ident(table)}"
    found = conn.execute("SELECT count(*) FROM glob(?)", [source.location]).fetchone()
    if found and found[0]:
        return f"CREATE VIEW {name} AS SELECT * FROM {source.relation_sql}"
    typed = ", ".join(
        f"CAST(NULL AS {data_type}) AS {quote_ident(column)}"
        for column, data_type in source.column_types.items()
    )
    return f"CREATE VIEW {name} AS SELECT {typed or 'NULL AS empty'} WHERE false"
