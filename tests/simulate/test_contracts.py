"""The simulator's events against the real schema registry and validator."""

from __future__ import annotations

from collections import Counter

import orjson

from rastup_data.contracts import load_validator

from .conftest import SimulatedRun

_RECEIVED_AT = "2026-12-01T00:00:00.000Z"


def test_valid_events_pass_and_malformed_ones_are_rejected(sim_run: SimulatedRun) -> None:
    validator = load_validator()
    wrongly_rejected = []
    for event in sim_run.accepted:
        candidate = dict(event, received_at=_RECEIVED_AT)
        rejection = validator.check(candidate)
        if rejection is not None:
            wrongly_rejected.append((event["event"], rejection))
    assert not wrongly_rejected[:5], f"{len(wrongly_rejected)} valid events rejected"
    codes: Counter[str] = Counter()
    for why, line in sim_run.rejected:
        if why == "not_json":
            codes["EVENT_MALFORMED_JSON"] += 1
            continue
        event = orjson.loads(line)
        event["received_at"] = _RECEIVED_AT
        rejection = validator.check(event)
        assert rejection is not None, (why, line)
        codes[rejection.code.value] += 1
    assert {"EVENT_UNKNOWN", "EVENT_SCHEMA_INVALID", "EVENT_PII_DETECTED"} <= set(codes), codes
