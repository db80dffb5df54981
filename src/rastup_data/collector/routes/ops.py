"""``GET /healthz`` and ``GET /metrics``: what operators and probes read."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from rastup_data.collector.responses import json_response
from rastup_data.collector.routes.common import runtime_of

__all__ = ["router"]

router = APIRouter()


@router.get("/healthz", summary="Liveness and lander status")
async def healthz(request: Request) -> Response:
    runtime = runtime_of(request)
    return json_response(runtime.health(), 200 if runtime.running else 503)


@router.get("/metrics", summary="Prometheus metrics")
async def prometheus(request: Request) -> Response:
    exposition = await asyncio.to_thread(runtime_of(request).exposition)
    return Response(exposition, media_type="text/plain; version=0.0.4")
