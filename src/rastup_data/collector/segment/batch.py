"""A Segment-API request body as prevalidated events: decode, map, validate.

``POST /v1/batch`` takes ``{"batch": [message, …], "sentAt": …, "context": …}``; the
single-message paths (``/v1/track`` …) take one message. The write key may travel in the
body (``writeKey``), so it is read here and checked by the route before anything is kept.
:class:`SegmentBody` is the request's CPU work, run inline or in a validation worker.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import msgspec
import orjson

from rastup_data.collector.segment.mapping import SegmentMapping, quarantined
from rastup_data.collector.segment.wire import (
    BATCH_DECODER,
    CONTEXT_DECODER,
    MESSAGE_DECODER,
    SegmentContext,
)
from rastup_data.collector.validation_pool import BodyError
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.ingest.acceptance import EventCheck, Prevalidated, RejectedItem, prevalidate
from rastup_data.ingest.limits import IngestLimits

__all__ = ["SegmentBatch", "SegmentBody", "SegmentRequest", "read_segment_request"]


@dataclass(frozen=True, slots=True)
class SegmentRequest:
    """What a body holds: its messages (still encoded), the batch's shared context and its
    write key."""

    messages: Sequence[bytes | msgspec.Raw]
    shared: SegmentContext | None
    write_key: str | None


@dataclass(slots=True)
class SegmentBatch:
    """A request's events with every verdict but dedupe, and the write key it carried."""

    pre: Prevalidated
    write_key: str | None


def _malformed(why: str) -> RastupError:
    return RastupError(ErrorCode.BODY_MALFORMED, why)


def read_segment_request(body: bytes, call: str | None, limits: IngestLimits) -> SegmentRequest:
    """The messages of a body (``call``: the single-message path's type; None: a batch)."""
    if not body.strip():
        raise _malformed("body is empty; send a Segment message")
    if call is not None:
        return SegmentRequest([body], None, _single_write_key(body))
    try:
        wire = BATCH_DECODER.decode(body)
    except msgspec.ValidationError:
        raise _malformed(
            'a /v1/batch body is a JSON object {"batch": [message, …]}; nothing was kept'
        ) from None
    except msgspec.DecodeError as exc:
        raise _malformed(f"body is not valid JSON ({str(exc)[:200]}); nothing was kept") from None
    if not wire.batch:
        raise _malformed('a /v1/batch body is {"batch": [message, …]} with at least one message')
    if len(wire.batch) > limits.max_events_per_request:
        raise RastupError(
            ErrorCode.BATCH_TOO_LARGE,
            f"{len(wire.batch)} messages in one request; the limit is "
            f"{limits.max_events_per_request}",
        )
    key = wire.writeKey
    return SegmentRequest(wire.batch, _shared(wire.context), key if type(key) is str else None)


def _single_write_key(body: bytes) -> str | None:
    """A single message's own ``writeKey``; the body must be one JSON object."""
    try:
        message = MESSAGE_DECODER.decode(body)
    except msgspec.ValidationError:
        # An object with a field of the wrong kind is quarantined alone; anything else
        # is not a message.
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError:
            document = None
        if type(document) is not dict:
            raise _malformed("the body must be one JSON object (a Segment message)") from None
        key = document.get("writeKey")
    except msgspec.DecodeError as exc:
        raise _malformed(f"body is not valid JSON ({str(exc)[:200]}); nothing was kept") from None
    else:
        key = message.writeKey
    return key if type(key) is str else None


def _shared(raw: msgspec.Raw | None) -> SegmentContext | None:
    """The batch's own context; one that is not a Segment context is ignored."""
    if raw is None:
        return None
    try:
        return CONTEXT_DECODER.decode(raw)
    except msgspec.DecodeError:
        return None


@dataclass(frozen=True, slots=True)
class SegmentBody:
    """One Segment-API request's work: read the body, map each message, prevalidate."""

    body: bytes
    call: str | None
    received_at: str
    mapping: SegmentMapping
    subjects: bool = False

    def __call__(self, validator: EventCheck, limits: IngestLimits) -> SegmentBatch | BodyError:
        try:
            request = read_segment_request(self.body, self.call, limits)
        except RastupError as exc:
            return (exc.code.value, exc.message)
        items = _mapped(request, self, limits)
        pre = prevalidate(items, self.received_at, validator, limits, subjects=self.subjects)
        return SegmentBatch(pre, request.write_key)


def _mapped(
    request: SegmentRequest, work: SegmentBody, limits: IngestLimits
) -> Iterator[tuple[Any, bytes | None]]:
    """Each message's envelope (or quarantine item), one at a time: a message is let go
    as soon as it is mapped, so a batch never holds every envelope at once."""
    envelope, decode = work.mapping.envelope, MESSAGE_DECODER.decode
    call, shared, now = work.call, request.shared, work.received_at
    for encoded in request.messages:
        raw = bytes(encoded)
        try:
            item: Any = envelope(decode(raw), raw, call, shared, now)
        except msgspec.DecodeError as exc:
            item = _undecodable(raw, exc)
        if type(item) is RejectedItem and len(item.raw) > limits.max_event_bytes:
            item = replace(item, raw=item.raw[: limits.max_event_bytes])
        yield item, None


def _undecodable(raw: bytes, exc: msgspec.DecodeError) -> Any:
    """A message that is not a Segment message: quarantined with why (an object with a
    field of the wrong kind), or handed on as it is for the acceptor to reject (not an
    object)."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:  # nested past what can be read
        why = "the message nests too deep to be read"
        return quarantined({}, raw, ErrorCode.EVENT_TOO_DEEP, why)
    if type(value) is not dict:
        return value
    why = f"not a Segment message: {str(exc)[:200]}"
    return quarantined(value, raw, ErrorCode.EVENT_ENVELOPE_INVALID, why)
