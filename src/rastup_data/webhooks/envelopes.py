"""Catalogue envelopes for normalized notifications, with name-based event ids.

``ids.event_id`` is UUIDv5 of ``"<provider>:<provider event id>:<n>"`` in the platform's
webhook namespace: a notification delivered again (a provider's retry) yields the same
event id, so the collector's dedupe and Silver count it once.
"""

from __future__ import annotations

import uuid
from datetime import UTC
from typing import Any

from rastup_data.webhooks.providers import CanonicalEvent

__all__ = ["WEBHOOK_NAMESPACE", "envelope_for", "webhook_event_id"]

#: Namespace of webhook event ids (uuid5 of the DNS namespace and a fixed name).
WEBHOOK_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "webhooks.rastup.com")


def webhook_event_id(provider: str, provider_event_id: str, index: int = 0) -> str:
    return str(uuid.uuid5(WEBHOOK_NAMESPACE, f"{provider}:{provider_event_id}:{index}"))


def envelope_for(
    provider: str, provider_event_id: str, index: int, event: CanonicalEvent
) -> dict[str, Any]:
    """The envelope (without ``received_at``: the collector stamps it)."""
    context: dict[str, Any] = {"app": "backend", "platform": f"webhook-{provider}"}
    if event.city:
        context["city"] = event.city
    occurred = event.occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {
        "event": event.event,
        "v": 1,
        "occurred_at": occurred,
        "user_id": None,
        "anon_id": None,
        "session_id": None,
        "context": context,
        "ids": {"event_id": webhook_event_id(provider, provider_event_id, index), **event.ids},
        "payload": dict(event.payload),
    }
