"""``GET /healthz`` and ``GET /metrics``: what operators and probes read."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from rastup_data.collector.auth import ApiKeys
from rastup_data.collector.responses import json_response
from rastup_data.collector.routes.common import runtime_of

__all__ = ["router"]

router = APIRouter()


@router.get("/healthz", summary="Liveness, spool writer and lander status")
async def healthz(request: Request) -> Response:
    """Codes for anyone; the lander's and spool writer's error text too for a caller with
    a key. 503 while stopping or once the spool writer stopped (``EVENT_PUT_FAILED``)."""
    runtime = runtime_of(request)
    keys: ApiKeys = request.app.state.api_keys
    detail = keys.allows(request.headers.get("authorization"))
    return json_response(runtime.health(detail=detail), 200 if runtime.healthy() else 503)


@router.get("/metrics", summary="Prometheus metrics")
async def prometheus(request: Request) -> Response:
    exposition = await asyncio.to_thread(runtime_of(request).exposition)
    return Response(exposition, media_type="text/plain; version=0.0.4")
