"""Build an event envelope (DESIGN.md §3.1) the way the collector expects it."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from rastup_data.errors import ErrorCode, RastupError

__all__ = ["ENVELOPE_VERSION", "build_envelope", "rfc3339_utc_ms"]

ENVELOPE_VERSION = 1
_EVENT_NAME = re.compile(r"^[a-z0-9_.]+$")


def rfc3339_utc_ms(moment: datetime) -> str:
    """``2026-11-22T05:31:36.123Z``: UTC, millisecond precision. Naive datetimes are refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise RastupError(
            ErrorCode.EVENT_ENVELOPE_INVALID,
            "occurred_at must be timezone-aware; pass datetime.now(UTC) or an aware datetime.",
        )
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def build_envelope(  # noqa: PLR0913 - public API: one keyword argument per envelope field
    event: str,
    payload: Mapping[str, Any],
    *,
    v: int = 1,
    user_id: str | None = None,
    anon_id: str | None = None,
    session_id: str | None = None,
    context: Mapping[str, Any] | None = None,
    occurred_at: datetime | str | None = None,
    ids: Mapping[str, Any] | None = None,
    default_context: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The envelope dict; ``ids.event_id`` is a new uuid4 unless ``ids`` carries one.

    ``context`` keys override ``default_context`` keys. Optional ids that are None are
    left out; the collector stamps ``received_at``.
    """
    if not isinstance(event, str) or not _EVENT_NAME.match(event):
        raise RastupError(
            ErrorCode.EVENT_ENVELOPE_INVALID,
            f"Event name {event!r} must match ^[a-z0-9_.]+$ (e.g. 'booking.confirmed').",
        )
    if not isinstance(payload, Mapping):
        raise RastupError(
            ErrorCode.EVENT_ENVELOPE_INVALID,
            f"payload of {event!r} must be a mapping, got {type(payload).__name__}.",
        )
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise RastupError(
            ErrorCode.EVENT_ENVELOPE_INVALID, f"v must be an integer >= 1, got {v!r}."
        )
    all_ids = dict(ids or {})
    event_id = all_ids.get("event_id")
    if event_id is None:
        event_id = str(uuid.uuid4())
    else:
        try:
            event_id = str(uuid.UUID(str(event_id)))
        except ValueError:
            raise RastupError(
                ErrorCode.EVENT_ENVELOPE_INVALID,
                f"ids.event_id {event_id!r} is not a UUID; leave it out to get a new one.",
            ) from None
    all_ids["event_id"] = event_id
    if occurred_at is None:
        stamp = rfc3339_utc_ms(datetime.now(UTC))
    elif isinstance(occurred_at, datetime):
        stamp = rfc3339_utc_ms(occurred_at)
    else:
        stamp = str(occurred_at)
    envelope: dict[str, Any] = {"event": event, "v": v, "occurred_at": stamp}
    for name, value in (("user_id", user_id), ("anon_id", anon_id), ("session_id", session_id)):
        if value is not None:
            envelope[name] = value
    envelope["context"] = {**(default_context or {}), **(context or {})}
    envelope["ids"] = all_ids
    envelope["payload"] = dict(payload)
    return envelope
