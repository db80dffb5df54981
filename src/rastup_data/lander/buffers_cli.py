"""``rastup-data lander buffers``: widen the collector's spool buffers while the lander
catches up (see :mod:`rastup_data.lander.buffers`); ``lander drain``: land a spool no
running collector lands."""

from __future__ import annotations

import getpass
from pathlib import Path

import click

from rastup_data.config import Settings
from rastup_data.environments.document import DocumentChecker
from rastup_data.errors import ErrorCode
from rastup_data.lake.existing import existing_lake
from rastup_data.lake.options import lake_option, work_dir_option
from rastup_data.lander.buffers import Buffers, read_buffers, reset_buffers, widen_buffers
from rastup_data.state import OpsControls, open_state

__all__ = ["lander"]


@click.group()
def lander() -> None:
    """The lander (spool → Bronze): widen its buffers, land a stranded spool."""


@lander.command("buffers")
@click.option("--max-bytes", default=None, help="Spool bytes held before refusing events (8 GB).")
@click.option(
    "--max-backlog",
    type=click.IntRange(1),
    default=None,
    help="Segments the lander may be behind before refusing events.",
)
@click.option("--rotate", default=None, help="Seconds between segment seals (2s, 500ms).")
@click.option("--reset", is_flag=True, help="Back to the collector's configured buffers.")
@click.option("--reason", default="", help="Why (recorded with the change).")
@lake_option()
def buffers(
    *,
    max_bytes: str | None,
    max_backlog: int | None,
    rotate: str | None,
    reset: bool,
    reason: str,
    lake: str | None,
) -> None:
    """Show, widen or --reset the lander's buffers; running collectors apply a change
    within 2 s (no restart). Without options: the buffers in force."""
    check = DocumentChecker("lander buffers", ErrorCode.CONFIG_INVALID)
    wanted = Buffers(
        max_bytes=None if max_bytes is None else check.size(max_bytes, "--max-bytes"),
        max_backlog=max_backlog,
        rotate_s=None if rotate is None else check.duration(rotate, "--rotate"),
    )
    settings = Settings.from_env(lake=lake)
    with open_state(settings.state_url, lake=settings.lake) as state:
        controls = OpsControls(state)
        if reset:
            reset_buffers(controls)
        if wanted != Buffers():
            widen_buffers(controls, wanted, by=getpass.getuser(), reason=reason)
        now = read_buffers(controls)
    click.echo(f"lander buffers: {now.describe()}")


@lander.command("drain")
@lake_option()
@work_dir_option
def drain(*, lake: str | None, work_dir: Path | None) -> None:
    """Land every sealed spool segment of this node now (each worker's folder), for when
    no `serve` runs here to do it (its lander died or the collector is stopped). Landing
    is idempotent: a segment already in the manifest is only removed."""
    from rastup_data.lander.worker import LanderWorker

    layout = existing_lake(lake, work_dir)
    spool = layout.spool
    folders = [spool, *sorted(p for p in spool.glob("w*") if p.is_dir())]
    landed = sum(LanderWorker(layout, folder).land_pending() for folder in folders)
    click.echo(f"landed {landed} segment(s) from {len(folders)} spool folder(s)")
