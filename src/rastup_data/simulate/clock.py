"""Fast RFC 3339 timestamps for epoch milliseconds (UTC)."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["DAY_MS", "TimestampFormatter", "iso_date", "iso_timestamp"]

DAY_MS = 86_400_000


def iso_timestamp(ms: int) -> str:
    """``2026-11-03T14:05:09.123Z`` for epoch milliseconds."""
    seconds, millis = divmod(ms, 1000)
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{millis:03d}Z"


def iso_date(ms: int) -> str:
    """The UTC date of epoch milliseconds, ``YYYY-MM-DD``."""
    return datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%d")


class TimestampFormatter:
    """Formats many timestamps quickly by caching the date prefix of each day."""

    __slots__ = ("_prefixes",)

    def __init__(self) -> None:
        self._prefixes: dict[int, str] = {}

    def __call__(self, ms: int) -> str:
        day, rest = divmod(ms, DAY_MS)
        prefix = self._prefixes.get(day)
        if prefix is None:
            prefix = iso_date(day * DAY_MS) + "T"
            self._prefixes[day] = prefix
        seconds, millis = divmod(rest, 1000)
        minutes, second = divmod(seconds, 60)
        hour, minute = divmod(minutes, 60)
        return f"{prefix}{hour:02d}:{minute:02d}:{second:02d}.{millis:03d}Z"
