"""Acceptance verdicts of a mixed batch: every event gets exactly one answer, accepted events
are stamped and spooled once, rejected ones are quarantined with their raw text."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
import pytest

from rastup_data.contracts import load_validator
from rastup_data.errors import ErrorCode
from rastup_data.ingest.acceptance import (
    BatchOutcome,
    EventAcceptor,
    parse_lines,
    prevalidate,
)
from rastup_data.ingest.dedupe import DedupeWindow
from rastup_data.ingest.limits import IngestLimits

from ..collector.conftest import fresh_events

RECEIVED = "2026-11-29T18:00:00.000000Z"
LIMITS = IngestLimits(max_event_bytes=4096)


@pytest.fixture(scope="module")
def validator() -> Any:
    return load_validator()


def _acceptor(validator: Any) -> EventAcceptor:
    return EventAcceptor(validator, DedupeWindow(), LIMITS)


def _records(blob: bytes) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in blob.splitlines()]


def _mixed_batch() -> tuple[list[bytes], list[dict[str, Any]]]:
    """Lines: 0 valid, 1 malformed, 2 valid, 3 unknown event, 4 too large, 5 a JSON array,
    6 the same event as line 0 (a duplicate within the batch), 7 valid with a client stamp."""
    good = fresh_events(4)
    unknown = dict(good[1], event="made.up", ids={"event_id": str(uuid.uuid4())})
    large = dict(good[2], ids={"event_id": str(uuid.uuid4())})
    large["payload"] = dict(large["payload"], filler="x" * 5000)
    stamped = dict(good[3], received_at="1999-01-01T00:00:00Z")
    lines = [
        orjson.dumps(good[0]),
        b'{"event": "search.click", ',
        orjson.dumps(good[1]),
        orjson.dumps(unknown),
        orjson.dumps(large),
        b"[1, 2, 3]",
        orjson.dumps(good[0]),
        orjson.dumps(stamped),
    ]
    return lines, [good[0], good[1], unknown, large, stamped]


def test_every_line_of_a_mixed_batch_gets_one_verdict_in_order(validator: Any) -> None:
    lines, (first, second, unknown, _, stamped) = _mixed_batch()
    out = _acceptor(validator).accept_lines(lines, RECEIVED)
    answered = [(v.index, v.status, v.code) for v in out.verdicts]
    assert answered == [
        (1, "rejected", ErrorCode.EVENT_MALFORMED_JSON.value),
        (3, "rejected", ErrorCode.EVENT_UNKNOWN.value),
        (4, "rejected", ErrorCode.EVENT_TOO_LARGE.value),
        (5, "rejected", ErrorCode.EVENT_ENVELOPE_INVALID.value),
        (6, "duplicate", ErrorCode.EVENT_DUPLICATE.value),
    ]
    assert (out.accepted, out.duplicates, out.rejected) == (3, 1, 4)
    assert out.accepted + out.duplicates + out.rejected == len(lines)
    ids = [first["ids"]["event_id"], second["ids"]["event_id"], stamped["ids"]["event_id"]]
    assert out.accepted_ids == ids
    assert out.codes == {
        ErrorCode.EVENT_MALFORMED_JSON.value: 1,
        ErrorCode.EVENT_UNKNOWN.value: 1,
        ErrorCode.EVENT_TOO_LARGE.value: 1,
        ErrorCode.EVENT_ENVELOPE_INVALID.value: 1,
    }
    assert out.verdicts[3].event_id is None
    assert out.verdicts[1].event_id == unknown["ids"]["event_id"]


def test_accepted_events_are_spooled_once_with_the_collectors_stamp(validator: Any) -> None:
    lines, (first, second, _, _, stamped) = _mixed_batch()
    out = _acceptor(validator).accept_lines(lines, RECEIVED)
    records = _records(out.events)
    assert out.events.endswith(b"\n")
    assert [r["ids"]["event_id"] for r in records] == out.accepted_ids
    assert {r["received_at"] for r in records} == {RECEIVED}, "the client's stamp is replaced"
    for record, sent in zip(records, (first, second, stamped), strict=True):
        assert {k: v for k, v in record.items() if k != "received_at"} == {
            k: v for k, v in sent.items() if k != "received_at"
        }


def test_rejected_events_are_quarantined_with_their_raw_text(validator: Any) -> None:
    lines, (_, _, unknown, _, _) = _mixed_batch()
    out = _acceptor(validator).accept_lines(lines, RECEIVED)
    bad = _records(out.bad)
    assert [b["code"] for b in bad] == [
        ErrorCode.EVENT_MALFORMED_JSON.value,
        ErrorCode.EVENT_UNKNOWN.value,
        ErrorCode.EVENT_TOO_LARGE.value,
        ErrorCode.EVENT_ENVELOPE_INVALID.value,
    ]
    assert {b["received_at"] for b in bad} == {RECEIVED}
    assert bad[0]["raw"] == lines[1].decode()
    assert bad[1]["raw"] == lines[3].decode()
    assert (bad[1]["event"], bad[1]["event_id"]) == ("made.up", unknown["ids"]["event_id"])
    assert len(bad[2]["raw"]) == LIMITS.max_event_bytes, "an oversized raw text is clipped"
    assert bad[3]["raw"] == "[1, 2, 3]"
    assert all(b["message"] for b in bad)


def test_duplicates_across_batches_and_rejects_do_not_use_up_an_id(validator: Any) -> None:
    acceptor = _acceptor(validator)
    event = fresh_events(1)[0]
    broken = dict(event, event="made.up")
    first = acceptor.accept_lines([orjson.dumps(broken)], RECEIVED)
    assert (first.accepted, first.rejected) == (0, 1)
    second = acceptor.accept_lines([orjson.dumps(event)], RECEIVED)
    assert second.accepted == 1, "a rejected event's id must stay free for the fixed event"
    third = acceptor.accept_lines([orjson.dumps(event)], RECEIVED)
    assert (third.accepted, third.duplicates, third.events) == (0, 1, b"")


def test_an_array_body_and_ndjson_give_the_same_verdicts(validator: Any) -> None:
    events = fresh_events(5)
    events[2]["event"] = "made.up"
    events.append(events[0])
    as_lines = _acceptor(validator).accept_lines([orjson.dumps(e) for e in events], RECEIVED)
    as_array = _acceptor(validator).accept_items(orjson.loads(orjson.dumps(events)), RECEIVED)
    assert as_array.verdicts == as_lines.verdicts
    assert as_array.accepted_ids == as_lines.accepted_ids
    assert _records(as_array.events) == _records(as_lines.events)


def test_prevalidating_in_a_worker_then_finalising_equals_accepting(validator: Any) -> None:
    lines, _ = _mixed_batch()
    whole = _acceptor(validator).accept_lines(lines, RECEIVED)
    pre = prevalidate(parse_lines(lines, LIMITS), RECEIVED, validator, LIMITS)
    split = _acceptor(validator).finalize(pre)
    assert isinstance(split, BatchOutcome)
    assert (split.events, split.bad, split.verdicts) == (whole.events, whole.bad, whole.verdicts)


def test_the_response_counts_and_lists_only_what_was_not_accepted(validator: Any) -> None:
    lines, _ = _mixed_batch()
    response = _acceptor(validator).accept_lines(lines, RECEIVED).response()
    assert (response["accepted"], response["duplicates"], response["rejected"]) == (3, 1, 4)
    assert [r["index"] for r in response["results"]] == [1, 3, 4, 5, 6]
    assert set(response["results"][0]) == {"index", "event_id", "status", "code", "message"}
