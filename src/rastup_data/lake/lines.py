"""Read the lines of a line source (a file, a ``.gz`` file, stdin) with their numbers.

A source that breaks while being read (a truncated or corrupt ``.gz``, a read error) is one
refusal wherever lines are read: CONFIG_INVALID saying which source and how far it was read,
never a traceback. `rastup-data send` and `rastup-data lake load` differ only in the hint.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

from rastup_data.errors import ErrorCode, RastupError

__all__ = ["numbered_lines"]


def numbered_lines(
    lines: Iterable[bytes], *, source: str, hint: str
) -> Iterator[tuple[int, bytes]]:
    """``(line number, line)`` from 1; a read failure raises CONFIG_INVALID
    "cannot read ``source`` at line N: <reason>." with ``hint``."""
    iterator = iter(lines)
    number = 0
    while True:
        try:
            line = next(iterator)
        except StopIteration:
            return
        except (EOFError, OSError, zlib.error) as exc:
            raise RastupError(
                ErrorCode.CONFIG_INVALID,
                f"cannot read {source} at line {number + 1:,}: {exc}.",
                hint=hint,
            ) from None
        number += 1
        yield number, line
