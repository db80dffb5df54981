"""Identity-verification provider (Standard Webhooks): verification outcomes.

``{"type": "verification.passed" | "verification.failed", "timestamp": "…",
"data": {"id": "ver_…", "reference_id": "<our check_id>", "reason_code": "…"}}``; the
provider's event id is the ``webhook-id`` of the delivery.
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
    timestamp_of,
)

__all__ = ["normalize_identity"]


def normalize_identity(body: Mapping[str, Any], delivery_id: str | None) -> Normalized:
    if delivery_id is None:
        raise payload_invalid("has no delivery id")
    kind = read_text(body, "type")
    if kind not in {"verification.passed", "verification.failed"}:
        return Normalized(delivery_id, kind, supported=False)
    data = read(body, "data")
    payload: dict[str, Any] = {"check_id": read_text(data, "reference_id")}
    if kind == "verification.failed":
        payload["reason_code"] = read_text(data, "reason_code", default="unspecified")[:64]
    name = "idv.passed" if kind == "verification.passed" else "idv.failed"
    event = CanonicalEvent(name, timestamp_of(body.get("timestamp")), payload)
    return Normalized(delivery_id, kind, (event,))
