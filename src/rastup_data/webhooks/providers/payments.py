"""Payments provider (Stripe's event objects): charges, refunds, payouts and disputes.

The platform puts its own ids in each object's ``metadata`` when it creates the object
(``booking_id``, and for payouts ``provider_id`` and ``leg_id``; ``city`` optionally).

Stripe type → catalogue event:

- ``charge.succeeded`` → ``payment.charge.succeeded``
- ``refund.created`` (status succeeded), ``refund.updated`` (turning succeeded) →
  ``payment.refund.succeeded``
- ``payout.created`` / ``payout.paid`` / ``payout.failed`` → the event of the same name
- ``charge.dispute.created`` → ``dispute.opened``
- ``charge.dispute.closed`` → ``dispute.resolved`` (won, lost; ``warning_closed`` →
  withdrawn; ``charge_refunded`` → refunded)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from rastup_data.webhooks.providers._base import (
    CanonicalEvent,
    Normalized,
    payload_invalid,
    read,
    read_text,
    timestamp_of,
)

__all__ = ["normalize_payment"]

_DISPUTE_OUTCOMES = {
    "won": "won",
    "lost": "lost",
    "warning_closed": "withdrawn",
    "charge_refunded": "refunded",
}


def _money(obj: Mapping[str, Any]) -> dict[str, Any]:
    amount = obj.get("amount")
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise payload_invalid("lacks an integer amount")
    return {"amount_cents": amount, "currency": read_text(obj, "currency").upper()}


def _event(name: str, body: Mapping[str, Any], payload: dict[str, Any]) -> CanonicalEvent:
    obj = read(body, "data", "object")
    ids = {k: payload[k] for k in ("booking_id", "leg_id") if isinstance(payload.get(k), str)}
    city = read(obj, "metadata", "city")
    return CanonicalEvent(
        name,
        timestamp_of(body.get("created")),
        payload,
        ids,
        city if isinstance(city, str) else None,
    )


def _charge(body: Mapping[str, Any], obj: Mapping[str, Any]) -> list[CanonicalEvent]:
    payload = {
        "charge_id": read_text(obj, "id"),
        "booking_id": read_text(obj, "metadata", "booking_id"),
        **_money(obj),
    }
    return [_event("payment.charge.succeeded", body, payload)]


def _refund(body: Mapping[str, Any], obj: Mapping[str, Any]) -> list[CanonicalEvent]:
    if obj.get("status") != "succeeded":
        return []
    if body.get("type") == "refund.updated":
        before = read(body, "data", "previous_attributes", "status")
        if before is None or before == "succeeded":
            return []  # not the transition to succeeded: already counted
    payload = {
        "refund_id": read_text(obj, "id"),
        "charge_id": read_text(obj, "charge"),
        "booking_id": read_text(obj, "metadata", "booking_id"),
        **_money(obj),
        "reason": read_text(obj, "reason", default="unspecified")[:200],
    }
    return [_event("payment.refund.succeeded", body, payload)]


def _payout(body: Mapping[str, Any], obj: Mapping[str, Any]) -> list[CanonicalEvent]:
    kind = str(body.get("type"))
    payload: dict[str, Any] = {"payout_id": read_text(obj, "id")}
    if kind == "payout.created":
        payload |= {
            "provider_id": read_text(obj, "metadata", "provider_id"),
            "booking_id": read_text(obj, "metadata", "booking_id"),
            "leg_id": read_text(obj, "metadata", "leg_id"),
        }
    payload |= _money(obj)
    if kind == "payout.failed":
        payload["failure_code"] = read_text(obj, "failure_code", default="unknown")[:64]
    return [_event(kind, body, payload)]


def _dispute(body: Mapping[str, Any], obj: Mapping[str, Any]) -> list[CanonicalEvent]:
    if body.get("type") == "charge.dispute.created":
        payload = {
            "dispute_id": read_text(obj, "id"),
            "booking_id": read_text(obj, "metadata", "booking_id"),
            "charge_id": read_text(obj, "charge"),
            **_money(obj),
            "reason": read_text(obj, "reason", default="unspecified")[:200],
        }
        return [_event("dispute.opened", body, payload)]
    outcome = _DISPUTE_OUTCOMES.get(str(obj.get("status")))
    if outcome is None:
        raise payload_invalid("closes a dispute with an unknown status")
    return [
        _event("dispute.resolved", body, {"dispute_id": read_text(obj, "id"), "outcome": outcome})
    ]


_HANDLERS: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any]], list[CanonicalEvent]]] = {
    "charge.succeeded": _charge,
    "refund.created": _refund,
    "refund.updated": _refund,
    "payout.created": _payout,
    "payout.paid": _payout,
    "payout.failed": _payout,
    "charge.dispute.created": _dispute,
    "charge.dispute.closed": _dispute,
}


def normalize_payment(body: Mapping[str, Any], delivery_id: str | None) -> Normalized:
    """Map a Stripe event object (``{"id": "evt_…", "type": …, "data": {"object": …}}``)."""
    event_id = read_text(body, "id")
    kind = read_text(body, "type")
    handler = _HANDLERS.get(kind)
    if handler is None:
        return Normalized(event_id, kind, supported=False)
    obj = read(body, "data", "object")
    if not isinstance(obj, Mapping):
        raise payload_invalid("lacks data.object")
    return Normalized(event_id, kind, tuple(handler(body, obj)))
