"""``occurred_at`` as Bronze can hold it: RFC 3339 normalised, the rest refused.

The envelope's ``date-time`` format accepts all of RFC 3339, including forms the lake's
TIMESTAMPTZ cannot read: a leap second (``23:59:60``), a lowercase ``t``/``z``, year
``0000``. Those landed as NULL (or as 1 BC), losing a value the client sent. Here such a
value is rewritten to the same instant in UTC (``YYYY-MM-DDTHH:MM:SS.ffffffZ``), a leap
second as the last microsecond of its minute (so it keeps its day and its order), and a
value outside years 0001–9999 in UTC is refused.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

__all__ = ["normalise_timestamp", "plain_timestamp"]

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})\Z"
)


def plain_timestamp(text: str) -> bool:
    """True for a format-valid RFC 3339 text that the lake reads as it is (the hot path):
    an uppercase ``T``/``Z``, no leap second, a year strictly between 0001 and 9999 (so no
    offset can move it out of range)."""
    return (
        text[10] == "T" and text[-1] != "z" and text[17:19] != "60" and "0001" < text[:4] < "9999"
    )


def normalise_timestamp(text: str) -> str | None:
    """The same instant as canonical UTC text, or None when it is not one the lake holds."""
    match = _RFC3339.match(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    fraction, zone = match.group(7), match.group(8)
    leap = second == 60
    microsecond = 999_999 if leap else int((fraction or "0")[:6].ljust(6, "0"))
    tz = UTC if zone in ("Z", "z") else _offset(zone)
    try:
        local = datetime(year, month, day, hour, minute, 59 if leap else second, microsecond, tz)
        moment = local.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:"
        f"{moment.minute:02d}:{moment.second:02d}.{moment.microsecond:06d}Z"
    )


def _offset(zone: str) -> timezone:
    sign = -1 if zone[0] == "-" else 1
    return timezone(sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
