"""What every route needs from the app: the runtime of this process."""

from __future__ import annotations

from starlette.requests import Request

from rastup_data.collector.runtime import CollectorRuntime

__all__ = ["runtime_of"]


def runtime_of(request: Request) -> CollectorRuntime:
    runtime: CollectorRuntime = request.app.state.runtime
    return runtime
