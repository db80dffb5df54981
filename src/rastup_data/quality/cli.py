"""`rastup-data quality …`: audit a warehouse file and compare it with golden marts."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
import duckdb
import orjson

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.quality.failure import raise_if_blocking
from rastup_data.quality.gate import run_quality_gates
from rastup_data.quality.golden import compare_marts, load_golden
from rastup_data.quality.report import print_report
from rastup_data.quality.suite import load_suite
from rastup_data.terminal import output_console

__all__ = ["quality"]

_db_option = click.option(
    "--db",
    "db_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="DuckDB warehouse file to read (opened read-only).",
)


def _open(db_path: Path) -> duckdb.DuckDBPyConnection:
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


def _parse_as_of(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"--as-of must be an ISO timestamp like 2026-11-07T23:00:00Z, got {text!r}.",
        ) from None


@click.group()
def quality() -> None:
    """Run the data-quality gates or the golden-mart comparison on a warehouse file."""


@quality.command()
@_db_option
@click.option("--as-of", "as_of", default=None, help="Freshness reference (ISO; default now).")
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
    db_path: Path, as_of: str | None, suite_path: Path | None, fmt: str, show_passed: bool
) -> None:
    """Audit a warehouse; exits with QUALITY_CHECK_FAILED if an error-severity check fails."""
    suite = load_suite(suite_path) if suite_path is not None else None
    moment = _parse_as_of(as_of)
    with _open(db_path) as conn:
        report = run_quality_gates(conn, suite=suite, as_of=moment)
    if fmt == "json":
        click.echo(orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2).decode())
    elif fmt == "text":
        click.echo(report.render(), nl=False)
    else:
        print_report(report, output_console(), show_passed=show_passed)
    raise_if_blocking(report)


@quality.command()
@_db_option
@click.option(
    "--golden",
    "golden_path",
    required=True,
    type=click.Path(exists=True, path_type=Path),
    help="golden.json ({mart: rows} or the simulator's file) or a folder of <mart>.json.",
)
@click.option("--rel-tol", default=1e-9, show_default=True, type=click.FloatRange(min=0))
def compare(db_path: Path, golden_path: Path, rel_tol: float) -> None:
    """Compare the Gold marts of a warehouse with golden rows; exit 1 when they differ."""
    golden = load_golden(golden_path)
    with _open(db_path) as conn:
        comparison = compare_marts(conn, golden, rel_tol=rel_tol)
    click.echo(comparison.render(), nl=False)
    if not comparison.ok:
        raise click.exceptions.Exit(1)
