"""``POST /v1/assign``: a sticky variant, with its exposure event made durable first."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from rastup_data.collector.assign import parse_assign_request
from rastup_data.collector.auth import require_key
from rastup_data.collector.body import BodyKind, body_kind, read_request_body
from rastup_data.collector.durable import accept_events
from rastup_data.collector.openapi import ASSIGN_OPENAPI
from rastup_data.collector.responses import Refusal, json_response
from rastup_data.collector.routes.common import runtime_of
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.ingest.suppression import SubjectSuppression

__all__ = ["router"]

log = logging.getLogger(__name__)

router = APIRouter()


@router.post(
    "/v1/assign",
    summary="Assign a unit to an experiment variant (sticky)",
    openapi_extra=ASSIGN_OPENAPI,
)
async def assign(request: Request) -> Response:
    runtime = runtime_of(request)
    require_key(request)
    if body_kind(request.headers.get("content-type")) is not BodyKind.JSON_ARRAY:
        raise RastupError(
            ErrorCode.UNSUPPORTED_MEDIA_TYPE, "send the assignment request as application/json"
        )
    body = await read_request_body(request, runtime.config.limits)
    parsed = parse_assign_request(body)
    _refuse_erased(runtime.acceptor.suppression, parsed)
    answer, event = await runtime.assignments.assign_async(parsed)
    if event is not None:
        event.pop("received_at", None)
        outcome = await accept_events(runtime, [event])
        if outcome.rejected:
            log.error("exposure event rejected: %s", outcome.verdicts)
    return json_response(answer)


def _refuse_erased(suppression: SubjectSuppression, parsed: dict[str, Any]) -> None:
    """An erased subject gets no (new) sticky assignment: nothing about them is stored."""
    if not suppression.active:
        return
    ids = [parsed.get(n) for n in ("unit_id", "user_id", "anon_id")]
    if any(suppression.erased(i, None) for i in ids):
        raise Refusal(
            ErrorCode.EVENT_SUBJECT_ERASED,
            "this subject was erased: no assignment is made or stored (do not retry)",
            status=409,
        )
