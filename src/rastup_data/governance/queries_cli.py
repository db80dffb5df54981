"""``rastup-data queries``: the queries running through the gate now, stopping a runaway one,
and pinning dashboards to the BI extracts (the high-spend runbook's switches). Admins only."""

from __future__ import annotations

import time

import click
import orjson
from rich.table import Table

from rastup_data.config import FiniteFloatRange
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.governance.budget import human_bytes
from rastup_data.governance.cli import caller, lake_option, open_gate, token_option
from rastup_data.governance.pinning import PIN_CONTROL
from rastup_data.state import OpsControls
from rastup_data.terminal import output_console

__all__ = ["queries"]


@click.group()
def queries() -> None:
    """Running queries (every process reading through the gate), kill, pin dashboards."""


@queries.command("running")
@lake_option
@token_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def running(*, lake: str | None, token: str | None, fmt: str) -> None:
    """The queries running now, longest first, with who runs them and for how long."""
    with open_gate(lake) as gate:
        gate.require_admin(caller(gate, token), "the running queries")
        found = [q.to_json() for q in gate.running.listing(gate.env)]
    found.sort(key=lambda q: -q["running_s"])
    if fmt == "json":
        click.echo(orjson.dumps({"queries": found}, option=orjson.OPT_INDENT_2).decode())
        return
    table = Table(title=f"{len(found)} running queries", title_justify="left")
    for column in ("query_id", "principal", "role", "path", "running s", "scanned", "sql"):
        table.add_column(column)
    for q in found:
        sql = " ".join(q["sql"].split())
        table.add_row(
            q["query_id"],
            q["principal"],
            q["role"],
            q["path"],
            f"{q['running_s']:.1f}",
            human_bytes(q["scanned_bytes"]),
            sql[:80],
        )
    output_console().print(table)


@queries.command("kill")
@click.argument("query_id")
@lake_option
@token_option
@click.option(
    "--wait",
    type=FiniteFloatRange(0, 300),
    default=10.0,
    show_default=True,
    help="Seconds to wait for it to stop.",
)
def kill(*, query_id: str, lake: str | None, token: str | None, wait: float) -> None:
    """Stop the running query QUERY_ID (the process running it interrupts it within a second;
    its caller gets QUERY_KILLED). Exit 1 if it is still running after --wait."""
    with open_gate(lake) as gate:
        admin = caller(gate, token)
        gate.require_admin(admin, "killing queries")
        if not gate.running.request_kill(query_id, by=admin.name):
            raise RastupError(
                ErrorCode.QUERY_NOT_RUNNING,
                f"no query {query_id!r} is running (it finished, or the id is wrong); "
                "see `rastup-data queries running`.",
            )
        deadline = time.monotonic() + wait
        while gate.running.is_running(query_id) and time.monotonic() < deadline:
            time.sleep(0.2)
        stopped = not gate.running.is_running(query_id)
    click.echo(
        f"{query_id}: "
        + ("stopped" if stopped else f"kill requested, still running after {wait:g}s")
    )
    if not stopped:
        raise SystemExit(1)


@queries.command("pin-dashboards")
@lake_option
@token_option
@click.option("--reason", default="", help="Why (recorded with the switch).")
def pin_dashboards(*, lake: str | None, token: str | None, reason: str) -> None:
    """Make every dashboard query read only the BI extracts (datasets.*), never the live
    warehouse, until unpinned: dashboards keep working on the last refresh at no scan cost."""
    with open_gate(lake) as gate:
        admin = caller(gate, token)
        gate.require_admin(admin, "pinning dashboards")
        OpsControls(gate.state).set(PIN_CONTROL, "1", by=admin.name, reason=reason)
    click.echo("dashboards pinned to the extracts (within 2 s in every process)")


@queries.command("unpin-dashboards")
@lake_option
@token_option
def unpin_dashboards(*, lake: str | None, token: str | None) -> None:
    """Let dashboards read the live warehouse and NRT views again."""
    with open_gate(lake) as gate:
        gate.require_admin(caller(gate, token), "unpinning dashboards")
        OpsControls(gate.state).clear(PIN_CONTROL)
    click.echo("dashboards read the live warehouse again")
