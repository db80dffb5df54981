"""What every route needs from the app: the runtime of this process, and its query gate."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import TYPE_CHECKING

from starlette.requests import Request

from rastup_data.collector.runtime import CollectorRuntime
from rastup_data.config import Settings

if TYPE_CHECKING:
    from rastup_data.governance import Gate

__all__ = ["bearer_token", "gate_of", "runtime_of"]

_GATE_LOCK = threading.Lock()


def runtime_of(request: Request) -> CollectorRuntime:
    runtime: CollectorRuntime = request.app.state.runtime
    return runtime


def gate_of(request: Request) -> Gate:
    """The query gate of this process, opened on first use over the runtime's lake."""
    app_state = request.app.state
    gate: Gate | None = getattr(app_state, "gate", None)
    if gate is None:
        with _GATE_LOCK:
            gate = getattr(app_state, "gate", None)
            if gate is None:
                # The gate (pyarrow, numpy, sqlglot) loads with the first request that needs
                # it: a worker that only ingests never pays for it.
                from rastup_data.governance import Gate

                runtime = runtime_of(request)
                settings = Settings.from_env(lake=runtime.layout.root)
                settings = replace(
                    settings, env=runtime.config.env, state_url=runtime.config.state_url
                )
                gate = Gate.open(runtime.layout.root, settings=settings, metrics=runtime.metrics)
                app_state.gate = gate
    return gate


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer …`` header, if any."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None
