"""Segment's tracking API: ``POST /v1/batch`` and the single calls, answered once durable.

What Segment's and RudderStack's SDKs send, mapped to catalogue events
(:mod:`rastup_data.collector.segment`) and stored through the same durable-append path as
``POST /v1/events``: contracts, PII guard, dedupe, quarantine and the suppression of erased
subjects apply alike. The answer is Segment's ``200 {"success": true}``, sent only after
the accepted events are fsync'd; messages that fail validation are quarantined and counted
(the SDKs read no per-message result). Refusals carry ``code`` and ``message`` at the top
of the body, where the SDKs look for them. See docs/segment-api.md.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from rastup_data.collector.auth import ApiKeys, basic_user
from rastup_data.collector.body import read_request_body
from rastup_data.collector.durable import ensure_capacity, make_durable
from rastup_data.collector.responses import json_response, refusal_response
from rastup_data.collector.routes.common import runtime_of
from rastup_data.collector.runtime import CollectorRuntime
from rastup_data.collector.segment import SegmentBody, SegmentMapping, load_mapping
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.ingest.acceptance import BatchOutcome, format_received_at

__all__ = ["SINGLE_CALLS", "router", "segment_error_body"]

router = APIRouter()

#: The single-message paths and the call each implies; analytics.js also uses the short
#: ones. Page, screen and group calls are acknowledged and quarantined.
SINGLE_CALLS: dict[str, str] = {
    "/v1/track": "track",
    "/v1/identify": "identify",
    "/v1/alias": "alias",
    "/v1/page": "page",
    "/v1/screen": "screen",
    "/v1/group": "group",
    "/v1/t": "track",
    "/v1/i": "identify",
    "/v1/a": "alias",
    "/v1/p": "page",
    "/v1/s": "screen",
    "/v1/g": "group",
}
#: Media types read as JSON: what the SDKs send, and analytics.js's beacon (text/plain).
_MEDIA_TYPES = frozenset({"", "application/json", "text/plain"})
_DOCS = "Segment's tracking API; the mapping is in docs/segment-api.md."
_LOADING = threading.Lock()


def segment_error_body(code: ErrorCode, message: str) -> bytes:
    """A refusal as Segment's SDKs read it (``code``, ``message`` at the top: without them
    RudderStack's SDK retries even a 401), with the platform's ``error`` object too."""
    return orjson.dumps(
        {
            "success": False,
            "code": code.value,
            "message": message,
            "error": {"code": code.value, "message": message},
        }
    )


@router.post("/v1/batch", summary="Segment-compatible batch of messages", description=_DOCS)
async def segment_batch(request: Request) -> Response:
    return await _answer(request, None)


def _single(call: str) -> Callable[[Request], Awaitable[Response]]:
    async def segment_call(request: Request) -> Response:
        return await _answer(request, call)

    segment_call.__name__ = f"segment_{call}"
    return segment_call


for _path, _call in SINGLE_CALLS.items():
    router.add_api_route(
        _path,
        _single(_call),
        methods=["POST"],
        summary=f"Segment-compatible {_call} call",
        description=_DOCS,
        include_in_schema=len(_path) > len("/v1/t"),
    )


async def _answer(request: Request, call: str | None) -> Response:
    runtime = runtime_of(request)
    try:
        outcome = await _ingest(request, runtime, call)
    except RastupError as exc:
        runtime.metrics.count_error(exc.code)
        return refusal_response(
            exc, retry_after_s=runtime.config.retry_after_s, body=segment_error_body
        )
    return json_response(_summary(outcome), 200)


async def _ingest(request: Request, runtime: CollectorRuntime, call: str | None) -> BatchOutcome:
    keys: ApiKeys = request.app.state.api_keys
    authorization = request.headers.get("authorization")
    if authorization is not None and not (
        keys.allows_key(basic_user(authorization)) or keys.allows(authorization)
    ):
        raise _unknown_key()
    _check_media_type(request.headers.get("content-type"))
    ensure_capacity(runtime)
    mapping = await _mapping(request)
    with runtime.body_memory.claim() as claim:
        body = await read_request_body(request, runtime.config.limits, claim)
        work = SegmentBody(
            body, call, format_received_at(), mapping, subjects=runtime.acceptor.suppressing
        )
        result = await runtime.pool.run(work, size=len(body))
        del body, work
    if isinstance(result, tuple):
        raise RastupError(ErrorCode(result[0]), result[1])
    if authorization is None and not keys.allows_key(result.write_key):
        raise _unknown_key()
    outcome = runtime.acceptor.finalize(result.pre)
    await make_durable(runtime, outcome)
    return outcome


def _summary(outcome: BatchOutcome) -> dict[str, Any]:
    return {
        "success": True,
        "accepted": outcome.accepted,
        "duplicates": outcome.duplicates,
        "quarantined": outcome.rejected,
        "suppressed": outcome.suppressed,
        "results": [verdict.to_dict() for verdict in outcome.verdicts],
    }


def _unknown_key() -> RastupError:
    return RastupError(
        ErrorCode.AUTH_FAILED,
        "missing or unknown write key; send an ingest key as the user name of HTTP Basic "
        "auth (the SDKs' write key) or as writeKey in the body",
    )


def _check_media_type(content_type: str | None) -> None:
    media, _, params = (content_type or "").partition(";")
    charset = ""
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    if media.strip().lower() not in _MEDIA_TYPES or charset not in ("", "utf-8", "utf8"):
        raise RastupError(
            ErrorCode.UNSUPPORTED_MEDIA_TYPE,
            f"Content-Type {(content_type or '')[:60]!r} is not accepted here; send JSON "
            "(application/json, UTF-8) as the Segment SDKs do",
        )


async def _mapping(request: Request) -> SegmentMapping:
    """The app's mapping, built from the registry and the city seed on first use."""
    state = request.app.state
    mapping: SegmentMapping | None = getattr(state, "segment_mapping", None)
    if mapping is None:
        mapping = await asyncio.to_thread(_load_once, state)
    return mapping


def _load_once(state: Any) -> SegmentMapping:
    with _LOADING:
        mapping: SegmentMapping | None = getattr(state, "segment_mapping", None)
        if mapping is None:
            mapping = load_mapping()
            state.segment_mapping = mapping
    return mapping
