"""The lander's buffers, widened by an operator while the lander catches up.

When Bronze falls behind (``pipeline_lag``, ``lander_stalled``) the collector refuses new
events once its spool holds ``spool.max_bytes`` or the lander is ``lander_max_backlog``
segments behind (``INGEST_OVERLOADED``), and seals a segment every ``spool.rotate_s``.
``rastup-data lander buffers`` sets operator controls in the state database that every
running collector process applies within two seconds, without a restart:

- ``lander.spool_max_bytes``: the spool holds this much before refusing events;
- ``lander.max_backlog``: the segments the lander may be behind before refusing events;
- ``lander.rotate_s``: seconds between seals (larger segments: fewer, bigger landings).

``--reset`` returns to the configured values.
"""

from __future__ import annotations

from dataclasses import dataclass

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.spool.spool import MAX_ROTATE_S
from rastup_data.state import OpsControls

__all__ = [
    "MAX_BACKLOG",
    "MAX_BYTES",
    "ROTATE_S",
    "Buffers",
    "read_buffers",
    "reset_buffers",
    "widen_buffers",
]

MAX_BYTES = "lander.spool_max_bytes"
MAX_BACKLOG = "lander.max_backlog"
ROTATE_S = "lander.rotate_s"

#: The widest the buffers go: a petabyte of spool, a million segments of backlog.
MOST_BYTES = 2**50
MOST_BACKLOG = 1_000_000


@dataclass(frozen=True, slots=True)
class Buffers:
    """Widened values; ``None``: the collector's configured value."""

    max_bytes: int | None = None
    max_backlog: int | None = None
    rotate_s: float | None = None

    def __post_init__(self) -> None:
        """CONFIG_INVALID for a value past what a running collector can apply: a rotation
        longer than ``MAX_ROTATE_S`` stopped the spool's writer, and the collector with it."""
        for option, value, most, limit in (
            ("--max-bytes", self.max_bytes, MOST_BYTES, "1 PiB"),
            ("--max-backlog", self.max_backlog, MOST_BACKLOG, f"{MOST_BACKLOG:,} segments"),
            ("--rotate", self.rotate_s, MAX_ROTATE_S, f"{MAX_ROTATE_S:g}s"),
        ):
            if value is not None and not 0 < value <= most:
                raise RastupError(
                    ErrorCode.CONFIG_INVALID,
                    f"lander buffers: {option} must be more than 0 and at most {limit}, "
                    f"got {value:,}.",
                )

    def describe(self) -> str:
        parts = [
            f"spool max {self.max_bytes:,} bytes" if self.max_bytes else "",
            f"max backlog {self.max_backlog} segments" if self.max_backlog else "",
            f"rotate every {self.rotate_s:g}s" if self.rotate_s else "",
        ]
        return ", ".join(p for p in parts if p) or "as configured"


def read_buffers(controls: OpsControls) -> Buffers:
    """The buffers operators set (``None`` where they set nothing)."""
    found = {c.name: c.value for c in controls.with_prefix("lander.")}
    return Buffers(
        max_bytes=int(found[MAX_BYTES]) if MAX_BYTES in found else None,
        max_backlog=int(found[MAX_BACKLOG]) if MAX_BACKLOG in found else None,
        rotate_s=float(found[ROTATE_S]) if ROTATE_S in found else None,
    )


def widen_buffers(controls: OpsControls, buffers: Buffers, *, by: str, reason: str) -> Buffers:
    """Set the given values (others keep theirs); the buffers in force afterwards."""
    for name, value in (
        (MAX_BYTES, buffers.max_bytes),
        (MAX_BACKLOG, buffers.max_backlog),
        (ROTATE_S, buffers.rotate_s),
    ):
        if value is not None:
            controls.set(name, str(value), by=by, reason=reason)
    return read_buffers(controls)


def reset_buffers(controls: OpsControls) -> None:
    for name in (MAX_BYTES, MAX_BACKLOG, ROTATE_S):
        controls.clear(name)
