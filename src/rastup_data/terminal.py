"""Rich consoles for command output: a terminal's own width, or unwrapped text when piped.

Piped into a file, a pager or a CI log, rich would assume 80 columns and cut table cells
(``checkout_co…``) and break long lines such as a command printed for copying. Off a
terminal the consoles made here are wide enough that nothing wraps and print no colour.
"""

from __future__ import annotations

from typing import IO

from rich.console import Console
from rich.text import Text

__all__ = ["PLAIN_WIDTH", "output_console", "table_title"]

#: Columns assumed when the output is not a terminal: no table cell or line is cut.
PLAIN_WIDTH = 10_000


def output_console(*, stderr: bool = False, file: IO[str] | None = None) -> Console:
    """A console for stdout (or stderr, or ``file``) that wraps only on a terminal."""
    console = Console(stderr=stderr, file=file)
    if console.is_terminal:
        return console
    return Console(stderr=stderr, file=file, width=PLAIN_WIDTH)


def table_title(text: str) -> Text:
    """A table title printed whole on one line, however narrow the table under it."""
    return Text(text, no_wrap=True, overflow="ignore")
