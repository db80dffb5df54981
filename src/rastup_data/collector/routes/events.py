"""``POST /v1/events``: batch ingest with a verdict per event, answered once durable."""

from __future__ import annotations

import asyncio
from functools import partial

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from rastup_data.collector.auth import require_key
from rastup_data.collector.body import BodyKind, body_kind, read_request_body
from rastup_data.collector.durable import ensure_capacity, make_durable
from rastup_data.collector.openapi import INGEST_OPENAPI
from rastup_data.collector.responses import json_response
from rastup_data.collector.routes.common import runtime_of
from rastup_data.collector.runtime import CollectorRuntime
from rastup_data.collector.validation_pool import BodyError, validate_in_worker
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.ingest.acceptance import Prevalidated, format_received_at

__all__ = ["router"]

router = APIRouter()

#: Bodies smaller than this are validated in the event loop: IPC would cost more.
_INLINE_BELOW = 8192


@router.post(
    "/v1/events",
    status_code=202,
    openapi_extra=INGEST_OPENAPI,
    summary="Ingest a batch of events",
)
async def ingest(request: Request) -> Response:
    runtime = runtime_of(request)
    require_key(request)
    kind = body_kind(request.headers.get("content-type"))
    ensure_capacity(runtime)
    with runtime.body_memory.claim() as claim:
        body = await read_request_body(request, runtime.config.limits, claim)
        result = await _prevalidate(runtime, body, kind, format_received_at())
        del body
    if isinstance(result, tuple):
        raise RastupError(ErrorCode(result[0]), result[1])
    outcome = runtime.acceptor.finalize(result)
    await make_durable(runtime, outcome)
    return json_response(outcome.response(), 202)


async def _prevalidate(
    runtime: CollectorRuntime, body: bytes, kind: BodyKind, received_at: str
) -> Prevalidated | BodyError:
    pool = runtime.pool
    subjects = runtime.acceptor.suppressing
    if pool.executor is None or len(body) < _INLINE_BELOW:
        return pool.submit_inline(body, kind, received_at, subjects=subjects)
    work = partial(validate_in_worker, body, kind, received_at, subjects=subjects)
    return await asyncio.get_running_loop().run_in_executor(pool.executor, work)
