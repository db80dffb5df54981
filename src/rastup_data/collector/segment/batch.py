"""A Segment-API request body as prevalidated events: parse, map, validate.

``POST /v1/batch`` takes ``{"batch": [message, …], "sentAt": …, "context": …}``; the
single-message paths (``/v1/track`` …) take one message. The write key may travel in the
body (``writeKey``), so it is read here and checked by the route before anything is kept.
:class:`SegmentBody` is the request's CPU work, run inline or in a validation worker.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import orjson

from rastup_data.collector.segment.mapping import SegmentMapping
from rastup_data.collector.validation_pool import BodyError
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.ingest.acceptance import EventCheck, Prevalidated, RejectedItem, prevalidate
from rastup_data.ingest.limits import IngestLimits

__all__ = ["SegmentBatch", "SegmentBody", "SegmentRequest", "read_segment_request"]


@dataclass(frozen=True, slots=True)
class SegmentRequest:
    """What a body holds: its messages, the batch's shared context and its write key."""

    messages: list[Any]
    shared: Mapping[str, Any] | None
    write_key: str | None


@dataclass(slots=True)
class SegmentBatch:
    """A request's events with every verdict but dedupe, and the write key it carried."""

    pre: Prevalidated
    write_key: str | None


def read_segment_request(body: bytes, call: str | None, limits: IngestLimits) -> SegmentRequest:
    """The messages of a body (``call``: the single-message path's type; None: a batch)."""
    if not body.strip():
        raise RastupError(ErrorCode.BODY_MALFORMED, "body is empty; send a Segment message")
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise RastupError(
            ErrorCode.BODY_MALFORMED, f"body is not valid JSON ({str(exc)[:200]}); nothing was kept"
        ) from None
    if type(document) is not dict:
        raise RastupError(
            ErrorCode.BODY_MALFORMED, "the body must be a JSON object (a Segment message or batch)"
        )
    key = document.get("writeKey")
    write_key = key if type(key) is str else None
    if call is not None:
        return SegmentRequest([document], None, write_key)
    messages = document.get("batch")
    if type(messages) is not list or not messages:
        raise RastupError(
            ErrorCode.BODY_MALFORMED,
            'a /v1/batch body is {"batch": [message, …]} with at least one message',
        )
    if len(messages) > limits.max_events_per_request:
        raise RastupError(
            ErrorCode.BATCH_TOO_LARGE,
            f"{len(messages)} messages in one request; the limit is "
            f"{limits.max_events_per_request}",
        )
    shared = document.get("context")
    return SegmentRequest(messages, shared if type(shared) is dict else None, write_key)


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
        envelope, now, shared = self.mapping.envelope, self.received_at, request.shared
        items: list[tuple[Any, bytes | None]] = []
        for message in request.messages:
            item = envelope(message, call=self.call, shared=shared, now=now)
            if type(item) is RejectedItem and len(item.raw) > limits.max_event_bytes:
                item = replace(item, raw=item.raw[: limits.max_event_bytes])
            items.append((item, None))
        pre = prevalidate(items, now, validator, limits, subjects=self.subjects)
        return SegmentBatch(pre, request.write_key)
