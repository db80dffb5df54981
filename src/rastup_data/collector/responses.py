"""How the collector answers: JSON bodies, and one coded error body for every refusal.

Every refusal is ``{"error": {"code": "…", "message": "…"}}`` with a stable code from
:mod:`rastup_data.errors`. Routes refuse by raising :class:`rastup_data.errors.RastupError`
(or :class:`Refusal` when the status is not the code's own); the app turns it into the
answer and counts the code. Messages are for the public: they never carry file paths or
exception text, which go to the log.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from starlette.responses import Response

from rastup_data.errors import ErrorCode, RastupError

__all__ = ["Refusal", "error_body", "error_response", "json_response", "refusal_response"]

#: Codes whose refusal tells the client when to retry (``Retry-After``).
_RETRY_LATER = frozenset({ErrorCode.INGEST_OVERLOADED, ErrorCode.EVENT_PUT_FAILED})


class Refusal(RastupError):
    """A coded refusal whose HTTP status is not the code's own (e.g. 404 for a report)."""

    def __init__(self, code: ErrorCode, message: str, *, status: int) -> None:
        super().__init__(code, message)
        self.status = status


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


def error_body(code: ErrorCode, message: str) -> bytes:
    return orjson.dumps({"error": {"code": code.value, "message": message}})


def error_response(
    code: ErrorCode,
    message: str,
    *,
    status: int | None = None,
    retry_after: int | None = None,
    body: Callable[[ErrorCode, str], bytes] = error_body,
) -> Response:
    """The coded error answer; ``status`` defaults to the code's own (else 400)."""
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return Response(
        body(code, message),
        status or code.info.http_status or 400,
        headers,
        media_type="application/json",
    )


def refusal_response(
    exc: RastupError, *, retry_after_s: int, body: Callable[[ErrorCode, str], bytes] = error_body
) -> Response:
    """The answer to a refusal raised by a route: its status, and ``Retry-After`` when the
    client should try again later."""
    return error_response(
        exc.code,
        exc.message,
        status=exc.status if isinstance(exc, Refusal) else None,
        retry_after=retry_after_s if exc.code in _RETRY_LATER else None,
        body=body,
    )
