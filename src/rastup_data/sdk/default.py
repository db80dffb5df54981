"""Module-level convenience over one process-wide default Client (``init``/``track``/``flush``).

The default client exists only after :func:`init`; nothing happens at import time.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.sdk.client import Client, ClientStats

__all__ = ["close", "flush", "get_client", "init", "stats", "track"]

_lock = threading.Lock()
_default: list[Client] = []


def init(url: str | None = None, key: str | None = None, **options: Any) -> Client:
    """Create (or replace, closing the old one) the default client; options as for Client."""
    client = Client(url, key, **options)
    with _lock:
        previous = _default[:]
        _default[:] = [client]
    for old in previous:
        old.close()
    return client


def get_client() -> Client:
    """The default client; call :func:`init` first."""
    with _lock:
        if not _default:
            raise RastupError(
                ErrorCode.CONFIG_INVALID,
                "No default client: call rastup_data.sdk.init(url, key) before track().",
            )
        return _default[0]


def track(  # noqa: PLR0913 - public API: one keyword argument per envelope field
    event: str,
    payload: Mapping[str, Any],
    *,
    v: int = 1,
    user_id: str | None = None,
    anon_id: str | None = None,
    session_id: str | None = None,
    context: Mapping[str, Any] | None = None,
    occurred_at: datetime | str | None = None,
    ids: Mapping[str, Any] | None = None,
) -> str:
    """Track with the default client; returns the event_id."""
    return get_client().track(
        event,
        payload,
        v=v,
        user_id=user_id,
        anon_id=anon_id,
        session_id=session_id,
        context=context,
        occurred_at=occurred_at,
        ids=ids,
    )


def flush(timeout: float | None = None) -> bool:
    """Flush the default client."""
    return get_client().flush(timeout)


def stats() -> ClientStats:
    """Counters of the default client."""
    return get_client().stats


def close(timeout: float | None = 10.0) -> bool:
    """Close and forget the default client (no-op when there is none)."""
    with _lock:
        previous = _default[:]
        _default.clear()
    results = [client.close(timeout) for client in previous]
    return all(results)
