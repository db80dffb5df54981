"""How the collector answers: JSON bodies, and one coded error body for every refusal.

Every refusal is ``{"error": {"code": "…", "message": "…"}}`` with a stable code from
:mod:`rastup_data.errors`. Routes refuse by raising :class:`rastup_data.errors.RastupError`
(or :class:`Refusal` when the status is not the code's own); the app turns it into the
answer and counts the code. Messages are for the public: they never carry file paths or
exception text, which go to the log.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from rastup_data.errors import ErrorCode, RastupError

__all__ = ["Refusal", "error_body", "error_response", "json_response"]


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
) -> Response:
    """The coded error answer; ``status`` defaults to the code's own (else 400)."""
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return Response(
        error_body(code, message),
        status or code.info.http_status or 400,
        headers,
        media_type="application/json",
    )
