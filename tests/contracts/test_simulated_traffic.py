"""The validator against the marketplace simulator: it rejects exactly the injected faults."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import orjson

from rastup_data.contracts import EventValidator
from rastup_data.errors import ErrorCode
from rastup_data.simulate import simulate


def test_verdicts_match_the_simulators_own_fault_counts(
    tmp_path: Path, validator: EventValidator
) -> None:
    summary = simulate(tmp_path, seed=11, days=1, users=1500)
    verdicts: Counter[str] = Counter()
    for line in summary.events_path.read_bytes().splitlines():
        try:
            event = orjson.loads(line)
        except orjson.JSONDecodeError:
            verdicts["not_json"] += 1
            continue
        event["received_at"] = "2026-11-02T00:00:00.000Z"
        rejection = validator.check(event)
        verdicts["accepted" if rejection is None else rejection.code.value] += 1
    assert summary.malformed > 0
    assert verdicts["accepted"] == summary.valid + summary.duplicates
    assert sum(verdicts.values()) - verdicts["accepted"] == summary.malformed
    # Every class the simulator injects is seen, under its own code.
    for code in (
        ErrorCode.EVENT_SCHEMA_INVALID,
        ErrorCode.EVENT_UNKNOWN,
        ErrorCode.EVENT_PII_DETECTED,
    ):
        assert verdicts[code.value] > 0, verdicts
