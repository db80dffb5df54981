"""Suppression in acceptance: erased subjects' events are answered `suppressed`, never stored."""

from __future__ import annotations

import os
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rastup_data.contracts import load_validator
from rastup_data.ingest.acceptance import EventAcceptor
from rastup_data.ingest.dedupe import DedupeWindow
from rastup_data.ingest.suppression import SubjectSuppression, subject_digest

from ..collector.conftest import fresh_events

KEY = os.urandom(32)
ERASED_USER, ERASED_ANON = "u_gone1", "a_gone1"


@pytest.fixture(scope="module")
def validator() -> Any:
    return load_validator()


def _suppression(*ids: str) -> SubjectSuppression:
    return SubjectSuppression(KEY, frozenset(subject_digest(KEY, i) for i in ids))


def _acceptor(validator: Any, *ids: str) -> EventAcceptor:
    return EventAcceptor(validator, DedupeWindow(3600, 10_000), suppression=_suppression(*ids))


def test_digests_are_keyed() -> None:
    assert subject_digest(KEY, "u_1") != subject_digest(os.urandom(32), "u_1")
    assert len(subject_digest(KEY, "u_1")) == 16
    assert not SubjectSuppression().active
    assert not _suppression("u_1").erased(None, 7)


def test_accepted_and_rejected_events_of_erased_subjects_are_suppressed(validator: Any) -> None:
    events = fresh_events(5)
    events[0]["user_id"] = ERASED_USER
    events[2]["anon_id"] = ERASED_ANON
    events[3]["user_id"] = ERASED_USER
    events[3]["v"] = 999  # rejected: EVENT_UNKNOWN, would be quarantined
    events[4]["v"] = 999  # rejected, not erased: quarantined as ever
    outcome = _acceptor(validator, ERASED_USER, ERASED_ANON).accept_lines(
        [orjson.dumps(e) for e in events], "2026-01-01T00:00:00.000000Z"
    )
    assert (outcome.accepted, outcome.suppressed, outcome.rejected) == (1, 3, 1)
    assert [(v.index, v.status) for v in outcome.verdicts] == [
        (0, "suppressed"),
        (2, "suppressed"),
        (3, "suppressed"),
        (4, "rejected"),
    ]
    assert {v.code for v in outcome.verdicts if v.status == "suppressed"} == {
        "EVENT_SUBJECT_ERASED"
    }
    assert outcome.codes == {"EVENT_UNKNOWN": 1}
    assert outcome.accepted_ids == [events[1]["ids"]["event_id"]]
    stored = [orjson.loads(line) for line in outcome.events.splitlines()]
    assert [e["ids"]["event_id"] for e in stored] == outcome.accepted_ids
    quarantined = [orjson.loads(line) for line in outcome.bad.splitlines()]
    assert [q["event_id"] for q in quarantined] == [events[4]["ids"]["event_id"]]
    assert ERASED_USER.encode() not in outcome.events + outcome.bad
    assert ERASED_ANON.encode() not in outcome.events + outcome.bad


def test_a_suppressed_event_is_not_remembered_by_the_dedupe_window(validator: Any) -> None:
    event = fresh_events(1)[0]
    event["user_id"] = ERASED_USER
    acceptor = _acceptor(validator, ERASED_USER)
    assert acceptor.accept_items([dict(event)], "2026-01-01T00:00:00.000000Z").suppressed == 1
    acceptor.suppression = SubjectSuppression()  # e.g. the erasure was filed by mistake
    assert acceptor.accept_items([dict(event)], "2026-01-01T00:00:00.000000Z").accepted == 1


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["keep", "user", "anon", "bad", "bad_user"]), max_size=12))
def test_every_event_gets_exactly_one_verdict_and_nothing_erased_is_stored(
    kinds: list[str],
) -> None:
    validator = _VALIDATOR[0]
    events = fresh_events(len(kinds))
    for event, kind in zip(events, kinds, strict=True):
        if kind in ("user", "bad_user"):
            event["user_id"] = ERASED_USER
        if kind == "anon":
            event["anon_id"] = ERASED_ANON
        if kind.startswith("bad"):
            event["v"] = 999
    outcome = _acceptor(validator, ERASED_USER, ERASED_ANON).accept_lines(
        [orjson.dumps(e) for e in events], "2026-01-01T00:00:00.000000Z"
    )
    assert outcome.accepted + outcome.suppressed + outcome.rejected == len(kinds)
    assert outcome.suppressed == sum(k in ("user", "anon", "bad_user") for k in kinds)
    assert sorted(v.index for v in outcome.verdicts) == [
        i for i, k in enumerate(kinds) if k != "keep"
    ]
    assert len(outcome.events.splitlines()) == outcome.accepted
    assert len(outcome.bad.splitlines()) == outcome.rejected
    assert ERASED_USER.encode() not in outcome.events + outcome.bad


_VALIDATOR: list[Any] = [load_validator()]
