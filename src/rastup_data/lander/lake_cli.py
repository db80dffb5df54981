"""`rastup-data lake …`: inspect, load and compact the lake.

It lives with the lander because `lake load` lands files; the lake package below it never
imports the lander."""

from __future__ import annotations

import gzip
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import click
import orjson
from rich.table import Table

from rastup_data.config import resolve_lake
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.lake.compaction import TARGET_BYTES, compact_lake
from rastup_data.lake.existing import existing_lake
from rastup_data.lake.layout import LakeLayout
from rastup_data.lake.lines import numbered_lines
from rastup_data.lake.options import lake_option, work_dir_option
from rastup_data.terminal import output_console, table_title

__all__ = ["lake"]

_lake_option = lake_option("lake_dir")


@click.group()
def lake() -> None:
    """Inspect and maintain the lake (Bronze events and quarantine)."""


@lake.command()
@_lake_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def stats(lake_dir: Path | None, fmt: str) -> None:
    """Partitions, files, rows and bytes per table; quarantine counts by code."""
    from rastup_data.lake.stats import lake_stats, quarantine_codes

    layout = existing_lake(lake_dir)
    parts = lake_stats(layout)
    codes = quarantine_codes(layout)
    if fmt == "json":
        click.echo(
            orjson.dumps(
                {
                    "partitions": [
                        p.__dict__
                        if hasattr(p, "__dict__")
                        else {
                            "table": p.table,
                            "dt": p.dt,
                            "files": p.files,
                            "rows": p.rows,
                            "bytes": p.bytes,
                        }
                        for p in parts
                    ],
                    "quarantine_codes": codes,
                }
            ).decode()
        )
        return
    table = Table(title=table_title(f"lake {layout.root}"))
    for column in ("table", "dt", "files", "rows", "bytes"):
        table.add_column(
            column, justify="right" if column in ("files", "rows", "bytes") else "left"
        )
    for p in parts:
        table.add_row(p.table, p.dt, str(p.files), f"{p.rows:,}", f"{p.bytes:,}")
    console = output_console()
    console.print(table)
    if codes:
        console.print("quarantine by code: " + ", ".join(f"{c}={n}" for c, n in codes.items()))


@lake.command()
@_lake_option
@click.option(
    "--date",
    "dates",
    multiple=True,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Only this dt (YYYY-MM-DD); repeatable.",
)
@click.option(
    "--min-files",
    default=2,
    show_default=True,
    type=click.IntRange(2),
    help="Merge a partition only when it has at least this many small files.",
)
@click.option(
    "--target-mb",
    default=TARGET_BYTES // 2**20,
    show_default=True,
    type=click.IntRange(1),
    help="Files of this many MiB or more are left as they are; the smaller ones of a "
    "partition are merged into one.",
)
@work_dir_option
def compact(
    lake_dir: Path | None,
    dates: tuple[datetime, ...],
    min_files: int,
    target_mb: int,
    work_dir: Path | None,
) -> None:
    """Merge each partition's small files into one, atomically (row counts unchanged).

    The lander writes a file per spool segment; the schedule's `compaction` job runs this
    every hour (docs/operations.md).
    """
    layout = existing_lake(lake_dir, work_dir)
    results = compact_lake(
        layout,
        dates={d.date().isoformat() for d in dates} or None,
        min_files=min_files,
        target_bytes=target_mb * 2**20,
        on_partition=lambda p: click.echo(f"compacting {p}", err=True),
    )
    for r in results:
        click.echo(
            f"{r.partition}: {r.files_before} files -> {r.files_after}, {r.rows:,} rows, "
            f"{r.bytes_before:,} -> {r.bytes_after:,} bytes"
        )
    if not results:
        click.echo("nothing to compact")


#: `lake load` says how far it got every this many lines (on stderr).
PROGRESS_EVERY = 100_000

#: What `lake load` says after its file broke while read (the refusal is `lake.lines`'s).
_BROKEN_FILE_HINT = (
    "Lines before it may be landed already (in chunks of 50,000). Fix the file and "
    "load it again; the same --name rewrites what a load under that name landed."
)


