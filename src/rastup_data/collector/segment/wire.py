"""The parts of Segment's message format the mapping reads, as msgspec structs.

Decoding into these skips every field the mapping does not read (``traits``, ``library``'s
version, ``device``, …) without building it, which is most of what makes ``/v1/batch``
cheap. A batch is decoded whole in one pass (:data:`BATCH_DECODER`); only when a message
does not decode as a Segment message is the batch read again with each message kept as its
raw bytes (:data:`ENCODED_BATCH_DECODER`), so that message alone is quarantined as sent.
Leaves are ``Any``: the validator judges their values; an object where Segment has an
object is required. The structs are not tracked by the cyclic garbage collector
(``gc=False``): decoded JSON holds no cycles.
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = [
    "BATCH_DECODER",
    "CONTEXT_DECODER",
    "ENCODED_BATCH_DECODER",
    "MESSAGE_DECODER",
    "EncodedBatch",
    "SegmentApp",
    "SegmentContext",
    "SegmentLocation",
    "SegmentMessage",
    "SegmentNamed",
    "SegmentReferrer",
    "WireBatch",
]


class SegmentApp(msgspec.Struct, gc=False):
    name: Any = None
    version: Any = None


class SegmentNamed(msgspec.Struct, gc=False):
    """``context.library`` and ``context.os``."""

    name: Any = None


class SegmentLocation(msgspec.Struct, gc=False):
    city: Any = None


class SegmentReferrer(msgspec.Struct, gc=False):
    type: Any = None


class SegmentContext(msgspec.Struct, gc=False):
    app: SegmentApp | None = None
    library: SegmentNamed | None = None
    os: SegmentNamed | None = None
    location: SegmentLocation | None = None
    locale: Any = None
    referrer: SegmentReferrer | None = None
    sessionId: Any = None
    rastup: Any = None


class SegmentMessage(msgspec.Struct, gc=False):
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


class WireBatch(msgspec.Struct, gc=False):
    """A ``/v1/batch`` body: its messages, the batch's own context, the write key."""

    batch: list[SegmentMessage]
    context: SegmentContext | None = None
    writeKey: Any = None


class EncodedBatch(msgspec.Struct, gc=False):
    """A ``/v1/batch`` body with each message (and the batch's context) still encoded."""

    batch: list[msgspec.Raw]
    # Raw cannot be part of a union: no context is the empty Raw.
    context: msgspec.Raw = msgspec.Raw()
    writeKey: Any = None


BATCH_DECODER = msgspec.json.Decoder(WireBatch)
ENCODED_BATCH_DECODER = msgspec.json.Decoder(EncodedBatch)
MESSAGE_DECODER = msgspec.json.Decoder(SegmentMessage)
CONTEXT_DECODER = msgspec.json.Decoder(SegmentContext)
