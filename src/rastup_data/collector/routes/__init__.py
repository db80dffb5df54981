"""The collector's routes, one module per API surface, each exposing ``router``.

To add an API: write ``routes/<name>.py`` with ``router = APIRouter()``, read the runtime
with :func:`rastup_data.collector.routes.common.runtime_of`, refuse with
:class:`rastup_data.errors.RastupError`, make events durable with
:func:`rastup_data.collector.durable.accept_events`, and add the router to ``ROUTERS``.
"""

from __future__ import annotations

from fastapi import APIRouter

from rastup_data.collector.routes import (
    alerts,
    assign,
    dashboards,
    events,
    experiments,
    ops,
    privacy,
    query,
    registry,
    segment,
    webhooks,
)

__all__ = ["ROUTERS"]

#: Every router the collector app serves, in the order they are matched: the ingest
#: paths first (a request walks the routes before its own on every call), then the rest.
ROUTERS: tuple[APIRouter, ...] = (
    events.router,
    segment.router,
    assign.router,
    ops.router,
    experiments.router,
    query.router,
    alerts.router,
    privacy.router,
    registry.router,
    dashboards.router,
    webhooks.router,
)
