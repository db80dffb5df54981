"""The parts of Segment's message format the mapping reads, as msgspec structs.

Decoding into these skips every field the mapping does not read (``traits``, ``library``'s
version, ``device``, …) without building it, which is most of what makes ``/v1/batch``
cheap. A batch keeps each message as its raw bytes (``msgspec.Raw``) so a message can be
decoded, or quarantined as sent, on its own. Leaves are ``Any``: the validator judges
their values; an object where Segment has an object is required (else the message alone is
quarantined).
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = [
    "BATCH_DECODER",
    "MESSAGE_DECODER",
    "SegmentApp",
    "SegmentContext",
    "SegmentLocation",
    "SegmentMessage",
    "SegmentNamed",
    "SegmentReferrer",
    "WireBatch",
]


class SegmentApp(msgspec.Struct):
    name: Any = None
    version: Any = None


class SegmentNamed(msgspec.Struct):
    """``context.library`` and ``context.os``."""

    name: Any = None


class SegmentLocation(msgspec.Struct):
    city: Any = None


class SegmentReferrer(msgspec.Struct):
    type: Any = None


class SegmentContext(msgspec.Struct):
    app: SegmentApp | None = None
    library: SegmentNamed | None = None
    os: SegmentNamed | None = None
    location: SegmentLocation | None = None
    locale: Any = None
    referrer: SegmentReferrer | None = None
    sessionId: Any = None
    rastup: Any = None


class SegmentMessage(msgspec.Struct):
    type: Any = None
    event: Any = None
    properties: Any = None
    userId: Any = None
    anonymousId: Any = None
    previousId: Any = None
    timestamp: Any = None
    originalTimestamp: Any = None
    messageId: Any = None
    context: SegmentContext | None = None
    writeKey: Any = None


class WireBatch(msgspec.Struct):
    """A ``/v1/batch`` body: the messages still encoded, the batch's context, the key."""

    batch: list[msgspec.Raw]
    context: msgspec.Raw | None = None
    writeKey: Any = None


BATCH_DECODER = msgspec.json.Decoder(WireBatch)
MESSAGE_DECODER = msgspec.json.Decoder(SegmentMessage)
CONTEXT_DECODER = msgspec.json.Decoder(SegmentContext)
