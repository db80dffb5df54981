"""Fixtures for the simulator tests, and a small validator written from EVENTS.md.

The validator is deliberately independent of the simulator's code: it knows the event
catalogue (names, payload fields, enums) and the PII patterns, and nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

from rastup_data.simulate import simulate

_TYPES = ("talent", "studio")
_CHANNELS = ("email", "sms", "push")

#: event name -> {payload field: allowed values, or None for any}
CATALOGUE: dict[str, dict[str, tuple[str, ...] | None]] = {
    "session.started": {"entry": ("direct", "search", "ads", "email", "social")},
    "user.signed_up": {
        "role": ("client", "talent", "studio_owner"),
        "method": ("email", "google", "apple"),
    },
    "identity.linked": {"anon_id": None, "user_id": None},
    "search.performed": {"search_id": None, "category": None, "results_count": None},
    "search.impression": {
        "search_id": None,
        "listing_id": None,
        "listing_type": _TYPES,
        "rank": None,
        "is_promoted": None,
        "promotion_id": None,
    },
    "search.click": {
        "search_id": None,
        "listing_id": None,
        "listing_type": _TYPES,
        "rank": None,
        "is_promoted": None,
        "promotion_id": None,
    },
    "profile.viewed": {
        "listing_id": None,
        "listing_type": _TYPES,
        "source": ("search", "direct", "promo"),
    },
    "checkout.start": {
        "checkout_id": None,
        "listing_id": None,
        "listing_type": _TYPES,
        "quoted_amount_cents": None,
        "currency": None,
    },
    "booking.confirmed": {
        "booking_id": None,
        "checkout_id": None,
        "leg_count": None,
        "total_amount_cents": None,
        "currency": None,
    },
    "booking.leg.confirmed": {
        "booking_id": None,
        "leg_id": None,
        "provider_id": None,
        "provider_type": _TYPES,
        "amount_cents": None,
        "currency": None,
        "service_date": None,
    },
    "booking.leg.cancelled": {
        "booking_id": None,
        "leg_id": None,
        "cancelled_by": ("client", "provider", "platform"),
        "reason": None,
    },
    "booking.leg.completed": {"booking_id": None, "leg_id": None},
    "booking.leg.requested": {
        "booking_id": None,
        "leg_id": None,
        "provider_id": None,
        "provider_type": _TYPES,
        "amount_cents": None,
        "currency": None,
        "service_date": None,
        "accept_by": None,
    },
    "booking.leg.accepted": {"booking_id": None, "leg_id": None},
    "booking.leg.declined": {"booking_id": None, "leg_id": None, "reason": None},
    "payment.charge.succeeded": {
        "charge_id": None,
        "booking_id": None,
        "amount_cents": None,
        "currency": None,
    },
    "payment.refund.succeeded": {
        "refund_id": None,
        "charge_id": None,
        "booking_id": None,
        "amount_cents": None,
        "currency": None,
        "reason": None,
    },
    "payment.fee.recorded": {
        "fee_id": None,
        "booking_id": None,
        "leg_id": None,
        "fee_type": ("platform",),
        "amount_cents": None,
        "currency": None,
    },
    "payout.created": {
        "payout_id": None,
        "provider_id": None,
        "booking_id": None,
        "leg_id": None,
        "amount_cents": None,
        "currency": None,
    },
    "payout.paid": {"payout_id": None, "amount_cents": None, "currency": None},
    "dispute.opened": {
        "dispute_id": None,
        "booking_id": None,
        "charge_id": None,
        "amount_cents": None,
        "currency": None,
        "reason": None,
    },
    "dispute.resolved": {
        "dispute_id": None,
        "outcome": ("won", "lost", "refunded", "withdrawn"),
    },
    "idv.started": {"check_id": None, "subject_role": None},
    "idv.passed": {"check_id": None},
    "idv.failed": {"check_id": None, "reason_code": None},
    "bgcheck.completed": {"check_id": None, "result": ("clear", "consider", "suspended")},
    "risk.scored": {
        "subject_id": None,
        "score": None,
        "bucket": ("none", "watch", "action", "critical"),
    },
    "promo.budget.set": {"campaign_id": None, "daily_budget_cents": None, "currency": None},
    "promo.impression": {
        "promotion_id": None,
        "campaign_id": None,
        "listing_id": None,
        "placement": None,
    },
    "promo.click": {
        "promotion_id": None,
        "campaign_id": None,
        "listing_id": None,
        "is_invalid": None,
        "invalid_reason": None,
        "cost_cents": None,
    },
    "comms.sent": {
        "message_id": None,
        "channel": _CHANNELS,
        "category": ("transactional", "marketing", "digest"),
        "template": None,
    },
    "comms.delivered": {"message_id": None, "channel": _CHANNELS},
    "comms.bounced": {"message_id": None, "channel": _CHANNELS, "bounce_type": ("hard", "soft")},
    "comms.complained": {"message_id": None, "channel": _CHANNELS},
    "comms.opted_out": {"channel": _CHANNELS, "category": None},
    "comms.digest_suppressed": {"digest_id": None, "channel": _CHANNELS, "reason": None},
    "studio.verified": {"studio_id": None, "method": None},
    "studio.verification_failed": {"studio_id": None, "reason": None},
    "studio.amenity.used": {"studio_id": None, "booking_id": None, "amenity": None},
    "studio.quote.requested": {"quote_id": None, "studio_id": None},
    "studio.quote.accepted": {
        "quote_id": None,
        "studio_id": None,
        "amount_cents": None,
        "currency": None,
    },
    "exp.exposure": {
        "exp_key": None,
        "variant": None,
        "unit_id": None,
        "unit_type": ("anon", "user"),
    },
}

NULLABLE = {"promotion_id", "invalid_reason"}
ENVELOPE_KEYS = (
    "event",
    "v",
    "occurred_at",
    "user_id",
    "anon_id",
    "session_id",
    "context",
    "ids",
    "payload",
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_PHONE = re.compile(r"\+?\(?\d[\d\s().-]{7,}\d")


def looks_like_pii(text: str) -> bool:
    if _EMAIL.search(text):
        return True
    return any(sum(ch.isdigit() for ch in m.group()) >= 10 for m in _PHONE.finditer(text))


def rejection(line: bytes) -> tuple[str | None, dict[str, Any] | None]:
    """(why a validator rejects the line or None, the parsed event when it parses)."""
    try:
        event = orjson.loads(line)
    except orjson.JSONDecodeError:
        return "not_json", None
    if not isinstance(event, dict):
        return "not_json", None
    fields = CATALOGUE.get(event.get("event", ""))
    if fields is None:
        return "unknown_event", event
    payload = event.get("payload")
    if not isinstance(payload, dict) or any(name not in payload for name in fields):
        return "missing_field", event
    for name, allowed in fields.items():
        value = payload[name]
        if value is None and name not in NULLABLE:
            return "missing_field", event
        if allowed is not None and value not in allowed:
            return "bad_enum", event
    if any(isinstance(v, str) and looks_like_pii(v) for v in payload.values()):
        return "pii", event
    return None, event


@dataclass(frozen=True)
class SimulatedRun:
    """A finished simulation: its raw lines, golden, and what a validator makes of them."""

    out_dir: Path
    lines: list[bytes]
    golden: dict[str, Any]
    rejected: list[tuple[str, bytes]]
    accepted: list[dict[str, Any]]  # every valid line parsed, duplicates included

    def distinct_valid(self) -> Iterator[dict[str, Any]]:
        seen: set[str] = set()
        for event in self.accepted:
            event_id = event["ids"]["event_id"]
            if event_id not in seen:
                seen.add(event_id)
                yield event


def load_run(out_dir: Path) -> SimulatedRun:
    lines = (out_dir / "events.ndjson").read_bytes().splitlines()
    golden = orjson.loads((out_dir / "golden.json").read_bytes())
    rejected: list[tuple[str, bytes]] = []
    accepted: list[dict[str, Any]] = []
    for line in lines:
        why, event = rejection(line)
        if why is None:
            assert event is not None
            accepted.append(event)
        else:
            rejected.append((why, line))
    return SimulatedRun(out_dir, lines, golden, rejected, accepted)


@pytest.fixture(scope="session")
def sim_run(tmp_path_factory: pytest.TempPathFactory) -> SimulatedRun:
    """A mid-sized run shared by the read-only tests."""
    out_dir = tmp_path_factory.mktemp("sim")
    simulate(out_dir, seed=11, days=5, users=4_000)
    return load_run(out_dir)
