"""``rastup-data simulate``: write a synthetic marketplace and its golden KPIs."""

from __future__ import annotations

from pathlib import Path

import click

from rastup_data.simulate.config import DEFAULT_START, parse_start
from rastup_data.simulate.runner import simulate as run_simulation

__all__ = ["simulate"]


@click.command("simulate")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write events.ndjson and golden.json into.",
)
@click.option("--seed", default=7, show_default=True, type=int, help="Random seed.")
@click.option("--days", default=7, show_default=True, type=int, help="Days to simulate.")
@click.option(
    "--users",
    default=10_000,
    show_default=True,
    type=int,
    help="People in the population (about 40 events per person per week).",
)
@click.option(
    "--start",
    "start_text",
    default=DEFAULT_START.isoformat(),
    show_default=True,
    help="First simulated day (UTC), YYYY-MM-DD.",
)
@click.option(
    "--progress/--no-progress",
    default=True,
    show_default=True,
    help="Show a progress bar on stderr.",
)
def simulate(
    *, out_dir: Path, seed: int, days: int, users: int, start_text: str, progress: bool
) -> None:
    """Generate a synthetic marketplace: DIR/events.ndjson (as clients send them, with
    duplicates, late, out-of-order and malformed lines) and DIR/golden.json (the Gold
    marts it must produce)."""
    summary = run_simulation(
        out_dir,
        seed=seed,
        days=days,
        users=users,
        start=parse_start(start_text),
        show_progress=progress,
    )
    click.echo(
        f"wrote {summary.sent:,} lines to {summary.events_path} "
        f"({summary.valid:,} valid, {summary.duplicates:,} duplicate sends, "
        f"{summary.malformed:,} malformed) in {summary.seconds:.1f}s "
        f"({summary.events_per_second:,.0f} lines/s); golden KPIs in {summary.golden_path}"
    )
