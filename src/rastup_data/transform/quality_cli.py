"""``rastup-data quality …``: audit a warehouse with the gates, compare Gold with golden marts.

It lives with the warehouse, not in ``rastup_data.quality``: the default suite is derived
from the dbt project's manifest and the lake's Bronze, which this package knows and the
gate library does not.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import click
import duckdb
import orjson

from rastup_data.config import FiniteFloatRange, resolve_lake
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.lake.existing import existing_lake
from rastup_data.lake.layout import LakeLayout
from rastup_data.lake.options import lake_option, work_dir_option
from rastup_data.quality import (
    QualityCatalog,
    compare_marts,
    load_golden,
    load_suite,
    print_report,
    raise_if_blocking,
)
from rastup_data.terminal import output_console
from rastup_data.transform._gates import gate_report
from rastup_data.transform.manifest import current_manifest_path, load_manifest, project_manifest
from rastup_data.transform.published import open_published

__all__ = ["quality"]

_db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="A DuckDB warehouse file to read (opened read-only) instead of the lake's build.",
)
_lake_option = lake_option(
    help_text="Lake whose published build (and Bronze) to audit: a folder or "
    "s3://BUCKET/PREFIX (default: $RASTUP_LAKE, else ./lake)."
)


def _open_file(db_path: Path) -> duckdb.DuckDBPyConnection:
    if not db_path.is_file():
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"no warehouse file at {db_path}. To fix this, pass the path of a built DuckDB file.",
        )
    try:
        return duckdb.connect(str(db_path), read_only=True)
    except duckdb.Error as exc:
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"cannot open {db_path} as a DuckDB warehouse: {exc}",
        ) from exc


@contextmanager
def _warehouse(db_path: Path | None, layout: LakeLayout) -> Iterator[duckdb.DuckDBPyConnection]:
    conn = _open_file(db_path) if db_path is not None else open_published(layout, with_nrt=False)
    layout.lake.register_duckdb(conn)
    try:
        yield conn
    finally:
        conn.close()


def _catalog(manifest: Path | None, db_path: Path | None, layout: LakeLayout) -> QualityCatalog:
    """The suite's catalog: the given manifest, else the lake's; a bare --db file has no
    lake, so its Bronze checks are left out."""
    lake = layout.lake.uri()
    if manifest is not None:
        return QualityCatalog.from_project(load_manifest(manifest), lake=lake)
    if db_path is None:
        return QualityCatalog.from_project(load_manifest(current_manifest_path(layout)), lake=lake)
    return QualityCatalog.from_project(project_manifest()).without_sources()


def _layout(lake: str | None, work_dir: Path | None, db_path: Path | None) -> LakeLayout:
    """The lake; one that does not exist is LAKE_NOT_FOUND unless a --db file is read."""
    if db_path is None:
        return existing_lake(lake, work_dir)
    return LakeLayout(resolve_lake(lake), work_dir)


def _parse_as_of(text: str | None) -> datetime | None:
    if text is None:
        return None
    if text.strip().lower() == "now":
        return datetime.now(UTC)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"--as-of must be an ISO timestamp like 2026-11-07T23:00:00Z, or now; got {text!r}.",
        ) from None


#: What a failed audit means: the command only reads the warehouse.
_AUDIT_FAILED = (
    "The warehouse audited is unchanged (this command only reads it). To fix this, inspect the "
    "sample rows in the report, fix the data or the model, and rebuild."
)


@click.group()
def quality() -> None:
    """Run the data-quality gates or the golden-mart comparison on a warehouse."""


@quality.command()
@_db_option
@_lake_option
@work_dir_option
@click.option(
    "--manifest",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="dbt manifest.json the default suite is derived from (default: the lake's).",
)
@click.option(
    "--as-of",
    "as_of",
    default=None,
    metavar="ISO|now",
    help="What freshness is measured against: a timestamp, or now for the wall clock "
    "(default: the data's own clock, as the build's gate judges: Silver's newest event, and "
    "Bronze's newest for Bronze's checks).",
)
@click.option(
    "--suite",
    "suite_path",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="YAML suite to run instead of the default suite.",
)
@click.option("--format", "fmt", type=click.Choice(["table", "text", "json"]), default="table")
@click.option("--show-passed", is_flag=True, help="List passed checks too (table format).")
def check(
    *,
    db_path: Path | None,
    lake: str | None,
    work_dir: Path | None,
    manifest: Path | None,
    as_of: str | None,
    suite_path: Path | None,
    fmt: str,
    show_passed: bool,
) -> None:
    """Audit a warehouse; exits with QUALITY_CHECK_FAILED if an error-severity check fails.

    Without --suite the checks are the default suite of docs/quality.md, derived from the
    dbt project's manifest. dbt's own data tests run in `rastup-data build`, not here.
    Without --as-of the verdict is the build's gate's on the same data.
    """
    layout = _layout(lake, work_dir, db_path)
    suite = load_suite(suite_path) if suite_path is not None else None
    moment = _parse_as_of(as_of)
    with _warehouse(db_path, layout) as conn:
        catalog = _catalog(manifest, db_path, layout) if suite is None else QualityCatalog(())
        report = gate_report(conn, catalog, suite, as_of=moment)
    if fmt == "json":
        click.echo(orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2).decode())
    elif fmt == "text":
        click.echo(report.render(), nl=False)
    else:
        print_report(report, output_console(), show_passed=show_passed)
    raise_if_blocking(report, consequence=_AUDIT_FAILED)


@quality.command()
@_db_option
@_lake_option
@work_dir_option
@click.option(
    "--golden",
    "golden_path",
    required=True,
    type=click.Path(exists=True, path_type=Path),
    help="golden.json ({mart: rows} or the simulator's file) or a folder of <mart>.json.",
)
@click.option("--rel-tol", default=1e-9, show_default=True, type=FiniteFloatRange(min=0))
def compare(
    *,
    db_path: Path | None,
    lake: str | None,
    work_dir: Path | None,
    golden_path: Path,
    rel_tol: float,
) -> None:
    """Compare the Gold marts of a warehouse with golden rows; exit 1 when they differ."""
    golden = load_golden(golden_path)
    with _warehouse(db_path, _layout(lake, work_dir, db_path)) as conn:
        comparison = compare_marts(conn, golden, rel_tol=rel_tol)
    click.echo(comparison.render(), nl=False)
    if not comparison.ok:
        raise click.exceptions.Exit(1)
