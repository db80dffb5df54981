"""Envelope building: ids, timestamps, context, validation."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.sdk import build_envelope, rfc3339_utc_ms

STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def test_envelope_fields_and_fresh_uuid4() -> None:
    before = datetime.now(UTC)
    envelope = build_envelope(
        "search.performed", {"search_id": "sr_1"}, anon_id="a_1", context={"city": "nyc"}
    )
    after = datetime.now(UTC)
    event_id = uuid.UUID(envelope["ids"]["event_id"])
    assert event_id.version == 4
    assert envelope["event"] == "search.performed"
    assert envelope["v"] == 1
    assert envelope["anon_id"] == "a_1"
    assert "user_id" not in envelope
    assert "session_id" not in envelope
    assert "received_at" not in envelope
    assert envelope["payload"] == {"search_id": "sr_1"}
    assert STAMP.match(envelope["occurred_at"])
    stamped = datetime.fromisoformat(envelope["occurred_at"].replace("Z", "+00:00"))
    assert before - timedelta(milliseconds=1) <= stamped <= after
    second = build_envelope("search.performed", {})
    assert second["ids"]["event_id"] != envelope["ids"]["event_id"]


def test_timestamp_is_utc_with_milliseconds() -> None:
    moment = datetime(2026, 3, 1, 1, 2, 3, 456789, tzinfo=timezone(timedelta(hours=-5)))
    assert rfc3339_utc_ms(moment) == "2026-03-01T06:02:03.456Z"
    with pytest.raises(RastupError) as info:
        rfc3339_utc_ms(datetime(2026, 3, 1))
    assert info.value.code is ErrorCode.EVENT_ENVELOPE_INVALID


def test_ids_context_and_occurred_at_passthrough() -> None:
    fixed = "7d9f1c2e-8a34-4f0e-9b1a-2c3d4e5f6a7b"
    envelope = build_envelope(
        "booking.confirmed",
        {"booking_id": "bk_1"},
        ids={"event_id": fixed.upper(), "booking_id": "bk_1"},
        occurred_at="2026-01-01T00:00:00.000Z",
        default_context={"app": "web", "city": "lax"},
        context={"city": "nyc"},
        user_id="u_1",
    )
    assert envelope["ids"] == {"event_id": fixed, "booking_id": "bk_1"}
    assert envelope["occurred_at"] == "2026-01-01T00:00:00.000Z"
    assert envelope["context"] == {"app": "web", "city": "nyc"}
    assert envelope["user_id"] == "u_1"


@pytest.mark.parametrize(
    ("event", "payload", "kwargs"),
    [
        ("Booking.Confirmed", {}, {}),
        ("booking confirmed", {}, {}),
        ("ok.event", ["not", "a", "dict"], {}),
        ("ok.event", {}, {"v": 0}),
        ("ok.event", {}, {"ids": {"event_id": "not-a-uuid"}}),
    ],
)
def test_misuse_is_refused(event: str, payload: object, kwargs: dict[str, object]) -> None:
    with pytest.raises(RastupError) as info:
        build_envelope(event, payload, **kwargs)  # type: ignore[arg-type]
    assert info.value.code is ErrorCode.EVENT_ENVELOPE_INVALID
