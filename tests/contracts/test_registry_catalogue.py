"""The event catalogue of EVENTS.md, transcribed by hand: names, payload fields, enums.

This is the specification the registry must implement, kept independent of the schemas.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import pytest

from rastup_data.contracts import EventValidator, Registry, load_registry
from rastup_data.errors import ErrorCode

LISTING_TYPES = ("talent", "studio")
CHANNELS = ("email", "sms", "push")
CATEGORIES = ("transactional", "marketing", "digest")

#: event name -> payload fields, in the order EVENTS.md lists them.
FIELDS: dict[str, tuple[str, ...]] = {
    "session.started": ("entry",),
    "user.signed_up": ("role", "method"),
    "identity.linked": ("anon_id", "user_id"),
    "search.performed": ("search_id", "category", "results_count"),
    "search.impression": (
        "search_id", "listing_id", "listing_type", "rank", "is_promoted", "promotion_id",
    ),
    "search.click": (
        "search_id", "listing_id", "listing_type", "rank", "is_promoted", "promotion_id",
    ),
    "profile.viewed": ("listing_id", "listing_type", "source"),
    "checkout.start": (
        "checkout_id", "listing_id", "listing_type", "quoted_amount_cents", "currency",
    ),
    "booking.confirmed": (
        "booking_id", "checkout_id", "leg_count", "total_amount_cents", "currency",
    ),
    "booking.leg.confirmed": (
        "booking_id", "leg_id", "provider_id", "provider_type", "amount_cents", "currency",
        "service_date",
    ),
    "booking.leg.cancelled": ("booking_id", "leg_id", "cancelled_by", "reason"),
    "booking.leg.completed": ("booking_id", "leg_id"),
    "payment.charge.succeeded": ("charge_id", "booking_id", "amount_cents", "currency"),
    "payment.refund.succeeded": (
        "refund_id", "charge_id", "booking_id", "amount_cents", "currency", "reason",
    ),
    "payment.fee.recorded": (
        "fee_id", "booking_id", "leg_id", "fee_type", "amount_cents", "currency",
    ),
    "payout.created": (
        "payout_id", "provider_id", "booking_id", "leg_id", "amount_cents", "currency",
    ),
    "payout.paid": ("payout_id", "amount_cents", "currency"),
    # Not in EVENTS.md v1: added for the payments webhook (docs/webhooks.md).
    "payout.failed": ("payout_id", "amount_cents", "currency", "failure_code"),
    "dispute.opened": (
        "dispute_id", "booking_id", "charge_id", "amount_cents", "currency", "reason",
    ),
    "dispute.resolved": ("dispute_id", "outcome"),
    "idv.started": ("check_id", "subject_role"),
    "idv.passed": ("check_id",),
    "idv.failed": ("check_id", "reason_code"),
    "bgcheck.completed": ("check_id", "result"),
    "risk.scored": ("subject_id", "score", "bucket"),
    "promo.budget.set": ("campaign_id", "daily_budget_cents", "currency"),
    "promo.impression": ("promotion_id", "campaign_id", "listing_id", "placement"),
    "promo.click": (
        "promotion_id", "campaign_id", "listing_id", "is_invalid", "invalid_reason", "cost_cents",
    ),
    "comms.sent": ("message_id", "channel", "category", "template"),
    "comms.delivered": ("message_id", "channel"),
    "comms.bounced": ("message_id", "channel", "bounce_type"),
    "comms.complained": ("message_id", "channel"),
    "comms.opted_out": ("channel", "category"),
    "comms.digest_suppressed": ("digest_id", "channel", "reason"),
    "studio.verified": ("studio_id", "method"),
    "studio.verification_failed": ("studio_id", "reason"),
    "studio.amenity.used": ("studio_id", "booking_id", "amenity"),
    "studio.quote.requested": ("quote_id", "studio_id"),
    "studio.quote.accepted": ("quote_id", "studio_id", "amount_cents", "currency"),
    "exp.exposure": ("exp_key", "variant", "unit_id", "unit_type"),
    # Catalogue v1.1: booking legs that need the provider's acceptance.
    "booking.leg.requested": (
        "booking_id", "leg_id", "provider_id", "provider_type", "amount_cents", "currency",
        "service_date", "accept_by",
    ),
    "booking.leg.accepted": ("booking_id", "leg_id"),
    "booking.leg.declined": ("booking_id", "leg_id", "reason"),
}  # fmt: skip

#: Events each minor version of the catalogue added (v1.0 is everything else).
ADDED_IN = {
    "1.1": frozenset({"booking.leg.requested", "booking.leg.accepted", "booking.leg.declined"}),
}

#: (event, field) -> the enum EVENTS.md lists.
ENUMS: dict[tuple[str, str], tuple[object, ...]] = {
    ("session.started", "entry"): ("direct", "search", "ads", "email", "social"),
    ("user.signed_up", "role"): ("client", "talent", "studio_owner"),
    ("user.signed_up", "method"): ("email", "google", "apple"),
    ("search.impression", "listing_type"): LISTING_TYPES,
    ("search.click", "listing_type"): LISTING_TYPES,
    ("profile.viewed", "listing_type"): LISTING_TYPES,
    ("profile.viewed", "source"): ("search", "direct", "promo"),
    ("checkout.start", "listing_type"): LISTING_TYPES,
    ("booking.leg.confirmed", "provider_type"): ("talent", "studio"),
    ("booking.leg.cancelled", "cancelled_by"): ("client", "provider", "platform"),
    ("booking.leg.requested", "provider_type"): ("talent", "studio"),
    ("payment.fee.recorded", "fee_type"): ("platform",),
    ("dispute.resolved", "outcome"): ("won", "lost", "refunded", "withdrawn"),
    ("bgcheck.completed", "result"): ("clear", "consider", "suspended"),
    ("risk.scored", "bucket"): ("none", "watch", "action", "critical"),
    ("comms.sent", "channel"): CHANNELS,
    ("comms.sent", "category"): CATEGORIES,
    ("comms.delivered", "channel"): CHANNELS,
    ("comms.bounced", "channel"): CHANNELS,
    ("comms.bounced", "bounce_type"): ("hard", "soft"),
    ("comms.complained", "channel"): CHANNELS,
    ("comms.opted_out", "channel"): CHANNELS,
    ("comms.opted_out", "category"): CATEGORIES,
    ("comms.digest_suppressed", "channel"): CHANNELS,
    ("exp.exposure", "unit_type"): ("anon", "user"),
}

#: (event, field) pairs EVENTS.md calls nullable.
NULLABLE = frozenset(
    {
        ("search.impression", "promotion_id"),
        ("search.click", "promotion_id"),
        ("promo.click", "invalid_reason"),
    }
)

FREE_TEXT = frozenset({"reason", "invalid_reason", "template"})

#: Documented id prefixes.
PREFIXES = {"booking_id": "bk_", "leg_id": "lg_", "charge_id": "ch_"}


def _payload_properties(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    properties = schema.get("properties")
    assert isinstance(properties, Mapping)
    return properties


def test_every_catalogue_event_is_registered_and_nothing_else(registry: Registry) -> None:
    assert {schema.event for schema in registry} == set(FIELDS)
    assert all(schema.version == 1 for schema in registry)
    assert len(FIELDS) == 43


def test_the_catalogue_is_v1_1_and_each_event_names_the_version_that_added_it(
    registry: Registry,
) -> None:
    assert registry.catalogue_version == "1.1"
    for schema in registry:
        added = next((v for v, events in ADDED_IN.items() if schema.event in events), "1.0")
        assert schema.since == added, schema.event


def test_accept_by_is_a_date_time(validator: EventValidator) -> None:
    schema = load_registry().get("booking.leg.requested", 1)
    assert schema is not None
    event = copy.deepcopy(dict(schema.examples[0]))
    assert validator.check(event) is None
    event["payload"]["accept_by"] = "tomorrow noon"
    rejection = validator.check(event)
    assert rejection is not None
    assert rejection.code is ErrorCode.EVENT_SCHEMA_INVALID
    assert "$.payload.accept_by" in rejection.message


@pytest.mark.parametrize("event", sorted(FIELDS))
def test_payload_fields_match_the_catalogue(registry: Registry, event: str) -> None:
    schema = registry.get(event, 1)
    assert schema is not None
    properties = _payload_properties(schema.schema)
    assert set(FIELDS[event]) <= set(properties), "catalogue fields must not be dropped"
    assert set(schema.required_fields) == set(FIELDS[event])
    assert schema.schema.get("additionalProperties") is False


@pytest.mark.parametrize(("event", "field"), sorted(ENUMS))
def test_enums_are_exactly_as_listed(registry: Registry, event: str, field: str) -> None:
    schema = registry.get(event, 1)
    assert schema is not None
    assert sorted(_payload_properties(schema.schema)[field]["enum"]) == sorted(
        ENUMS[(event, field)]
    )


@pytest.mark.parametrize("event", sorted(FIELDS))
def test_field_rules_money_ids_free_text_nullable(
    registry: Registry, validator: EventValidator, event: str
) -> None:
    schema = registry.get(event, 1)
    assert schema is not None
    properties = _payload_properties(schema.schema)
    example = copy.deepcopy(dict(schema.examples[0]))
    for field in FIELDS[event]:
        spec = properties[field]
        types = spec["type"] if isinstance(spec["type"], list) else [spec["type"]]
        assert ("null" in types) == ((event, field) in NULLABLE), field
        if field.endswith("_cents"):
            assert types == ["integer"]
            assert spec["minimum"] == 0
            assert properties["currency"]["pattern"] == "^[A-Z]{3}$"
        if field in FREE_TEXT:
            assert spec["maxLength"] == 200
        if field in PREFIXES:
            assert spec["pattern"].startswith("^" + PREFIXES[field])
    for field in FIELDS[event]:
        if (event, field) in NULLABLE:
            nulled = copy.deepcopy(example)
            nulled["payload"][field] = None
            assert validator.check(nulled) is None, field


@pytest.mark.parametrize("event", sorted(FIELDS))
def test_money_rejects_negative_and_fractional_amounts(
    registry: Registry, validator: EventValidator, event: str
) -> None:
    schema = registry.get(event, 1)
    assert schema is not None
    money = [field for field in FIELDS[event] if field.endswith("_cents")]
    for field in money:
        for amount in (-1, 12.5):
            bad = copy.deepcopy(dict(schema.examples[0]))
            bad["payload"][field] = amount
            rejection = validator.check(bad)
            assert rejection is not None
            assert rejection.code is ErrorCode.EVENT_SCHEMA_INVALID
        lowercase = copy.deepcopy(dict(schema.examples[0]))
        assert lowercase["payload"]["currency"] == "USD"
        lowercase["payload"]["currency"] = "usd"
        rejection = validator.check(lowercase)
        assert rejection is not None
        assert rejection.code is ErrorCode.EVENT_SCHEMA_INVALID


def test_free_text_longer_than_200_characters_is_rejected(validator: EventValidator) -> None:
    registry = load_registry()
    schema = registry.get("booking.leg.cancelled", 1)
    assert schema is not None
    event = copy.deepcopy(dict(schema.examples[0]))
    event["payload"]["reason"] = "x" * 200
    assert validator.check(event) is None
    event["payload"]["reason"] = "x" * 201
    rejection = validator.check(event)
    assert rejection is not None
    assert rejection.code is ErrorCode.EVENT_SCHEMA_INVALID
    assert "$.payload.reason" in rejection.message


@pytest.mark.parametrize("event", sorted(FIELDS))
def test_every_schema_carries_its_metadata(registry: Registry, event: str) -> None:
    schema = registry.get(event, 1)
    assert schema is not None
    document = schema.schema
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["$id"].endswith(f"/events/{event}/v1.json")
    assert document["title"]
    assert schema.description
    assert schema.owner
    assert schema.examples, "at least one complete example envelope"
    for example in schema.examples:
        assert {"event", "v", "occurred_at", "received_at", "context", "ids", "payload"} <= set(
            example
        )
