"""The collector's HTTP app: batch ingest, health, metrics and the OpenAPI spec.

Handlers are thin: they read the body within limits, hand it to the acceptor, wait for
the spool's fsync and answer with per-event verdicts. Every client mistake maps to a
stable code and a 4xx; nothing a client sends produces a 500.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rastup_data import __version__
from rastup_data.collector.assign import parse_assign_request
from rastup_data.collector.body import read_body
from rastup_data.collector.openapi import ASSIGN_OPENAPI, INGEST_OPENAPI
from rastup_data.collector.runtime import CollectorRuntime
from rastup_data.collector.validation_pool import validate_in_worker
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.ingest.acceptance import BatchOutcome, format_received_at
from rastup_data.ops.metrics import PlatformMetrics

__all__ = ["create_app"]

log = logging.getLogger(__name__)


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


def error_response(code: ErrorCode, message: str, retry_after: int | None = None) -> Response:
    status = code.info.http_status or 400
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return _json({"error": {"code": code.value, "message": message}}, status, headers)


class _Observe:
    """Pure ASGI middleware: request counts and latency by route, and the last line of
    defence that turns an unexpected exception into a coded 500 (never for client input)."""

    def __init__(self, app: ASGIApp, metrics: PlatformMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path = scope.get("path", "")
        route = path if path in _ROUTES else "other"
        status = 500
        responded = False

        async def observed_send(message: Message) -> None:
            nonlocal status, responded
            if message["type"] == "http.response.start":
                status = int(message["status"])
                responded = True
            await send(message)

        try:
            await self.app(scope, receive, observed_send)
        except Exception:
            log.exception("unhandled error on %s", path)
            self.metrics.count_error(ErrorCode.EVENT_PUT_FAILED)
            if responded:
                raise
            status = 500
            response = error_response(ErrorCode.EVENT_PUT_FAILED, "internal error", 1)
            response.status_code = 500
            await response(scope, receive, send)
        finally:
            self.metrics.latency.labels(route).observe(time.perf_counter() - started)
            self.metrics.requests.labels(route, str(status)).inc()


def create_app(runtime: CollectorRuntime, *, manage_lifecycle: bool = True) -> FastAPI:
    """The ASGI app over a runtime; with ``manage_lifecycle`` the app starts and stops it."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if manage_lifecycle:
            runtime.start()
        try:
            yield
        finally:
            if manage_lifecycle:
                await asyncio.to_thread(runtime.stop)

    app = FastAPI(
        title="RastUp Data Platform collector",
        version=__version__,
        description="Batch event ingest with per-event verdicts. See docs/sending-events.md.",
        lifespan=lifespan,
    )
    metrics = runtime.metrics
    keys = [k.encode() for k in runtime.config.keys]

    def authorised(request: Request) -> bool:
        if not keys:
            return True
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return False
        presented = token.strip().encode()
        return any(hmac.compare_digest(presented, key) for key in keys)

    app.add_middleware(_Observe, metrics=metrics)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> Response:
        return error_response(ErrorCode.BODY_MALFORMED, str(exc)[:500])

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> Response:
        return _json(
            {"error": {"code": "HTTP_" + str(exc.status_code), "message": exc.detail}},
            exc.status_code,
        )

    async def make_durable(outcome: BatchOutcome) -> Response | None:
        """Spool and fsync a batch's records, then count its verdicts; a 503 if that fails."""
        try:
            await asyncio.wrap_future(runtime.spool.append(outcome.events, outcome.bad))
        except RastupError as exc:
            runtime.dedupe.forget(outcome.accepted_ids)
            metrics.count_error(exc.code)
            return error_response(exc.code, exc.message, runtime.config.retry_after_s)
        _count(runtime, outcome)
        return None

    @app.post(
        "/v1/events",
        status_code=202,
        openapi_extra=INGEST_OPENAPI,
        summary="Ingest a batch of events",
    )
    async def ingest(request: Request) -> Response:
        if not authorised(request):
            metrics.count_error(ErrorCode.AUTH_FAILED)
            return error_response(ErrorCode.AUTH_FAILED, "missing or unknown API key")
        reason = runtime.overloaded()
        if reason is not None:
            metrics.count_error(ErrorCode.INGEST_OVERLOADED)
            return error_response(ErrorCode.INGEST_OVERLOADED, reason, runtime.config.retry_after_s)
        limits = runtime.config.limits
        try:
            body = await read_body(
                request.stream(),
                content_length=request.headers.get("content-length"),
                content_encoding=request.headers.get("content-encoding"),
                limits=limits,
            )
        except RastupError as exc:
            metrics.count_error(exc.code)
            return error_response(exc.code, exc.message)
        received_at = format_received_at()
        pool = runtime.pool
        if pool.executor is None or len(body) < _INLINE_BELOW:
            result = pool.submit_inline(body, received_at)
        else:
            result = await asyncio.get_running_loop().run_in_executor(
                pool.executor, validate_in_worker, body, received_at
            )
        if isinstance(result, tuple):
            metrics.count_error(ErrorCode(result[0]))
            return error_response(ErrorCode(result[0]), result[1])
        outcome = runtime.acceptor.finalize(result)
        failure = await make_durable(outcome)
        return failure or _json(outcome.response(), 202)

    @app.post(
        "/v1/assign",
        summary="Assign a unit to an experiment variant (sticky)",
        openapi_extra=ASSIGN_OPENAPI,
    )
    async def assign(request: Request) -> Response:
        if not authorised(request):
            metrics.count_error(ErrorCode.AUTH_FAILED)
            return error_response(ErrorCode.AUTH_FAILED, "missing or unknown API key")
        try:
            body = await read_body(
                request.stream(),
                content_length=request.headers.get("content-length"),
                content_encoding=request.headers.get("content-encoding"),
                limits=runtime.config.limits,
            )
            answer, event = await runtime.assignments.assign_async(parse_assign_request(body))
        except RastupError as exc:
            metrics.count_error(exc.code)
            return error_response(exc.code, exc.message)
        if event is not None:
            event.pop("received_at", None)
            outcome = runtime.acceptor.accept_items([event], format_received_at())
            if outcome.rejected:
                log.error("exposure event rejected: %s", outcome.verdicts)
            failure = await make_durable(outcome)
            if failure is not None:
                return failure
        return _json(answer)

    @app.get("/experiments/{key}", summary="HTML report of an experiment, from the lake")
    async def experiment_report(key: str) -> Response:
        from rastup_data.experiments.lake import experiment_report_html

        try:
            page = await asyncio.to_thread(
                experiment_report_html,
                runtime.layout,
                key,
                experiments_dir=runtime.config.experiments_dir,
            )
        except RastupError as exc:
            status = {ErrorCode.EXPERIMENT_INVALID: 404, ErrorCode.QUERY_INVALID: 503}.get(
                exc.code, 400
            )
            response = error_response(exc.code, exc.message)
            response.status_code = status
            return response
        return Response(page, media_type="text/html; charset=utf-8")

    @app.get("/healthz", summary="Liveness and lander status")
    async def healthz() -> Response:
        health = runtime.health()
        return _json(health, 200 if runtime.running else 503)

    @app.get("/metrics", summary="Prometheus metrics")
    async def prometheus() -> Response:
        exposition = await asyncio.to_thread(runtime.exposition)
        return Response(exposition, media_type="text/plain; version=0.0.4")

    return app


#: Bodies smaller than this are validated in the event loop: IPC would cost more.
_INLINE_BELOW = 8192

_ROUTES = frozenset({"/v1/events", "/healthz", "/metrics", "/openapi.json", "/v1/assign"})
# /experiments/{key} pages are counted under "other" to keep label cardinality bounded.


def _count(runtime: CollectorRuntime, outcome: BatchOutcome) -> None:
    metrics = runtime.metrics
    if outcome.accepted:
        metrics.events.labels("accepted").inc(outcome.accepted)
    if outcome.duplicates:
        metrics.events.labels("duplicate").inc(outcome.duplicates)
        metrics.count_error(ErrorCode.EVENT_DUPLICATE, outcome.duplicates)
    if outcome.rejected:
        metrics.events.labels("rejected").inc(outcome.rejected)
        for code, count in outcome.codes.items():
            metrics.count_error(ErrorCode(code), count)
