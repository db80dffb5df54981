"""``POST /v1/events``: batch ingest with a verdict per event, answered once durable."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from rastup_data.collector.auth import require_key
from rastup_data.collector.body import body_kind, read_request_body
from rastup_data.collector.durable import ensure_capacity, make_durable
from rastup_data.collector.openapi import INGEST_OPENAPI
from rastup_data.collector.responses import json_response
from rastup_data.collector.routes.common import runtime_of
from rastup_data.collector.validation_pool import BodyValidation
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.ingest.acceptance import format_received_at

__all__ = ["router"]

router = APIRouter()


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
        work = BodyValidation(
            body, kind, format_received_at(), subjects=runtime.acceptor.suppressing
        )
        result = await runtime.pool.run(work, size=len(body))
        del body, work
    if isinstance(result, tuple):
        raise RastupError(ErrorCode(result[0]), result[1])
    outcome = runtime.acceptor.finalize(result)
    await make_durable(runtime, outcome)
    return json_response(outcome.response(), 202)
