"""Command-line options shared by the commands that touch the lake and the work folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

__all__ = ["LAKE_HELP", "lake_option", "work_dir_option"]

_Command = TypeVar("_Command", bound=Callable[..., Any])

LAKE_HELP = "Lake root: a folder or s3://BUCKET/PREFIX (default: $RASTUP_LAKE, else ./lake)."


def lake_option(*names: str, help_text: str = LAKE_HELP) -> Callable[[_Command], _Command]:
    """``--lake DIR|URL`` (default None: the command resolves $RASTUP_LAKE, else ./lake);
    ``names`` adds the parameter's name when it is not ``lake`` (e.g. ``"lake_dir"``)."""
    return click.option(
        "--lake",
        *names,
        type=click.Path(file_okay=False),
        metavar="DIR|URL",
        default=None,
        help=help_text,
    )


work_dir_option = click.option(
    "--work-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="This machine's work folder: spool, state, staging builds, local Spark's tables "
    "(default: $RASTUP_WORK_DIR, else <lake>/_node; ./rastup-work for an s3:// lake).",
)
