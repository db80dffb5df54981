"""Command-line options shared by the commands that touch the lake and the work folder."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["work_dir_option"]

work_dir_option = click.option(
    "--work-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="This machine's work folder: spool, state, staging builds, local Spark's tables "
    "(default: $RASTUP_WORK_DIR, else <lake>/_node; ./rastup-work for an s3:// lake).",
)
