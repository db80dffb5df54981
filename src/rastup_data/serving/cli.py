"""``rastup-data query``: SQL over the published Silver/Gold and the NRT views."""

from __future__ import annotations

import click

from rastup_data.config import resolve_lake
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.lake.layout import LakeLayout
from rastup_data.serving.formats import FORMATS, render
from rastup_data.serving.query import QueryResult, list_tables, run_query
from rastup_data.transform.published import open_published

__all__ = ["query"]


@click.command()
@click.argument("sql", required=False)
@click.option(
    "--lake",
    type=click.Path(file_okay=False),
    default=None,
    help="Lake root (default: $RASTUP_LAKE, else ./lake).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="Output format; json prints an array of row objects.",
)
@click.option("--tables", is_flag=True, help="List the queryable tables instead of querying.")
def query(sql: str | None, lake: str | None, fmt: str, tables: bool) -> None:
    """Run SQL over the published build, e.g. "SELECT * FROM gold.kpi_marketplace_daily".

    Tables: silver.*, gold.*, and nrt.* (ops views refreshed near real time). The build
    is opened read-only, so queries never wait for or block a running build.
    """
    if not tables and not sql:
        raise RastupError(
            ErrorCode.QUERY_INVALID,
            "no SQL given. To fix this, pass a query in quotes, or --tables to list tables.",
        )
    conn = open_published(LakeLayout(resolve_lake(lake)))
    try:
        if tables:
            infos = list_tables(conn)
            result = QueryResult(
                columns=("table", "kind", "rows"),
                types=("VARCHAR", "VARCHAR", "BIGINT"),
                rows=tuple((t.name, t.kind, t.rows) for t in infos),
            )
        else:
            assert sql is not None
            result = run_query(conn, sql)
    finally:
        conn.close()
    click.echo(render(result, fmt), nl=False)