def _open_lines(path: str, on_progress: Callable[[int], None]) -> Iterator[bytes]:
    """The lines of ``path`` (``-``: stdin; ``*.gz``: decompressed), calling ``on_progress``
    with the count every ``PROGRESS_EVERY`` lines; a file that breaks while read (a truncated
    or corrupt .gz, a read error) is CONFIG_INVALID saying where."""
    for number, line in numbered_lines(_raw_lines(path), source=path, hint=_BROKEN_FILE_HINT):
        yield line
        if number % PROGRESS_EVERY == 0:
            on_progress(number)


def _raw_lines(path: str) -> Iterator[bytes]:
    if path == "-":
        yield from sys.stdin.buffer
    elif path.endswith(".gz"):
        with gzip.open(path, "rb") as compressed:
            yield from compressed
    else:
        with open(path, "rb") as plain:
            yield from plain


@lake.command()
@_lake_option
@work_dir_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--name", default=None, help="File-name prefix; reloading under it is idempotent.")
def load(lake_dir: Path | None, work_dir: Path | None, file: str, name: str | None) -> None:
    """Validate and land an NDJSON file straight into Bronze (no collector needed); says on
    stderr every 100,000 lines how far it got."""
    from rastup_data.lander.direct import land_ndjson
    from rastup_data.privacy.suppression import lake_suppression

    layout = LakeLayout(resolve_lake(lake_dir), work_dir)
    suppression = lake_suppression(layout)
    lines = _open_lines(file, lambda n: click.echo(f"  {n:,} lines read", err=True))
    try:
        result = land_ndjson(layout, lines, name=name, suppression=suppression)
    except OSError as exc:  # the input's own read errors are CONFIG_INVALID already
        raise RastupError(
            ErrorCode.LAND_FAILED,
            f"cannot write to the lake at {layout.root}: {exc}.",
            hint="Check that --lake is a lake folder (bronze/ a folder, not a file), its disk "
            "space and permissions; then load the file again (the same --name rewrites).",
        ) from None
    click.echo(
        f"{result.lines:,} lines: {result.accepted:,} landed, "
        f"{result.duplicates:,} duplicates, {result.rejected:,} quarantined, "
        f"{result.suppressed:,} suppressed (erased subjects)"
    )
    for code, count in sorted(result.codes.items()):
        click.echo(f"  {count:>8}  {code}")


@lake.command()
@_lake_option
@work_dir_option
@click.option(
    "--dry-run", is_flag=True, help="Print what would go and how many bytes; delete nothing."
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def lifecycle(*, lake_dir: Path | None, work_dir: Path | None, dry_run: bool, fmt: str) -> None:
    """Apply each store's retention (governance/privacy.yaml): Bronze, quarantine, extracts,
    landed spool segments, warehouse builds, audit records. Rows of subjects under a legal
    hold outlive their retention; every deletion is recorded in the manifest."""
    from rastup_data.privacy import Actor, open_privacy
    from rastup_data.privacy.retention import run_lifecycle

    progress = None if fmt == "json" else (lambda line: click.echo(f"  {line}", err=True))
    with open_privacy(lake_dir, work_dir=work_dir, actor=Actor("lifecycle")) as ctx:
        report = run_lifecycle(ctx, dry_run=dry_run, progress=progress)
    if fmt == "json":
        click.echo(orjson.dumps(report.to_json(), option=orjson.OPT_INDENT_2).decode())
        return
    verb = "would delete" if dry_run else "deleted"
    for store in report.stores:
        kept = (
            f", {store.rows_kept_for_holds:,} held rows kept" if store.files_kept_for_holds else ""
        )
        records = f", {store.records_deleted:,} records" if store.records_deleted else ""
        click.echo(
            f"{store.store:<12} ({store.retention}): {verb} {store.files_deleted:,} file(s), "
            f"{store.bytes_deleted:,} bytes{kept}{records}"
        )
    click.echo(
        f"run {report.run_id}: {verb} {report.bytes_deleted:,} bytes in {report.seconds:.1f}s"
    )
