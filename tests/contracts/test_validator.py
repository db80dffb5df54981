"""EventValidator.check: examples pass; envelope, unknown, payload and PII faults are coded."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rastup_data.contracts import EventValidator, Registry, Rejection, scan_pii
from rastup_data.errors import ErrorCode

ENVELOPE_REQUIRED = ("event", "v", "occurred_at", "received_at", "context", "ids", "payload")


def _example(registry: Registry, event: str = "booking.leg.cancelled") -> dict[str, Any]:
    schema = registry.get(event, 1)
    assert schema is not None
    return copy.deepcopy(dict(schema.examples[0]))


def _code(rejection: Rejection | None) -> ErrorCode | None:
    return None if rejection is None else rejection.code


def _all_schemas(registry: Registry) -> list[str]:
    return [schema.event for schema in registry]


def test_every_example_of_every_schema_is_accepted(
    registry: Registry, validator: EventValidator
) -> None:
    checked = 0
    for schema in registry:
        for example in schema.examples:
            event = orjson.loads(orjson.dumps(example))
            assert validator.check(event) is None, (schema.event, validator.check(event))
            checked += 1
    for example in registry.envelope["examples"]:
        assert validator.check(copy.deepcopy(example)) is None
    assert checked >= len(registry) == 43


def _wrong_type_value(spec: Mapping[str, Any]) -> object:
    types = spec.get("type")
    types = set(types) if isinstance(types, list) else {types}
    if "string" in types:
        return 12345
    if types & {"integer", "number"}:
        return "12"
    return "true"


def _invalid_fixtures(registry: Registry) -> list[tuple[str, str, str, Any]]:
    """(event, kind, field, value) for every required field, type, enum and an extra key."""
    fixtures: list[tuple[str, str, str, Any]] = []
    for schema in registry:
        properties = schema.schema["properties"]
        for field in schema.required_fields:
            fixtures.append((schema.event, "drop", field, None))
        for field, spec in properties.items():
            fixtures.append((schema.event, "type", field, _wrong_type_value(spec)))
            if "enum" in spec:
                fixtures.append((schema.event, "enum", field, "not_a_listed_value"))
        fixtures.append((schema.event, "extra", "unexpected_field", "x"))
    return fixtures


def test_fixture_generation_covers_every_event(registry: Registry) -> None:
    fixtures = _invalid_fixtures(registry)
    kinds_per_event: dict[str, set[str]] = {}
    for event, kind, _, _ in fixtures:
        kinds_per_event.setdefault(event, set()).add(kind)
    assert set(kinds_per_event) == set(_all_schemas(registry))
    assert all({"drop", "type", "extra"} <= kinds for kinds in kinds_per_event.values())
    assert sum(1 for _, kind, _, _ in fixtures if kind == "enum") >= 24


def test_generated_invalid_payloads_are_rejected_as_schema_invalid(
    registry: Registry, validator: EventValidator
) -> None:
    failures = []
    for event_name, kind, field, value in _invalid_fixtures(registry):
        event = _example(registry, event_name)
        if kind == "drop":
            del event["payload"][field]
        else:
            event["payload"][field] = value
        rejection = validator.check(event)
        if rejection is None or rejection.code is not ErrorCode.EVENT_SCHEMA_INVALID:
            failures.append((event_name, kind, field, rejection))
            continue
        expected_path = "$.payload" if kind in ("drop", "extra") else f"$.payload.{field}"
        if expected_path not in rejection.message or field not in rejection.message:
            failures.append((event_name, kind, field, rejection.message))
    assert failures == []


@pytest.mark.parametrize("field", ENVELOPE_REQUIRED)
def test_missing_envelope_field_is_envelope_invalid(
    registry: Registry, validator: EventValidator, field: str
) -> None:
    event = _example(registry)
    del event[field]
    rejection = validator.check(event)
    assert _code(rejection) is ErrorCode.EVENT_ENVELOPE_INVALID
    assert rejection is not None
    assert field in rejection.message


ENVELOPE_FAULTS: list[tuple[str, Any, str]] = [
    ("event", "Booking Confirmed", "$.event"),
    ("event", 7, "$.event"),
    ("v", 0, "$.v"),
    ("v", "1", "$.v"),
    ("v", True, "$.v"),
    ("occurred_at", "yesterday", "$.occurred_at"),
    ("occurred_at", "2026-11-20T14:03:07", "$.occurred_at"),
    ("received_at", "2026-13-01T00:00:00Z", "$.received_at"),
    ("user_id", "user-42", "$.user_id"),
    ("anon_id", "u_123", "$.anon_id"),
    ("session_id", 5, "$.session_id"),
    ("context", "web", "$.context"),
    ("ids", [], "$.ids"),
    ("payload", [1, 2], "$.payload"),
    ("extra_top_level", 1, "$"),
]


@pytest.mark.parametrize(("field", "value", "path"), ENVELOPE_FAULTS)
def test_envelope_faults_are_envelope_invalid(
    registry: Registry, validator: EventValidator, field: str, value: Any, path: str
) -> None:
    event = _example(registry)
    event[field] = value
    rejection = validator.check(event)
    assert _code(rejection) is ErrorCode.EVENT_ENVELOPE_INVALID
    assert rejection is not None
    assert f"{path}:" in rejection.message


NESTED_FAULTS: list[tuple[str, str, Any]] = [
    ("context", "app", "tv"),
    ("context", "city", "NYC"),
    ("context", "city", "new york"),
    ("context", "nested", {"a": 1}),
    ("context", "list", [1]),
    ("ids", "event_id", "not-a-uuid"),
    ("ids", "booking_id", 42),
]


@pytest.mark.parametrize(("parent", "key", "value"), NESTED_FAULTS)
def test_context_and_ids_faults_are_envelope_invalid(
    registry: Registry, validator: EventValidator, parent: str, key: str, value: Any
) -> None:
    event = _example(registry)
    event[parent][key] = value
    rejection = validator.check(event)
    assert _code(rejection) is ErrorCode.EVENT_ENVELOPE_INVALID
    assert rejection is not None
    assert f"$.{parent}.{key}" in rejection.message


@pytest.mark.parametrize(
    ("parent", "key"), [("context", "app"), ("context", "platform"), ("ids", "event_id")]
)
def test_missing_context_and_ids_members(
    registry: Registry, validator: EventValidator, parent: str, key: str
) -> None:
    event = _example(registry)
    del event[parent][key]
    assert _code(validator.check(event)) is ErrorCode.EVENT_ENVELOPE_INVALID


@pytest.mark.parametrize("value", [[1, 2], "text", None, 3])
def test_non_object_events_are_envelope_invalid(validator: EventValidator, value: Any) -> None:
    assert _code(validator.check(value)) is ErrorCode.EVENT_ENVELOPE_INVALID


def test_optional_ids_may_be_null_or_absent(registry: Registry, validator: EventValidator) -> None:
    event = _example(registry)
    for field in ("user_id", "anon_id", "session_id"):
        event[field] = None
    assert validator.check(event) is None
    for field in ("user_id", "anon_id", "session_id"):
        del event[field]
    assert validator.check(event) is None
    event["context"]["campaign_medium"] = "newsletter"
    event["context"]["screen_dpi"] = 2.5
    assert validator.check(event) is None


@pytest.mark.parametrize(("name", "version"), [("booking.teleported", 1), ("booking.confirmed", 2)])
def test_unknown_event_or_version(
    registry: Registry, validator: EventValidator, name: str, version: int
) -> None:
    event = _example(registry, "booking.confirmed")
    event["event"], event["v"] = name, version
    rejection = validator.check(event)
    assert _code(rejection) is ErrorCode.EVENT_UNKNOWN
    assert rejection is not None
    assert name in rejection.message


def test_order_envelope_then_unknown_then_payload_then_pii(
    registry: Registry, validator: EventValidator
) -> None:
    event = _example(registry)
    event["event"] = "no.such.event"
    event["payload"]["reason"] = "mail jane@example.com"
    event["occurred_at"] = "not a time"
    assert _code(validator.check(event)) is ErrorCode.EVENT_ENVELOPE_INVALID
    event["occurred_at"] = "2026-11-20T10:00:00Z"
    assert _code(validator.check(event)) is ErrorCode.EVENT_UNKNOWN
    event["event"] = "booking.leg.cancelled"
    event["payload"]["cancelled_by"] = "alien"
    assert _code(validator.check(event)) is ErrorCode.EVENT_SCHEMA_INVALID
    event["payload"]["cancelled_by"] = "client"
    assert _code(validator.check(event)) is ErrorCode.EVENT_PII_DETECTED
    event["payload"]["reason"] = "moved to next month"
    assert validator.check(event) is None


PII_PLACES: list[tuple[str, tuple[str, ...], str]] = [
    ("booking.leg.cancelled", ("payload", "reason"), "client is jane.doe@example.com"),
    ("booking.leg.cancelled", ("payload", "reason"), "call me on +44 20 7946 0958"),
    ("payment.refund.succeeded", ("payload", "reason"), "card 4111 1111 1111 1111 declined"),
    ("comms.sent", ("payload", "template"), "sent from 203.0.113.7"),
    ("promo.click", ("payload", "invalid_reason"), "bot from 2001:db8::42"),
    ("session.started", ("context", "device_note"), "(415) 555-0123"),
    ("booking.confirmed", ("ids", "crm_id"), "someone@corp.example"),
]


@pytest.mark.parametrize(("name", "where", "value"), PII_PLACES)
def test_pii_anywhere_is_rejected_without_echoing_it(
    registry: Registry, validator: EventValidator, name: str, where: tuple[str, ...], value: str
) -> None:
    event = _example(registry, name)
    event[where[0]][where[1]] = value
    rejection = validator.check(event)
    assert _code(rejection) is ErrorCode.EVENT_PII_DETECTED
    assert rejection is not None
    assert f"$.{where[0]}.{where[1]}" in rejection.message
    assert value not in rejection.message


def test_check_does_not_modify_the_event(registry: Registry, validator: EventValidator) -> None:
    event = _example(registry, "booking.confirmed")
    before = copy.deepcopy(event)
    validator.check(event)
    event["payload"]["leg_count"] = 0
    validator.check(event)
    before["payload"]["leg_count"] = 0
    assert event == before


def test_long_messages_are_truncated(registry: Registry, validator: EventValidator) -> None:
    event = _example(registry, "booking.confirmed")
    event["payload"]["currency"] = "X" * 5000
    rejection = validator.check(event)
    assert _code(rejection) is ErrorCode.EVENT_SCHEMA_INVALID
    assert rejection is not None
    assert len(rejection.message) < 400


# Text that mixes separators, digits, hex letters and PII so the fast prefilter is exercised
# on both sides of its thresholds.
_PIECES = st.one_of(
    st.text(alphabet="0123456789 .-()+:@abcdefxyz_/", max_size=20),
    st.sampled_from(
        [
            "415-555-0123",
            "+1 (415) 555-0123",
            "4111 1111 1111 1111",
            "10.0.0.1",
            "::1",
            "2001:db8:0:0:0:0:0:1",
            "a@b.io",
            "2026-11-20",
            "4.12.0",
        ]
    ),
    st.integers(min_value=0, max_value=10**19).map(str),
)
_PLACES = st.sampled_from([("payload", "reason"), ("context", "note"), ("ids", "crm_id")])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pieces=st.lists(_PIECES, max_size=6),
    glue=st.sampled_from(["", " ", "-", ".", "_", "x", "+", "("]),
    place=_PLACES,
)
def test_fast_path_agrees_with_the_precise_scan(
    registry: Registry,
    validator: EventValidator,
    pieces: list[str],
    glue: str,
    place: tuple[str, str],
) -> None:
    text = glue.join(pieces)[:128]
    event = _example(registry)
    event[place[0]][place[1]] = text
    expected = ErrorCode.EVENT_PII_DETECTED if scan_pii(text) is not None else None
    assert _code(validator.check(event)) is expected
