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
    """Formats many timestamps quickly: a cached ``YYYY-MM-DDTHH:MM:`` prefix per minute
    plus a precomputed ``SS.mmmZ`` suffix per millisecond of the minute."""

    __slots__ = ("_prefixes", "_suffixes")

    def __init__(self) -> None:
        self._prefixes: dict[int, str] = {}
        self._suffixes = [f"{ms // 1000:02d}.{ms % 1000:03d}Z" for ms in range(60_000)]

    def __call__(self, ms: int) -> str:
        minute, rest = divmod(ms, 60_000)
        prefix = self._prefixes.get(minute)
        if prefix is None:
            prefix = iso_timestamp(minute * 60_000)[:17]
            self._prefixes[minute] = prefix
        return prefix + self._suffixes[rest]
