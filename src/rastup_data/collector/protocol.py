"""The HTTP/1.1 connection protocol: uvicorn's httptools protocol with the collector's
guards.

- **Timeouts** (:class:`HttpLimits`): a connection that sends nothing is closed after the
  idle timeout (also between keep-alive requests); a request's headers must arrive within
  the header timeout of its first byte and its body within the body timeout of its
  headers, else it is answered ``408 REQUEST_TIMEOUT`` and the connection closed. A
  request whose body did not arrive whole is never handed on, so nothing of it is stored.
- **A connection cap per process**: past ``max_connections`` a new connection is answered
  ``503 INGEST_OVERLOADED`` (with ``Retry-After``) and closed.
- **Broken framing** (e.g. a Content-Length shorter than the body, so the rest parses as a
  bad request): answered ``400 REQUEST_MALFORMED`` with a coded JSON body. If a complete
  request came before the broken bytes, it is answered first, so a client is told exactly
  what was stored; a request still reading its body is dropped and nothing of it stored.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from rastup_data.collector.responses import error_body
from rastup_data.errors import ErrorCode

__all__ = ["TIMED_OUT", "HttpLimits", "guarded_protocol"]

log = logging.getLogger(__name__)

#: Set in a request's ASGI scope when the protocol gave up waiting for its body.
TIMED_OUT = "rastup.timed_out"


@dataclass(frozen=True, slots=True)
class HttpLimits:
    """Connection timeouts and the per-process connection cap (``[collector.http]``)."""

    idle_timeout_s: float = 5.0
    header_timeout_s: float = 10.0
    body_timeout_s: float = 60.0
    max_connections: int = 1000


def _raw_answer(code: ErrorCode, message: str, *, retry_after: int | None = None) -> bytes:
    status = code.info.http_status or 400
    body = error_body(code, message)
    reason = {400: b"Bad Request", 408: b"Request Timeout", 503: b"Service Unavailable"}
    head = [
        b"HTTP/1.1 %d %s\r\n" % (status, reason.get(status, b"Error")),
        b"content-type: application/json\r\n",
        b"content-length: %d\r\n" % len(body),
        b"connection: close\r\n",
    ]
    if retry_after is not None:
        head.append(b"retry-after: %d\r\n" % retry_after)
    return b"".join([*head, b"\r\n", body])


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """See the module docstring; ``http_limits`` and ``on_refusal`` are set per server."""

    http_limits: HttpLimits = HttpLimits()
    on_refusal: Callable[[ErrorCode], None] = staticmethod(lambda _code: None)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.timeout_keep_alive = self.http_limits.idle_timeout_s  # type: ignore[assignment]
        self._deadline: asyncio.TimerHandle | None = None
        self._refusal: bytes | None = None
        self._broken = False

    # -- connection ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.http_limits.max_connections:
            self._refuse_now(
                ErrorCode.INGEST_OVERLOADED,
                "too many open connections to this collector process; retry later",
                retry_after=1,
            )
            return
        self.timeout_keep_alive_task = self.loop.call_later(
            self.timeout_keep_alive, self.timeout_keep_alive_handler
        )

    def connection_lost(self, exc: Exception | None) -> None:
        self._clear_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._broken:
            return
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self._broken = True
            self._refuse_framing()
        except httptools.HttpParserUpgrade:
            # Not spoken here (h2c and the like); the route refuses the request, and the
            # connection closes after that answer.
            if self.cycle is not None:
                self.cycle.keep_alive = False

    # -- deadlines -------------------------------------------------------------------

    def _set_deadline(self, seconds: float, on_expiry: Callable[[], None]) -> None:
        self._clear_deadline()
        self._deadline = self.loop.call_later(seconds, on_expiry)

    def _clear_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._set_deadline(self.http_limits.header_timeout_s, self._headers_too_slow)

    def on_headers_complete(self) -> None:
        self._set_deadline(self.http_limits.body_timeout_s, self._body_too_slow)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._clear_deadline()
        super().on_message_complete()

    def _headers_too_slow(self) -> None:
        self._deadline = None
        self._refuse_now(ErrorCode.REQUEST_TIMEOUT, "the request headers took too long")

    def _body_too_slow(self) -> None:
        self._deadline = None
        cycle = self.cycle
        if cycle is not None and not cycle.response_started:
            cycle.scope[TIMED_OUT] = True  # type: ignore[literal-required]
            cycle.disconnected = True
            cycle.message_event.set()
        self._refuse_now(ErrorCode.REQUEST_TIMEOUT, "the request body took too long")

    # -- refusals --------------------------------------------------------------------

    def _refuse_now(self, code: ErrorCode, message: str, *, retry_after: int | None = None) -> None:
        self.on_refusal(code)
        if not self.transport.is_closing():
            if self.cycle is None or not self.cycle.response_started:
                self.transport.write(_raw_answer(code, message, retry_after=retry_after))
            self.transport.close()

    def _refuse_framing(self) -> None:
        message = "the request is not valid HTTP/1.1 (check Content-Length and framing)"
        cycle = self.cycle
        if cycle is None or cycle.response_complete:
            self._refuse_now(ErrorCode.REQUEST_MALFORMED, message)
        elif cycle.more_body:
            # Its body never arrived whole: drop it, so nothing of it can be stored.
            cycle.disconnected = True
            cycle.message_event.set()
            self._refuse_now(ErrorCode.REQUEST_MALFORMED, message)
        else:
            # A complete request is being handled: answer it first, then refuse the rest.
            self.on_refusal(ErrorCode.REQUEST_MALFORMED)
            self._refusal = _raw_answer(ErrorCode.REQUEST_MALFORMED, message)

    def send_400_response(self, msg: str) -> None:
        self._refuse_now(ErrorCode.REQUEST_MALFORMED, msg)

    def on_response_complete(self) -> None:
        if self._refusal is not None and not self.pipeline:
            self.server_state.total_requests += 1
            if not self.transport.is_closing():
                self.transport.write(self._refusal)
                self.transport.close()
            return
        super().on_response_complete()


def guarded_protocol(
    limits: HttpLimits, on_refusal: Callable[[ErrorCode], None]
) -> type[GuardedHttpToolsProtocol]:
    """The protocol class a server uses, bound to its limits and refusal counter."""
    return type(
        "CollectorHttpProtocol",
        (GuardedHttpToolsProtocol,),
        {"http_limits": limits, "on_refusal": staticmethod(on_refusal)},
    )
