"""``rastup-data budget status``: the environment's five budgets, used against their limits."""

from __future__ import annotations

import click
import orjson
from rich.table import Table

from rastup_data.budgets.status import ResourceUsage, measure_budgets
from rastup_data.config import Settings
from rastup_data.environments import load_profile
from rastup_data.governance.budget import human_bytes
from rastup_data.lake.layout import LakeLayout
from rastup_data.lake.options import lake_option
from rastup_data.state import open_state
from rastup_data.terminal import output_console, table_title

__all__ = ["budget"]

_STYLE = {"ok": "green", "alarm": "yellow", "over": "bold red"}


@click.group()
def budget() -> None:
    """Budgets of the environment's five billed resources (see docs/operations.md)."""


@budget.command("status")
@lake_option()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def status(*, lake: str | None, fmt: str) -> None:
    """Lake storage, scanned bytes today, build compute today, extract storage and events
    landed today, against the limits of the environment's profile (--env / RASTUP_ENV).

    A resource at or past its profile's alarm share (80 %) is `alarm`, past its limit
    `over`; the alerts `budget_*` fire on the same numbers.
    """
    settings = Settings.from_env(lake=lake)
    profile = load_profile(settings=settings)
    with open_state(settings.state_url, lake=settings.lake) as state:
        report = measure_budgets(LakeLayout(settings.lake), profile, state)
    if fmt == "json":
        click.echo(orjson.dumps(report.to_json(), option=orjson.OPT_INDENT_2).decode())
        return
    table = Table(title=table_title(f"budgets of {report.env} at {report.at:%Y-%m-%d %H:%M} UTC"))
    for column in ("resource", "stands for", "period", "used", "limit", "used %", "state"):
        table.add_column(
            column, justify="right" if column in {"used", "limit", "used %"} else "left"
        )
    for usage in report.usages:
        row = usage.to_json()
        table.add_row(
            usage.resource.value,
            usage.resource.seed_name,
            row["period"],
            _amount(usage, usage.used),
            _amount(usage, usage.limit),
            f"{usage.ratio:.1%}",
            f"[{_STYLE[usage.state]}]{usage.state}[/]",
        )
    output_console().print(table)


def _amount(usage: ResourceUsage, value: float) -> str:
    unit = usage.resource.unit
    if unit == "bytes":
        return human_bytes(int(value))
    if unit == "seconds":
        return f"{value / 3600:,.2f} h" if value >= 3600 else f"{value:,.0f} s"
    return f"{value:,.0f}"
