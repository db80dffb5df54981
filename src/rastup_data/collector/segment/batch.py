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
    ENCODED_BATCH_DECODER,
    MESSAGE_DECODER,
    EncodedBatch,
    SegmentContext,
    SegmentMessage,
    WireBatch,
)
from rastup_data.collector.validation_pool import BodyError
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.ingest.acceptance import EventCheck, Prevalidated, RejectedItem, prevalidate
from rastup_data.ingest.limits import IngestLimits

__all__ = [
    "MessageTexts",
    "SegmentBatch",
    "SegmentBody",
    "SegmentRequest",
    "read_segment_request",
]


class MessageTexts:
    """Each message's text as sent, by its index in the request: what quarantine keeps and
    what a message without a messageId is identified by. A batch decoded whole is read
    again, with its messages kept encoded, only when a message first needs its text."""

    __slots__ = ("_body", "_texts")

    def __init__(self, body: bytes, texts: Sequence[bytes | msgspec.Raw] | None = None) -> None:
        self._body = body
        self._texts = texts

    def of(self, index: int) -> bytes:
        if self._texts is None:
            self._texts = ENCODED_BATCH_DECODER.decode(self._body).batch
        return bytes(self._texts[index])


class _CurrentText:
    """The text of the message being mapped (``index``), for :meth:`SegmentMapping.envelope`,
    which reads it, if at all, before it returns: one object per request, moved on from
    message to message, instead of a callable made for every message."""

    __slots__ = ("index", "texts")

    def __init__(self, texts: MessageTexts) -> None:
        self.texts = texts
        self.index = 0

    def __call__(self) -> bytes:
        return self.texts.of(self.index)


@dataclass(frozen=True, slots=True)
class SegmentRequest:
    """What a body holds: its messages (each decoded, or, when it does not decode as a
    Segment message, already the item to reject), their texts, the batch's shared context
    and its write key."""

    messages: Sequence[Any]
    texts: MessageTexts
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
        key = _single_write_key(body)
        return SegmentRequest([_decoded(body)], MessageTexts(body, [body]), None, key)
    try:
        wire: WireBatch | EncodedBatch = BATCH_DECODER.decode(body)
    except msgspec.ValidationError:
        wire = _encoded(body)  # a message of the wrong shape: quarantined alone below
    except (msgspec.DecodeError, RecursionError) as exc:
        raise _not_json(exc) from None
    if not wire.batch:
        raise _malformed('a /v1/batch body is {"batch": [message, …]} with at least one message')
    if len(wire.batch) > limits.max_events_per_request:
        raise RastupError(
            ErrorCode.BATCH_TOO_LARGE,
            f"{len(wire.batch)} messages in one request; the limit is "
            f"{limits.max_events_per_request}",
        )
    key = wire.writeKey if type(wire.writeKey) is str else None
    if isinstance(wire, WireBatch):
        return SegmentRequest(wire.batch, MessageTexts(body), wire.context, key)
    messages = [_decoded(bytes(raw)) for raw in wire.batch]
    return SegmentRequest(messages, MessageTexts(body, wire.batch), _shared(wire.context), key)


def _encoded(body: bytes) -> EncodedBatch:
    try:
        return ENCODED_BATCH_DECODER.decode(body)
    except msgspec.ValidationError:
        raise _malformed(
            'a /v1/batch body is a JSON object {"batch": [message, …]}; nothing was kept'
        ) from None


def _not_json(exc: Exception) -> RastupError:
    if isinstance(exc, RecursionError):
        why = "body nests arrays or objects too deep to be read; nothing was kept"
    else:
        why = f"body is not valid JSON ({str(exc)[:200]}); nothing was kept"
    return _malformed(why)


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
    except (msgspec.DecodeError, RecursionError) as exc:
        raise _not_json(exc) from None
    else:
        key = message.writeKey
    return key if type(key) is str else None


def _shared(raw: msgspec.Raw) -> SegmentContext | None:
    """The batch's own context; one that is not a Segment context is ignored."""
    if not raw:
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
    envelope, text = work.mapping.envelope, _CurrentText(request.texts)
    call, shared, now = work.call, request.shared, work.received_at
    for index, message in enumerate(request.messages):
        if type(message) is SegmentMessage:
            text.index = index
            item = envelope(message, text, call, shared, now)
        else:
            item = message
        if type(item) is RejectedItem and len(item.raw) > limits.max_event_bytes:
            item = replace(item, raw=item.raw[: limits.max_event_bytes])
        yield item, None


def _decoded(raw: bytes) -> Any:
    """One message decoded, or, when it is not a Segment message, what to reject: the
    quarantine item saying why (an object with a field of the wrong kind, or nested too
    deep to read), or the value as it is for the acceptor to reject (not an object)."""
    try:
        return MESSAGE_DECODER.decode(raw)
    except msgspec.DecodeError as exc:
        failure: Exception = exc
    except RecursionError as exc:
        failure = exc
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:  # nested past what can be read
        why = "the message nests too deep to be read"
        return quarantined({}, raw, ErrorCode.EVENT_TOO_DEEP, why)
    if type(value) is not dict:
        return value
    if isinstance(failure, RecursionError):
        return quarantined(value, raw, ErrorCode.EVENT_TOO_DEEP, "the message nests too deep")
    why = f"not a Segment message: {str(failure)[:200]}"
    return quarantined(value, raw, ErrorCode.EVENT_ENVELOPE_INVALID, why)
