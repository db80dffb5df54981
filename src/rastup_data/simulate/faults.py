"""Malformed-event classes: how a buggy or careless client breaks an event.

Each class turns a well-formed envelope into a line a validator must reject. Classes that
need a particular field (an enum, a free-text field) apply only to events that have one.
"""

from __future__ import annotations

import random
from typing import Any

import orjson

__all__ = [
    "ENUM_FIELDS",
    "FREE_TEXT_FIELDS",
    "MALFORMED_CLASSES",
    "UNKNOWN_EVENT_NAMES",
    "malformed_applies",
    "malformed_line",
]

MALFORMED_CLASSES: tuple[str, ...] = (
    "not_json",
    "missing_field",
    "bad_enum",
    "unknown_event",
    "pii",
)

#: Payload fields with a closed set of values, per event (from the event catalogue).
ENUM_FIELDS: dict[str, str] = {
    "session.started": "entry",
    "user.signed_up": "role",
    "search.impression": "listing_type",
    "search.click": "listing_type",
    "profile.viewed": "source",
    "checkout.start": "listing_type",
    "booking.leg.confirmed": "provider_type",
    "booking.leg.cancelled": "cancelled_by",
    "payment.fee.recorded": "fee_type",
    "dispute.resolved": "outcome",
    "bgcheck.completed": "result",
    "risk.scored": "bucket",
    "comms.sent": "category",
    "comms.bounced": "bounce_type",
    "exp.exposure": "unit_type",
}

#: Free-text payload fields people type into, per event.
FREE_TEXT_FIELDS: dict[str, str] = {
    "booking.leg.cancelled": "reason",
    "payment.refund.succeeded": "reason",
    "dispute.opened": "reason",
    "studio.verification_failed": "reason",
    "comms.digest_suppressed": "reason",
    "comms.sent": "template",
}

UNKNOWN_EVENT_NAMES: tuple[str, ...] = (
    "booking.teleported",
    "search.hovered",
    "profile.liked",
    "checkout.abandoned_v0",
)

_BAD_ENUM_VALUES: tuple[str, ...] = ("unknown", "Other", "n/a")
_PII_TEXTS: tuple[str, ...] = (
    "client asked to be reached at jordan.lee@example.com instead",
    "please call me on +1 415 555 0137 about the booking",
    "contact maria.gomez@example.org for the key",
    "text (212) 555-0188 when you arrive",
)


def malformed_applies(kind: str, name: str) -> bool:
    """Whether class ``kind`` can break an event called ``name``."""
    if kind == "bad_enum":
        return name in ENUM_FIELDS
    if kind == "pii":
        return name in FREE_TEXT_FIELDS
    return True


def malformed_line(kind: str, envelope: dict[str, Any], rng: random.Random) -> bytes | None:
    """The envelope broken in the way ``kind`` says, or None if that class does not apply."""
    name = envelope["event"]
    payload = envelope["payload"]
    if kind == "not_json":
        line = orjson.dumps(envelope)
        return line[: max(1, len(line) // 2 + rng.randrange(-8, 8))]
    if kind == "missing_field":
        broken = dict(payload)
        del broken[next(iter(broken))]
        return orjson.dumps(envelope | {"payload": broken})
    if kind == "bad_enum":
        field = ENUM_FIELDS.get(name)
        if field is None:
            return None
        value = _BAD_ENUM_VALUES[rng.randrange(len(_BAD_ENUM_VALUES))]
        return orjson.dumps(envelope | {"payload": payload | {field: value}})
    if kind == "unknown_event":
        unknown = UNKNOWN_EVENT_NAMES[rng.randrange(len(UNKNOWN_EVENT_NAMES))]
        return orjson.dumps(envelope | {"event": unknown})
    if kind == "pii":
        field = FREE_TEXT_FIELDS.get(name)
        if field is None:
            return None
        text = _PII_TEXTS[rng.randrange(len(_PII_TEXTS))]
        return orjson.dumps(envelope | {"payload": payload | {field: text}})
    raise ValueError(f"unknown malformed class {kind!r}")
