"""``rastup-data backfill``: rebuild a date range and publish it, or roll back."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
import orjson

from rastup_data.lake.existing import existing_lake
from rastup_data.lake.options import lake_option, work_dir_option
from rastup_data.transform.backfill import BackfillOptions, BackfillResult, backfill
from rastup_data.transform.build import BuildFailed
from rastup_data.transform.cli import _print_event, _print_failures, _row_text

__all__ = ["backfill_command"]

_DATE = click.DateTime(formats=["%Y-%m-%d"])


@click.command("backfill")
@lake_option()
@work_dir_option
@click.option(
    "--from",
    "start",
    type=_DATE,
    metavar="DATE",
    required=True,
    help="First Bronze received date (YYYY-MM-DD).",
)
@click.option(
    "--to",
    "end",
    type=_DATE,
    metavar="DATE",
    required=True,
    help="Last Bronze received date (inclusive).",
)
@click.option("--dry-run", is_flag=True, help="Rebuild, check and compare, but publish nothing.")
@click.option(
    "--rows",
    type=click.IntRange(0, 1000),
    default=10,
    show_default=True,
    help="Changed rows shown per Gold model and side.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def backfill_command(
    *,
    lake: str | None,
    work_dir: Path | None,
    start: datetime,
    end: datetime,
    dry_run: bool,
    rows: int,
    fmt: str,
) -> None:
    """Rebuild the Silver partitions of Bronze received --from … --to, and only the Gold
    models they feed; run the gates; publish, or roll back on any failure.

    Prints the Gold rows that changed (before → after). Readers keep the published build
    until the new one is complete; --dry-run stops before publishing.
    """
    layout = existing_lake(lake, work_dir)
    options = BackfillOptions(start.date(), end.date(), dry_run=dry_run, sample_rows=rows)
    try:
        result = backfill(layout, options, progress=_print_event if fmt == "text" else None)
    except BuildFailed as exc:
        _print_failures(exc)
        click.secho(
            "rolled back: nothing was published; readers keep the previous build",
            fg="red",
            err=True,
        )
        raise
    if fmt == "json":
        click.echo(orjson.dumps(result.to_json(), option=orjson.OPT_INDENT_2).decode())
        return
    _print_report(result)


def _print_report(result: BackfillResult) -> None:
    changed = ", ".join(result.silver_changed) or "none"
    click.echo(f"Silver re-read: {len(result.silver_rebuilt)} models; changed: {changed}")
    click.echo(f"Gold rebuilt: {', '.join(result.gold_rebuilt) or 'none'} ({result.tests} tests)")
    for diff in result.diffs:
        if not diff.changed:
            click.echo(f"  {diff.relation}: unchanged ({diff.rows_after} rows)")
            continue
        click.echo(
            f"  {diff.relation}: {diff.removed} row(s) replaced or removed, {diff.added} added "
            f"({diff.rows_before} → {diff.rows_after} rows){' — ' + diff.note if diff.note else ''}"
        )
        for row in diff.removed_sample:
            click.secho(f"    - {_row_text(row)}", fg="red")
        for row in diff.added_sample:
            click.secho(f"    + {_row_text(row)}", fg="green")
    if result.published:
        click.secho(
            f"published build {result.build_id} in {result.seconds:.1f}s", fg="green", bold=True
        )
    else:
        click.secho(f"dry run in {result.seconds:.1f}s: nothing published", fg="yellow")
