"""Email delivery provider (Standard Webhooks): delivery, bounces, complaints, opt-outs.

``{"type": "email.delivered" | "email.bounced" | "email.complained" | "email.unsubscribed",
"created_at": "…", "data": {"email_id": "…", "to": […], "tags": {"message_id": "<ours>",
"category": "marketing"}, "bounce": {"type": "Permanent" | "Transient"}}}``. Recipient
addresses are never read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rastup_data.webhooks.providers._base import (
    CanonicalEvent,
    Normalized,
    payload_invalid,
    read,
    read_text,
)
from rastup_data.webhooks.providers._base import timestamp_of as _timestamp

__all__ = ["normalize_email"]

_EVENTS = {
    "email.delivered": "comms.delivered",
    "email.bounced": "comms.bounced",
    "email.complained": "comms.complained",
    "email.unsubscribed": "comms.opted_out",
}
_BOUNCES = {"permanent": "hard", "hard": "hard", "transient": "soft", "soft": "soft"}


def _payload(kind: str, data: Any) -> dict[str, Any]:
    if kind == "email.unsubscribed":
        return {"channel": "email", "category": read_text(data, "tags", "category")}
    payload: dict[str, Any] = {
        "message_id": read_text(data, "tags", "message_id"),
        "channel": "email",
    }
    if kind == "email.bounced":
        bounce = _BOUNCES.get(str(read(data, "bounce", "type")).lower())
        if bounce is None:
            raise payload_invalid("has an unknown bounce type")
        payload["bounce_type"] = bounce
    return payload


def normalize_email(body: Mapping[str, Any], delivery_id: str | None) -> Normalized:
    if delivery_id is None:
        raise payload_invalid("has no delivery id")
    kind = read_text(body, "type")
    name = _EVENTS.get(kind)
    if name is None:
        return Normalized(delivery_id, kind, supported=False)
    event = CanonicalEvent(
        name, _timestamp(body.get("created_at")), _payload(kind, read(body, "data"))
    )
    return Normalized(delivery_id, kind, (event,))
