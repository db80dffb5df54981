"""``POST /v1/query``: SQL over the lake through the query gate, as the token's principal.

Body ``{"sql": "…", "params": […]}`` with ``Authorization: Bearer <token>``. Answers
``200 {"columns", "rows", "row_count", "truncated", "scanned_bytes", "billed_bytes",
"query_id"}``; refusals are the collector's one error body, ``{"error": {"code": "…",
"message": "…"}}``, with 401 (token), 403 (ACCESS_DENIED) or 400 (QUERY_INVALID,
PARTITION_FILTER_REQUIRED, ATHENA_SCANNED_BYTES_BREACH, QUERY_LIMIT_EXCEEDED, …). Every
attempt is audited. A malformed body is refused by the app, as on every route; the gate's
refusals are answered here, not raised to the app: the gate has counted them already.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from rastup_data.collector.responses import error_response, json_response
from rastup_data.collector.routes.common import bearer_token, gate_of
from rastup_data.config import MAX_SQL_CHARS
from rastup_data.errors import ErrorCode, RastupError

__all__ = ["router"]

router = APIRouter()

#: A body larger than this cannot hold a query the gate accepts.
_MAX_BODY = 4 * MAX_SQL_CHARS

_QUERY_OPENAPI: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["sql"],
                    "properties": {
                        "sql": {"type": "string", "maxLength": MAX_SQL_CHARS},
                        "params": {"type": "array"},
                    },
                }
            }
        },
    },
    "security": [{"bearer": []}],
}


@router.post("/v1/query", summary="Run SQL through the query gate", openapi_extra=_QUERY_OPENAPI)
async def run_sql(request: Request) -> Response:
    sql, params = _parse(await _body(request))  # a refusal here is answered by the app
    gate = gate_of(request)
    from rastup_data.governance import QueryPath  # loaded with the gate, on first use

    try:
        principal = gate.authenticate(bearer_token(request))
    except RastupError as exc:
        await asyncio.to_thread(
            gate.record_unauthenticated, sql, path=QueryPath.HTTP, code=exc.code
        )
        return error_response(exc.code, exc.message)
    try:
        gated = await asyncio.to_thread(
            gate.run, principal, sql, path=QueryPath.HTTP, params=params
        )
    except RastupError as exc:  # audited and counted by the gate
        return error_response(exc.code, exc.message)
    return json_response(gated.to_json())


async def _body(request: Request) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > _MAX_BODY:
            raise RastupError(
                ErrorCode.QUERY_INVALID,
                f"the request body is larger than {_MAX_BODY:,} bytes; send one shorter query.",
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _parse(body: bytes) -> tuple[str, tuple[Any, ...]]:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        document = None
    if not isinstance(document, dict) or not isinstance(document.get("sql"), str):
        raise RastupError(
            ErrorCode.QUERY_INVALID,
            'the body must be a JSON object {"sql": "SELECT …"} (optionally "params": [...]).',
        )
    params = document.get("params", [])
    if not isinstance(params, list) or not all(
        v is None or isinstance(v, str | int | float | bool) for v in params
    ):
        raise RastupError(
            ErrorCode.QUERY_INVALID,
            '"params" must be a list of strings, numbers, booleans or null.',
        )
    return document["sql"], tuple(params)
