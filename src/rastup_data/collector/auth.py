"""API keys: ``Authorization: Bearer KEY`` (or, for the Segment-compatible API, HTTP Basic
with the key as user name), compared in constant time."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Iterable

from starlette.requests import Request

from rastup_data.errors import ErrorCode, RastupError

__all__ = ["ApiKeys", "basic_user", "require_key"]


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
        return self.allows_key(token)

    def allows_key(self, key: str | None) -> bool:
        """Whether ``key`` itself is one of the keys (always, when there are none)."""
        if not self._keys:
            return True
        if not key:
            return False
        presented = key.encode("utf-8", "surrogateescape")
        # Compare with every key so the time taken does not say which one nearly matched.
        matches = [hmac.compare_digest(presented, known) for known in self._keys]
        return any(matches)


def basic_user(authorization: str | None) -> str | None:
    """The user name of an ``Authorization: Basic …`` header (Segment's write key), if any."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[0] or None


def require_key(request: Request) -> None:
    """Refuse (AUTH_FAILED, 401) a request without a known key."""
    keys: ApiKeys = request.app.state.api_keys
    if not keys.allows(request.headers.get("authorization")):
        raise RastupError(
            ErrorCode.AUTH_FAILED, "missing or unknown API key; send Authorization: Bearer KEY"
        )
