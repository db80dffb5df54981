"""The hot path of acceptance with the real registry's validator: one bad event costs only
itself, ids and timestamps are canonical before dedupe and storage."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
import pytest

from rastup_data.contracts import load_validator
from rastup_data.errors import ErrorCode
from rastup_data.ingest.acceptance import EventAcceptor
from rastup_data.ingest.dedupe import DedupeWindow
from rastup_data.ingest.limits import IngestLimits
from rastup_data.ingest.timestamps import normalise_timestamp, plain_timestamp

from ..collector.conftest import fresh_events

RECEIVED = "2026-11-29T18:00:00.000000Z"


@pytest.fixture(scope="module")
def validator() -> Any:
    return load_validator()


def _acceptor(validator: Any) -> EventAcceptor:
    return EventAcceptor(validator, DedupeWindow(), IngestLimits())


def _nest(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def _lines_with_one_deep(depth: int) -> list[bytes]:
    """999 valid NDJSON lines with, at index 500, one whose payload nests ``depth`` arrays."""
    events = fresh_events(1000)
    events[500]["payload"]["nested"] = "DEEP"
    lines = [orjson.dumps(e) for e in events]
    lines[500] = lines[500].replace(b'"DEEP"', b"[" * depth + b"1" + b"]" * depth)
    return lines


@pytest.mark.parametrize("depth", [33, 200, 256, 600, 1019])
@pytest.mark.parametrize("kind", ["array", "ndjson"])
def test_one_deep_event_costs_only_itself(validator: Any, depth: int, kind: str) -> None:
    """Depths 253–1023 used to sink the whole batch with a 500 (orjson or the validator
    gave up); now the deep event alone gets EVENT_TOO_DEEP and the rest is accepted."""
    lines = _lines_with_one_deep(depth)
    acceptor = _acceptor(validator)
    if kind == "array":
        outcome = acceptor.accept_items(orjson.loads(b"[" + b",".join(lines) + b"]"), RECEIVED)
    else:
        outcome = acceptor.accept_lines(lines, RECEIVED)
    assert outcome.accepted == 999
    (verdict,) = outcome.verdicts
    assert (verdict.index, verdict.code) == (500, ErrorCode.EVENT_TOO_DEEP.value)
    assert outcome.bad.count(b"\n") == 1
    assert orjson.loads(outcome.bad)["code"] == "EVENT_TOO_DEEP"


def test_an_ndjson_line_too_deep_for_the_parser_is_too_deep_not_malformed(validator: Any) -> None:
    line = b'{"event":"x","payload":' + b"[" * 1100 + b"]" * 1100 + b"}"
    outcome = _acceptor(validator).accept_lines([line], RECEIVED)
    assert [v.code for v in outcome.verdicts] == [ErrorCode.EVENT_TOO_DEEP.value]


def test_the_depth_limit_is_exact(validator: Any) -> None:
    limits = IngestLimits(max_depth=4)
    acceptor = EventAcceptor(validator, DedupeWindow(), limits)
    ok, deep = fresh_events(2)
    ok["ids"]["event_id"] = str(uuid.uuid4())
    # The event is level 1, payload level 2, so a value at level 4 is [[x]] in the payload.
    ok["payload"]["extra"] = [[1]]
    deep["payload"]["extra"] = [[[1]]]
    outcome = acceptor.accept_items([ok, deep], RECEIVED)
    assert [v.code for v in outcome.verdicts if v.code == "EVENT_TOO_DEEP"] == ["EVENT_TOO_DEEP"]
    assert [v.index for v in outcome.verdicts if v.code == "EVENT_TOO_DEEP"] == [1]


def test_upper_and_lower_case_ids_are_one_event(validator: Any) -> None:
    acceptor = _acceptor(validator)
    event = fresh_events(1)[0]
    upper = orjson.loads(orjson.dumps(event))
    upper["ids"]["event_id"] = event["ids"]["event_id"].upper()
    first = acceptor.accept_items([upper], RECEIVED)
    assert first.accepted_ids == [event["ids"]["event_id"]]  # stored lowercase
    assert orjson.loads(first.events)["ids"]["event_id"] == event["ids"]["event_id"]
    again = acceptor.accept_lines([orjson.dumps(event)], RECEIVED)
    assert (again.accepted, again.duplicates) == (0, 1)


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("2026-12-31T23:59:60Z", "2026-12-31T23:59:59.999999Z"),
        ("2026-11-29t17:04:58z", "2026-11-29T17:04:58.000000Z"),
        ("2026-11-29T17:04:58.5+05:30", "2026-11-29T17:04:58.5+05:30"),
        ("2027-01-01T00:59:60+01:00", "2026-12-31T23:59:59.999999Z"),
        ("0001-01-01T00:30:00+00:15", "0001-01-01T00:15:00.000000Z"),
    ],
)
def test_timestamps_rfc3339_allows_are_stored_as_instants_the_lake_reads(
    validator: Any, sent: str, stored: str
) -> None:
    event = fresh_events(1)[0]
    event["occurred_at"] = sent
    outcome = _acceptor(validator).accept_items([event], RECEIVED)
    assert outcome.accepted == 1, outcome.verdicts
    assert orjson.loads(outcome.events)["occurred_at"] == stored


@pytest.mark.parametrize(
    "sent", ["0000-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-00:01"]
)
def test_timestamps_outside_years_1_to_9999_are_refused(validator: Any, sent: str) -> None:
    event = fresh_events(1)[0]
    event["occurred_at"] = sent
    outcome = _acceptor(validator).accept_items([event], RECEIVED)
    (verdict,) = outcome.verdicts
    assert verdict.code == ErrorCode.EVENT_ENVELOPE_INVALID.value
    assert "occurred_at" in verdict.message


def test_the_fast_path_leaves_common_timestamps_alone() -> None:
    for text in ("2026-11-29T17:04:58Z", "2026-11-29T17:04:58.123456789+05:30"):
        assert plain_timestamp(text)
    for text in ("2026-11-29t17:04:58Z", "2026-11-29T17:04:60Z", "0000-01-01T00:00:00Z"):
        assert not plain_timestamp(text)
    assert normalise_timestamp("2026-02-30T00:00:00Z") is None


def test_array_records_are_the_canonical_json_with_the_stamp(validator: Any) -> None:
    """The array path splices received_at into the one encoding it makes; a client's own
    received_at is overwritten, never duplicated."""
    events = fresh_events(2)
    events[1]["received_at"] = "2001-01-01T00:00:00Z"
    outcome = _acceptor(validator).accept_items(orjson.loads(orjson.dumps(events)), RECEIVED)
    records = [orjson.loads(line) for line in outcome.events.splitlines()]
    assert [r["received_at"] for r in records] == [RECEIVED, RECEIVED]
    assert outcome.events.count(b'"received_at"') == 2
    for sent, record in zip(events, records, strict=True):
        assert {k: v for k, v in record.items() if k != "received_at"} == {
            k: v for k, v in sent.items() if k != "received_at"
        }
