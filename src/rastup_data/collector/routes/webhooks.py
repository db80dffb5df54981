"""``POST /v1/webhooks/{provider}``: signed provider notifications as catalogue events.

Verification, replay refusal and normalization are :mod:`rastup_data.webhooks`; this route
reads the body within the webhook limit and stores the result through the collector's
durable-append path before answering 200 — envelopes through ``accept_events`` (validated,
deduplicated by their name-based event ids, fsync'd), an unmapped or unreadable
notification as one quarantine record. Refusals: 404, 401, 409, 413, 503 with codes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from rastup_data.collector.body import read_request_body
from rastup_data.collector.durable import accept_events, ensure_capacity, make_durable
from rastup_data.collector.responses import json_response
from rastup_data.collector.routes.common import runtime_of
from rastup_data.collector.runtime import CollectorRuntime
from rastup_data.ingest.acceptance import BatchOutcome, Prevalidated, format_received_at
from rastup_data.ingest.limits import KIB
from rastup_data.webhooks.receiver import Reading, WebhookReceiver

__all__ = ["WEBHOOK_MAX_BODY_BYTES", "router"]

router = APIRouter()

#: Largest webhook body accepted (providers' notifications are a few KiB).
WEBHOOK_MAX_BODY_BYTES = 256 * KIB
_CREATING = threading.Lock()


@router.post(
    "/v1/webhooks/{provider}",
    summary="Receive a signed provider webhook (payments, idv, email)",
    description="See docs/webhooks.md for the schemes, the codes and the events produced.",
)
async def receive_webhook(request: Request, provider: str) -> Response:
    runtime = runtime_of(request)
    receiver = await asyncio.to_thread(_receiver, request)
    chosen = receiver.provider(provider)
    ensure_capacity(runtime)
    limits = dataclasses.replace(
        runtime.config.limits,
        max_body_bytes=WEBHOOK_MAX_BODY_BYTES,
        max_decompressed_bytes=WEBHOOK_MAX_BODY_BYTES,
    )
    body = await read_request_body(request, limits)
    headers = {k.lower(): v for k, v in request.headers.items()}
    reading = await asyncio.to_thread(receiver.read, chosen, headers, body)
    try:
        answer = await _store(runtime, reading, body)
    except BaseException:
        await asyncio.to_thread(receiver.forget, reading)
        raise
    return json_response(answer, 200)


async def _store(runtime: CollectorRuntime, reading: Reading, body: bytes) -> dict[str, Any]:
    received_at = format_received_at()
    if reading.quarantine is not None:
        pre = Prevalidated()
        item = {"event": reading.quarantine.label, "ids": {"event_id": reading.quarantine.event_id}}
        pre.reject(0, item, body, reading.quarantine.code, reading.quarantine.message, received_at)
        outcome = runtime.acceptor.finalize(pre)
        await make_durable(runtime, outcome)
        return {
            "status": "quarantined",
            "code": reading.quarantine.code.value,
            "message": reading.quarantine.message,
        }
    if not reading.envelopes:
        return {"status": "ignored", "type": reading.provider_type}
    outcome = await accept_events(runtime, list(reading.envelopes), received_at=received_at)
    return {"status": "accepted", "type": reading.provider_type, **_summary(outcome)}


def _summary(outcome: BatchOutcome) -> dict[str, Any]:
    return {
        "accepted": outcome.accepted,
        "duplicates": outcome.duplicates,
        "rejected": outcome.rejected,
        "results": [v.to_dict() for v in outcome.verdicts],
    }


def _receiver(request: Request) -> WebhookReceiver:
    """The app's receiver, opening the state database on first use."""
    state = request.app.state
    with _CREATING:
        receiver: WebhookReceiver | None = getattr(state, "webhooks", None)
        if receiver is None:
            from rastup_data.state import open_state
            from rastup_data.webhooks.nonces import StateNonces

            config = runtime_of(request).config
            db = open_state(config.state_url, lake=config.lake)
            receiver = WebhookReceiver(config.webhook_secrets, StateNonces(db))
            state.webhooks = receiver
    return receiver
