"""``rastup-data query``: SQL over Silver, Gold, NRT and Bronze, through the query gate."""

from __future__ import annotations

import sys

import click
import orjson

from rastup_data.config import Settings
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.governance.budget import human_bytes
from rastup_data.governance.gate import Gate, QueryPath, QueryPlan
from rastup_data.governance.principals import Principal, local_principal
from rastup_data.lake import options as lake_options
from rastup_data.lake.existing import existing_lake
from rastup_data.serving.formats import FORMATS, render
from rastup_data.serving.query import QueryResult

__all__ = ["caller", "lake_option", "open_gate", "query", "token_option"]

lake_option = lake_options.lake_option()
token_option = click.option(
    "--token",
    default=None,
    help="Query-gate token (default: $RASTUP_TOKEN; none: the local admin, audited).",
)


def open_gate(lake: str | None) -> Gate:
    """The gate over an existing lake (LAKE_NOT_FOUND, creating nothing, when it is not)."""
    return Gate.open(existing_lake(lake).root, settings=Settings.from_env(lake=lake))


def caller(gate: Gate, token: str | None) -> Principal:
    """The principal of ``--token`` / RASTUP_TOKEN, else the local OS user as admin."""
    presented = token if token is not None else Settings.from_env().token
    if presented is None:
        return local_principal()
    return gate.authenticate(presented)


@click.command()
@click.argument("sql", required=False)
@lake_option
@token_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="Output format; json prints an array of row objects.",
)
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="VALUE",
    help="A value for the query's next `?` (or $1, $2, ...), repeated once per parameter "
    "in order. Values are text: compared with a typed column (dt >= ?) DuckDB casts them; "
    "elsewhere cast in SQL, e.g. ?::DATE or ?::INTEGER.",
)
@click.option("--tables", is_flag=True, help="List the relations you can read instead.")
@click.option("--explain", is_flag=True, help="Print the plan and cost estimate; do not run.")
def query(
    *,
    sql: str | None,
    lake: str | None,
    token: str | None,
    fmt: str,
    params: tuple[str, ...],
    tables: bool,
    explain: bool,
) -> None:
    """Run SQL through the query gate, e.g. "SELECT * FROM gold.kpi_marketplace_daily";
    SQL "-" reads the query from stdin (e.g. `rastup-data query - < report.sql`).

    \b
    Parameters bind with one --param per `?`, in order:
      rastup-data query --param 2026-01-06 --param nyc \\
        "SELECT * FROM gold.kpi_marketplace_daily WHERE dt >= ?::DATE AND city = ?"
    A wrong number of values is refused before running (QUERY_INVALID).

    Relations: silver.*, gold.*, nrt.* (ops views refreshed near real time) and, for
    admins, bronze.events and bronze.quarantine — as your role sees them (masked and
    city-scoped columns, see docs/governance.md). Every query is audited. Large facts and
    Bronze need a constant dt predicate; --explain shows the bytes a query would scan.
    """
    if sql == "-" and not tables:
        sql = _stdin_sql()
    if not tables and not sql:
        raise RastupError(
            ErrorCode.QUERY_INVALID,
            "no SQL given. To fix this, pass a query in quotes, or --tables to list tables.",
        )
    with open_gate(lake) as gate:
        principal = caller(gate, token)
        if tables:
            infos = gate.tables(principal)
            result = QueryResult(
                columns=("table", "kind", "access"),
                types=("VARCHAR", "VARCHAR", "VARCHAR"),
                rows=tuple((t.name, t.kind, t.description) for t in infos),
            )
            click.echo(render(result, fmt), nl=False)
            return
        assert sql is not None
        if explain:
            plan = gate.explain(principal, sql, path=QueryPath.CLI, params=params)
            click.echo(_render_plan(plan, fmt), nl=False)
            return
        gated = gate.run(principal, sql, path=QueryPath.CLI, params=params)
    click.echo(render(gated.result, fmt), nl=False)
    if gated.result.truncated:
        click.echo(
            f"note: only the first {len(gated.rows):,} rows are shown (your role's row limit).",
            err=True,
        )


def _stdin_sql() -> str:
    """The query piped on stdin (SQL ``-``); blank stdin is no SQL."""
    text = sys.stdin.read()
    if not text.strip():
        raise RastupError(
            ErrorCode.QUERY_INVALID,
            "no SQL on stdin. To fix this, pipe a query into `rastup-data query -`, "
            "or pass it in quotes.",
        )
    return text


def _render_plan(plan: QueryPlan, fmt: str) -> str:
    reads = [
        {
            "relation": r.relation,
            "columns": list(r.columns),
            "scanned_bytes": r.scanned_bytes,
            "row_groups_read": r.row_groups_read,
            "row_groups_total": r.row_groups_total,
        }
        for r in plan.estimate.reads
    ]
    if fmt == "json":
        body = {
            "sql": plan.sql,
            "relations": list(plan.relations),
            "columns": list(plan.columns),
            "reads": reads,
            "scanned_bytes": plan.estimate.scanned_bytes,
            "billed_bytes": plan.estimate.billed_bytes,
            "query_cap_bytes": plan.query_cap,
            "exact": plan.exact,
            "engine_plan": plan.engine_plan,
        }
        return orjson.dumps(body, option=orjson.OPT_INDENT_2).decode() + "\n"
    lines = [f"plan: {plan.sql}", "reads:"]
    for read in plan.estimate.reads:
        lines.append(
            f"  {read.relation}: {', '.join(read.columns) or '(no columns)'} — "
            f"{human_bytes(read.scanned_bytes)} in {read.row_groups_read} of "
            f"{read.row_groups_total} row groups"
        )
    scanned = plan.estimate.scanned_bytes
    lines.append(
        f"scanned: {scanned:,} bytes ({human_bytes(scanned)}); "
        f"billed: {plan.estimate.billed_bytes:,} bytes; cap: {human_bytes(plan.query_cap)}"
    )
    if plan.engine_plan:
        lines.append("engine plan:")
        lines.append(plan.engine_plan)
    if not plan.exact:
        lines.append(
            "note: columns could not be traced exactly; every column of each relation counted"
        )
    return "\n".join(lines) + "\n"
