"""The collector's HTTP app: the routers of :mod:`rastup_data.collector.routes` over one
runtime, with request metrics and one coded error body for every refusal.

Routes are thin: they refuse by raising :class:`rastup_data.errors.RastupError` and
ingest through :mod:`rastup_data.collector.durable`. Nothing a client sends produces a 500.
There is no interactive API page (it would load its assets from the network); the
OpenAPI document is served at ``/openapi.json``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from rastup_data import __version__
from rastup_data.collector.auth import ApiKeys
from rastup_data.collector.observe import ObserveRequests
from rastup_data.collector.responses import error_response, refusal_response
from rastup_data.collector.routes import ROUTERS
from rastup_data.collector.runtime import CollectorRuntime
from rastup_data.errors import ErrorCode, RastupError

__all__ = ["create_app"]

log = logging.getLogger(__name__)

_DESCRIPTION = (
    "Batch event ingest with per-event verdicts. This document is served at /openapi.json; "
    "see docs/sending-events.md."
)


def create_app(
    runtime: CollectorRuntime,
    *,
    manage_lifecycle: bool = True,
    routers: Iterable[APIRouter] = ROUTERS,
) -> FastAPI:
    """The ASGI app over a runtime; with ``manage_lifecycle`` the app starts and stops it."""
    app = FastAPI(
        title="RastUp Data Platform collector",
        version=__version__,
        description=_DESCRIPTION,
        lifespan=_lifespan(runtime) if manage_lifecycle else None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.state.api_keys = ApiKeys(runtime.config.keys)
    paths = {"/openapi.json"}
    for router in routers:
        app.include_router(router)
        paths.update(route.path for route in router.routes if isinstance(route, Route))
    _add_error_handlers(app, runtime)
    routes = frozenset(path for path in paths if "{" not in path)
    # Pages with path parameters are counted under "other" to keep label cardinality bounded.
    app.add_middleware(
        ObserveRequests,
        metrics=runtime.metrics,
        route_of=lambda path: path if path in routes else "other",
    )
    return app


def _lifespan(runtime: CollectorRuntime):  # type: ignore[no-untyped-def]
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime.start()
        try:
            yield
        finally:
            await asyncio.to_thread(runtime.stop)
            gate = getattr(app.state, "gate", None)  # opened by the first gated request
            if gate is not None:
                gate.close()

    return lifespan


def _add_error_handlers(app: FastAPI, runtime: CollectorRuntime) -> None:
    metrics = runtime.metrics

    async def refused(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RastupError)
        metrics.count_error(exc.code)
        return refusal_response(exc, retry_after_s=runtime.config.retry_after_s)

    async def invalid(_: Request, exc: Exception) -> Response:
        metrics.count_error(ErrorCode.BODY_MALFORMED)
        return error_response(ErrorCode.BODY_MALFORMED, str(exc)[:500])

    async def http_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 405:
            return error_response(
                ErrorCode.METHOD_NOT_ALLOWED, "this path does not take that method", status=405
            )
        return error_response(
            ErrorCode.ROUTE_NOT_FOUND,
            "no such path; the API is described at /openapi.json",
            status=exc.status_code if exc.status_code >= 400 else 404,
        )

    app.add_exception_handler(RastupError, refused)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(StarletteHTTPException, http_error)
