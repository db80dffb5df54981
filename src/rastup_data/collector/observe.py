"""Request metrics, client aborts and the last line of defence, as one pure ASGI middleware.

A client that hangs up before its request is read is a client abort: counted under the
status ``499`` and in ``rastup_client_aborts_total``, logged at debug level, never an
error. Any other exception escaping a route is a bug: it is logged with its traceback
and answered with a coded 500 that says nothing about the cause.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rastup_data.collector.protocol import TIMED_OUT
from rastup_data.collector.responses import error_response
from rastup_data.errors import ErrorCode
from rastup_data.ops.metrics import PlatformMetrics

__all__ = ["CLIENT_CLOSED", "ObserveRequests"]

log = logging.getLogger(__name__)

#: The status recorded for a request whose client went away before it was answered.
CLIENT_CLOSED = 499


class ObserveRequests:
    """Counts requests and latency by route; ``route_of`` maps a path to a bounded label."""

    def __init__(
        self, app: ASGIApp, metrics: PlatformMetrics, route_of: Callable[[str], str]
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.route_of = route_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        route = self.route_of(scope.get("path", ""))
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
        except ClientDisconnect:
            if scope.get(TIMED_OUT):  # the protocol answered 408 and counted it
                status = 408
            else:
                status = CLIENT_CLOSED
                self.metrics.client_aborts.labels(route).inc()
                log.debug("client went away before %s was read", route)
        except Exception:
            log.exception("unhandled error on %s", route)
            self.metrics.count_error(ErrorCode.INTERNAL_ERROR)
            if responded:
                raise
            status = 500
            await error_response(ErrorCode.INTERNAL_ERROR, "internal error; retry later")(
                scope, receive, send
            )
        finally:
            self.metrics.latency.labels(route).observe(time.perf_counter() - started)
            self.metrics.requests.labels(route, str(status)).inc()
