"""API keys: ``Authorization: Bearer KEY``, compared in constant time."""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from starlette.requests import Request

from rastup_data.errors import ErrorCode, RastupError

__all__ = ["ApiKeys", "require_key"]


class ApiKeys:
    """The keys a collector accepts; with none, every request is allowed (loopback only)."""

    def __init__(self, keys: Iterable[str]) -> None:
        self._keys = [key.encode() for key in keys]

    def __bool__(self) -> bool:
        return bool(self._keys)

    def allows(self, authorization: str | None) -> bool:
        if not self._keys:
            return True
        scheme, _, token = (authorization or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return False
        presented = token.encode("utf-8", "surrogateescape")
        # Compare with every key so the time taken does not say which one nearly matched.
        matches = [hmac.compare_digest(presented, key) for key in self._keys]
        return any(matches)


def require_key(request: Request) -> None:
    """Refuse (AUTH_FAILED, 401) a request without a known key."""
    keys: ApiKeys = request.app.state.api_keys
    if not keys.allows(request.headers.get("authorization")):
        raise RastupError(
            ErrorCode.AUTH_FAILED, "missing or unknown API key; send Authorization: Bearer KEY"
        )
