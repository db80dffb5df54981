"""``GET /v1/alerts``: the alerts pending and firing now and the recent notifications, for
admins (a query-gate token of role ``admin``).

Answers ``200 {"env", "active": [...], "events": [...]}`` (``?since=24h`` by default, at
most 500 events, newest first); 401 without a valid token, 403 for another role.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from rastup_data.collector.responses import json_response
from rastup_data.collector.routes.common import bearer_token, gate_of
from rastup_data.environments import DocumentChecker
from rastup_data.errors import ErrorCode, RastupError

__all__ = ["router"]

router = APIRouter()

_OPENAPI: dict[str, Any] = {
    "parameters": [
        {
            "name": "since",
            "in": "query",
            "required": False,
            "schema": {"type": "string", "default": "24h"},
            "description": "How far back the events go: 30m, 24h, 7d.",
        }
    ],
    "security": [{"bearer": []}],
}


@router.get(
    "/v1/alerts",
    summary="Alerts firing now and recent notifications (admins)",
    openapi_extra=_OPENAPI,
)
async def alerts(request: Request) -> Response:
    from rastup_data.alerts import AlertHistory, history_since

    gate = gate_of(request)
    principal = gate.authenticate(bearer_token(request))
    gate.require_admin(principal, "the alert list")
    checker = DocumentChecker("since", ErrorCode.REQUEST_MALFORMED)
    text = request.query_params.get("since", "24h")
    try:
        seconds = checker.duration(text, "the query parameter")
    except RastupError as exc:
        raise RastupError(
            ErrorCode.REQUEST_MALFORMED, "since must be a duration such as 30m, 24h or 7d."
        ) from exc
    history = AlertHistory(gate.state, gate.env)
    since = history_since(seconds, ErrorCode.REQUEST_MALFORMED, f"since={text[:40]}")

    def read() -> dict[str, Any]:
        return {
            "env": gate.env,
            "active": [alert.to_json() for alert in history.active()],
            "events": history.events(since=since, limit=500),
        }

    return json_response(await asyncio.to_thread(read))
