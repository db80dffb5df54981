"""`rastup-data replay`."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click
import orjson

from rastup_data.lake.existing import existing_lake
from rastup_data.lake.options import lake_option, work_dir_option

__all__ = ["replay"]


@click.command()
@lake_option()
@work_dir_option
@click.option("--code", "codes", multiple=True, help="Only events quarantined with this code.")
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Only quarantine partitions from this date (YYYY-MM-DD).",
)
@click.option(
    "--registry",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Validate against this schema registry (default: the packaged one), e.g. a hotfix.",
)
@click.option(
    "--adapters",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Upgrade old versions with these adapters (default: the packaged ones).",
)
@click.option("--dry-run", is_flag=True, help="Report what would land; write nothing.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def replay(
    *,
    lake: Path | None,
    work_dir: Path | None,
    codes: tuple[str, ...],
    since: datetime | None,
    registry: Path | None,
    adapters: Path | None,
    dry_run: bool,
    fmt: str,
) -> None:
    """Re-validate quarantined events against the current registry and land those that pass."""
    from rastup_data.contracts import load_adapters, load_validator
    from rastup_data.lander.replay import ReplayScope, replay_quarantine
    from rastup_data.privacy.suppression import lake_suppression

    since_day: date | None = since.date() if since else None
    layout = existing_lake(lake, work_dir)
    suppression = lake_suppression(layout)
    report = replay_quarantine(
        layout,
        scope=ReplayScope(frozenset(codes) or None, since_day),
        dry_run=dry_run,
        suppression=suppression,
        validator=load_validator(registry),
        adapters=load_adapters(adapters),
    )
    if fmt == "json":
        click.echo(
            orjson.dumps(
                {
                    "candidates": report.candidates,
                    "landed": report.landed,
                    "already_landed": report.already_landed,
                    "suppressed": report.suppressed,
                    "still_rejected": report.still_rejected,
                    "dry_run": report.dry_run,
                }
            ).decode()
        )
        return
    verb = "would land" if dry_run else "landed"
    click.echo(
        f"{report.candidates} quarantined events considered; {report.landed} {verb}; "
        f"{report.already_landed} already in Bronze; {report.suppressed} suppressed "
        "(erased subjects)"
    )
    for code, count in sorted(report.still_rejected.items()):
        click.echo(f"  still rejected: {count:>8}  {code}")
