"""What every provider normalizer returns, and small readers of provider payloads."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from rastup_data.errors import ErrorCode, RastupError

__all__ = [
    "CanonicalEvent",
    "Normalized",
    "Normalizer",
    "payload_invalid",
    "read",
    "read_text",
    "timestamp_of",
]


@dataclass(frozen=True, slots=True)
class CanonicalEvent:
    """One catalogue event a provider notification stands for (envelope built later)."""

    event: str
    occurred_at: datetime
    payload: Mapping[str, Any]
    ids: Mapping[str, str] = field(default_factory=dict)
    city: str | None = None


@dataclass(frozen=True, slots=True)
class Normalized:
    """A notification read: the provider's own event id and type, and what it means.

    ``supported`` False: a type this platform does not map (quarantined, acknowledged).
    A supported type may carry no event (e.g. a refund update that is not a success).
    """

    provider_event_id: str
    provider_type: str
    events: tuple[CanonicalEvent, ...] = ()
    supported: bool = True


#: ``(parsed body, delivery id from the headers or None) -> Normalized``.
Normalizer = Callable[[Mapping[str, Any], str | None], Normalized]


def payload_invalid(what: str) -> RastupError:
    return RastupError(ErrorCode.WEBHOOK_PAYLOAD_INVALID, f"notification {what}")


def read(document: Any, *path: str) -> Any:
    """``document[path[0]][path[1]]…``, or None where a step is missing."""
    value = document
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def read_text(document: Any, *path: str, default: str | None = None) -> str:
    """A required string field; WEBHOOK_PAYLOAD_INVALID when it is absent."""
    value = read(document, *path)
    if isinstance(value, str) and value:
        return value
    if default is not None:
        return default
    raise payload_invalid(f"lacks {'.'.join(path)}")


def timestamp_of(value: Any) -> datetime:
    """A provider timestamp (unix seconds or RFC 3339) as an aware UTC datetime."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise payload_invalid("has an unreadable timestamp") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise payload_invalid("lacks a timestamp")
