"""``rastup-data bi``: refresh the BI extracts, their status, and the tiles nobody looks at."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click
import orjson

from rastup_data.bi.boards import load_dashboards
from rastup_data.bi.home import dashboards_dir
from rastup_data.bi.refresh import RefreshLimits, RefreshRequest, refresh_datasets
from rastup_data.bi.schedule import load_schedule
from rastup_data.bi.status import BiStatus, bi_status
from rastup_data.bi.usage import unused_tiles
from rastup_data.config import Settings
from rastup_data.environments import load_profile
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.governance import AuditLog
from rastup_data.lake.existing import existing_lake
from rastup_data.lake.options import lake_option
from rastup_data.state import open_state
from rastup_data.terminal import output_console

__all__ = ["bi"]

_format_option = click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)


@click.group()
def bi() -> None:
    """BI extracts (the datasets dashboards read) and dashboard usage."""


@bi.command("refresh")
@click.argument("datasets", nargs=-1)
@lake_option()
def refresh_command(datasets: tuple[str, ...], lake: str | None) -> None:
    """Refresh DATASETS (default: every scheduled one) from the published build now.

    Each dataset becomes a new Parquet snapshot under the lake's extracts/ and readers
    switch to it atomically; a failure keeps the previous snapshot. Exit 1 if any failed;
    with nothing published yet (no build so far) every dataset is skipped, exit 0.
    """
    layout = existing_lake(lake)
    settings = Settings.from_env(lake=lake)
    schedule = load_schedule(dashboards_dir(settings))
    limits = RefreshLimits.of(load_profile(settings=settings))
    console = output_console(stderr=True)
    with open_state(settings.state_url, lake=layout.root) as state:
        request = RefreshRequest(datasets=datasets, trigger="manual", limits=limits)
        with console.status("refreshing extracts"):
            runs = refresh_datasets(layout, schedule, state, request)
    for run in runs:
        detail = f"{run.rows:,} rows, {run.bytes:,} bytes" if run.ok else run.error
        click.echo(f"{run.dataset:<20} {run.status:<7} {run.duration_ms:8.0f} ms  {detail}")
    failed = [r.dataset for r in runs if r.failed]
    if failed:
        raise RastupError(
            ErrorCode.BI_REFRESH_FAILED,
            f"{len(failed)} of {len(runs)} refresh(es) failed: {', '.join(failed)}; dashboards "
            "keep their previous extracts. To fix this, read the errors above and run "
            "`rastup-data bi refresh` again.",
        )


@bi.command("status")
@lake_option()
@_format_option
def status_command(lake: str | None, fmt: str) -> None:
    """Per dataset: last success, duration, rows, bytes, 30-day success ratio; capacity."""
    layout = existing_lake(lake)
    settings = Settings.from_env(lake=lake)
    schedule = load_schedule(dashboards_dir(settings))
    limits = RefreshLimits.of(load_profile(settings=settings))
    with open_state(settings.state_url, lake=layout.root) as state:
        status = bi_status(layout, schedule, state, limits, datetime.now(UTC))
    if fmt == "json":
        click.echo(orjson.dumps(status.to_json(), option=orjson.OPT_INDENT_2).decode())
        return
    click.echo(_status_table(status))


@bi.command("unused")
@click.option("--days", type=click.IntRange(1, 36_500), default=30, show_default=True)
@lake_option()
@_format_option
def unused_command(days: int, lake: str | None, fmt: str) -> None:
    """Tiles nobody viewed in the last DAYS days (from the query gate's audit log): the
    candidates to prune."""
    layout = existing_lake(lake)
    settings = Settings.from_env(lake=lake)
    boards = load_dashboards(dashboards_dir(settings))
    with open_state(settings.state_url, lake=layout.root) as state:
        unused = unused_tiles(boards, AuditLog(state), now=datetime.now(UTC), days=days)
    if fmt == "json":
        rows = [{"dashboard": board, "tile": tile} for board, tile in unused]
        click.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return
    total = sum(len(b.tiles) for b in boards)
    for board, tile in unused:
        click.echo(f"{board}/{tile}")
    click.echo(f"{len(unused)} of {total} tiles not viewed in {days} days", err=True)


def _status_table(status: BiStatus) -> str:
    document = status.to_json()
    lines = [
        f"mode {document['mode']}; capacity used {status.capacity_used:,} of "
        f"{status.capacity_bytes:,} bytes ({document['capacity']['used_ratio']:.1%})",
        f"{'DATASET':<20} {'LAST SUCCESS':<33} {'MS':>7} {'ROWS':>8} {'BYTES':>10} "
        f"{'OK 30D':>7} {'FAILS':>5}",
    ]
    for row in document["datasets"]:
        lines.append(
            f"{row['dataset']:<20} {row['last_success'] or '-':<33} "
            f"{_num(row['duration_ms'])} {_num(row['rows'], 8)} {_num(row['bytes'], 10)} "
            f"{_ratio(row['success_ratio_30d'])} {row['consecutive_failures']:>5}"
        )
    if status.alerting():
        lines.append(f"{ErrorCode.BI_REFRESH_FAILED.value}: {', '.join(status.alerting())}")
    return "\n".join(lines)


def _num(value: Any, width: int = 7) -> str:
    return f"{'-' if value is None else f'{value:,.0f}':>{width}}"


def _ratio(value: float | None) -> str:
    return f"{'-' if value is None else f'{value:.1%}':>7}"
