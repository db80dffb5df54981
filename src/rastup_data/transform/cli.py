"""``rastup-data build``: Silver and Gold behind quality gates, with progress output; with
``--target spark`` the same models on local Spark."""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from rastup_data.config import resolve_lake
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.lake.existing import existing_lake
from rastup_data.lake.layout import LakeLayout
from rastup_data.lake.options import lake_option, work_dir_option
from rastup_data.transform.build import (
    BuildEvent,
    BuildFailed,
    BuildOptions,
    CheckFailure,
    prepare_build,
)
from rastup_data.transform.build import build as run_build

__all__ = ["build"]

_STATUS_STYLE = {"success": "green", "pass": "green", "warn": "yellow"}


@click.command()
@lake_option()
@work_dir_option
@click.option(
    "--from",
    "start",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    metavar="DATE",
    default=None,
    help="Re-read Bronze partitions from this received date (YYYY-MM-DD).",
)
@click.option(
    "--to",
    "end",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    metavar="DATE",
    default=None,
    help="Re-read Bronze partitions up to this received date (inclusive).",
)
@click.option("--full-refresh", is_flag=True, help="Rebuild every model from all of Bronze.")
@click.option(
    "--lookback-days",
    type=click.IntRange(min=0),
    default=3,
    show_default=True,
    help="Bronze days re-read before the newest loaded partition.",
)
@click.option(
    "--target",
    type=click.Choice(["duckdb", "spark"]),
    default="duckdb",
    show_default=True,
    help="Engine: duckdb (write-audit-publish into the lake's warehouse) or spark (local "
    "Spark, a full rebuild into <work>/spark/warehouse; see docs/scale-out.md).",
)
@click.option(
    "--parse-only",
    is_flag=True,
    help="Only parse the dbt project into this machine's cache ($RASTUP_CACHE_DIR), so that "
    "later builds start without parsing it; the lake need not exist yet. For images and CI "
    "runners.",
)
@click.option(
    "--into-environment",
    is_flag=True,
    help="With --parse-only: make the parse in this Python environment's cache "
    "($RASTUP_INSTALL_CACHE_DIR, default <prefix>/share/rastup-data) instead, where every "
    "user's first build starts from a copy of it. `make setup` runs it after installing.",
)
def build(
    *,
    start: datetime | None,
    end: datetime | None,
    lake: str | None,
    work_dir: Path | None,
    full_refresh: bool,
    lookback_days: int,
    target: str,
    parse_only: bool,
    into_environment: bool,
) -> None:
    """Build Silver and Gold, run dbt tests and quality gates, and publish atomically.

    Readers keep the previous build until every error-severity check passes.
    """
    if into_environment and not parse_only:
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            "--into-environment only says where --parse-only puts the parse. To fix this, "
            "add --parse-only.",
        )
    if parse_only:
        _parse_only(
            LakeLayout(resolve_lake(lake), work_dir), target, into_environment=into_environment
        )
        return
    layout = existing_lake(lake, work_dir)
    click.echo(f"lake {layout.root}")
    if target == "spark":
        _build_on_spark(layout, ranged=start is not None or end is not None)
        return
    try:
        result = run_build(
            layout,
            BuildOptions(
                start=_day(start),
                end=_day(end),
                full_refresh=full_refresh,
                lookback_days=lookback_days,
            ),
            progress=_print_event,
        )
    except BuildFailed as exc:
        _print_failures(exc)
        raise
    models = len(result.models)
    click.echo(
        f"{models} models, {len(result.tests)} tests in {result.seconds:.1f}s"
        + (
            f"; {len(result.warnings)} warning(s): {', '.join(result.warnings)}"
            if result.warnings
            else ""
        )
    )
    if result.nrt is not None:
        click.echo(f"NRT views refreshed ({result.nrt.freshness.snapshot_id})")
    click.secho(f"published build {result.build_id}", fg="green", bold=True)


def _parse_only(layout: LakeLayout, target: str, *, into_environment: bool) -> None:
    if target == "spark":
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            "--parse-only prepares DuckDB builds; a Spark build parses the project with "
            "Spark's adapter each time. To fix this, drop --target spark.",
        )
    if into_environment:
        click.echo("parsing the dbt project into this environment")
    else:
        click.echo(f"parsing the dbt project for builds of {layout.root}")
    began = time.monotonic()
    manifest = prepare_build(layout, into_environment=into_environment)
    who = "every user of this environment" if into_environment else "this machine"
    click.secho(
        f"parsed into {manifest.parent} in {time.monotonic() - began:.1f}s; builds of {who} "
        "start without parsing the project",
        fg="green",
    )


def _build_on_spark(layout: LakeLayout, *, ranged: bool) -> None:
    from rastup_data.transform.spark import build_on_spark

    if ranged:
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            "--from/--to re-read a window into the DuckDB warehouse; a Spark build is always "
            "a full rebuild. To fix this, drop --from/--to or the --target spark.",
        )
    try:
        result = build_on_spark(layout, progress=_print_event)
    except BuildFailed as exc:
        _print_failures(exc)
        raise
    click.echo(f"{len(result.models)} models, {len(result.tests)} tests in {result.seconds:.1f}s")
    click.secho(f"built on Spark into {result.warehouse}", fg="green", bold=True)


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


def _print_event(event: BuildEvent) -> None:
    if event.stage == "published":
        return
    if event.node is not None:
        style = _STATUS_STYLE.get(event.node.status, "red")
        click.secho(f"  {event.text}", fg=style if style != "green" else None)
        return
    click.echo(event.text)


def _print_failures(exc: BuildFailed) -> None:
    for failure in exc.failures:
        _print_failure(failure)


def _print_failure(failure: CheckFailure) -> None:
    click.secho(
        f"FAILED {failure.source} check {failure.name}: {failure.message}", fg="red", err=True
    )
    for row in failure.sample_rows:
        click.echo(f"    {_row_text(row)}", err=True)


def _row_text(row: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in row.items())
