"""Every line a validator accepts is a well-formed envelope of a catalogued event."""

from __future__ import annotations

import re
import uuid
from datetime import date

from .conftest import CATALOGUE, ENVELOPE_KEYS, SimulatedRun

_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
_ID = re.compile(r"^[a-z]+_[a-z0-9]+$")
_CITIES = {"nyc", "lax", "chi", "mia", "sfo"}
_BACKEND_PREFIXES = (
    "booking.",
    "payment.",
    "payout.",
    "dispute.",
    "idv.",
    "bgcheck.",
    "risk.",
    "promo.",
    "comms.",
    "studio.verif",
    "studio.amenity",
)
_ID_PREFIX = {
    "booking_id": "bk_",
    "leg_id": "lg_",
    "charge_id": "ch_",
    "refund_id": "rf_",
    "fee_id": "fee_",
    "payout_id": "po_",
    "dispute_id": "dp_",
    "checkout_id": "chk_",
    "search_id": "srch_",
    "listing_id": "lst_",
    "promotion_id": "prm_",
    "campaign_id": "cmp_",
    "message_id": "msg_",
    "digest_id": "dg_",
    "studio_id": "st_",
    "quote_id": "q_",
}


def test_accepted_lines_are_envelopes_of_known_events(sim_run: SimulatedRun) -> None:
    names = set()
    for event in sim_run.accepted:
        assert tuple(event) == ENVELOPE_KEYS
        assert event["event"] in CATALOGUE
        assert event["v"] == 1
        assert _TIMESTAMP.match(event["occurred_at"])
        assert set(event["payload"]) == set(CATALOGUE[event["event"]]), event
        ids = event["ids"]
        assert uuid.UUID(ids["event_id"]).version == 4
        assert set(event["context"]) == {"app", "platform", "city", "locale"}
        for key, prefix in (("user_id", "u_"), ("anon_id", "a_"), ("session_id", "s_")):
            assert event[key] is None or event[key].startswith(prefix)
        names.add(event["event"])
    assert names == set(CATALOGUE), f"never emitted: {set(CATALOGUE) - names}"


def test_contexts_cities_and_backend_apps(sim_run: SimulatedRun) -> None:
    cities = set()
    for event in sim_run.accepted:
        ctx = event["context"]
        cities.add(ctx["city"])
        assert ctx["locale"] == "en-US"
        if event["event"].startswith(_BACKEND_PREFIXES):
            assert (ctx["app"], ctx["platform"]) == ("backend", "server"), event
        else:
            assert ctx["app"] in {"web", "ios", "android"}, event
    assert cities >= _CITIES


def test_payload_values_are_typed_and_prefixed(sim_run: SimulatedRun) -> None:
    for event in sim_run.accepted:
        for key, value in event["payload"].items():
            if key.endswith("_cents"):
                assert type(value) is int
                assert value >= 0
            if key == "currency":
                assert value == "USD"
            if key in ("reason", "invalid_reason", "template") and value is not None:
                assert 0 < len(value) <= 200
            prefix = _ID_PREFIX.get(key)
            if prefix is not None and value is not None:
                assert value.startswith(prefix), (key, value)
                assert _ID.match(value), (key, value)
            if key == "service_date":
                date.fromisoformat(value)
        if event["event"] == "risk.scored":
            assert 0 <= event["payload"]["score"] <= 100


def test_no_received_at_and_unique_event_ids_per_body(sim_run: SimulatedRun) -> None:
    bodies: dict[str, bytes] = {}
    for line in sim_run.lines:
        assert b'"received_at"' not in line
    for event, line in zip(sim_run.accepted, _accepted_lines(sim_run), strict=True):
        event_id = event["ids"]["event_id"]
        assert bodies.setdefault(event_id, line) == line, "same event_id with another body"


def _accepted_lines(run: SimulatedRun) -> list[bytes]:
    rejected = {line for _, line in run.rejected}
    return [line for line in run.lines if line not in rejected]
