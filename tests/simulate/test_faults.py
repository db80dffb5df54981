"""Fault injection: duplicates, late and out-of-order sends, malformed lines, at the
advertised rates."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import orjson

from rastup_data.simulate import simulate

from .conftest import SimulatedRun, load_run


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_malformed_rate_and_every_class_present(sim_run: SimulatedRun) -> None:
    total = len(sim_run.lines)
    classes = Counter(why for why, _ in sim_run.rejected)
    assert 0.003 <= len(sim_run.rejected) / total <= 0.008
    assert set(classes) == {"not_json", "missing_field", "bad_enum", "unknown_event", "pii"}
    assert min(classes.values()) >= 0.1 * len(sim_run.rejected)


def test_duplicate_rate_and_identical_bodies(sim_run: SimulatedRun) -> None:
    counts = Counter(event["ids"]["event_id"] for event in sim_run.accepted)
    duplicates = sum(n - 1 for n in counts.values())
    assert 0.003 <= duplicates / len(counts) <= 0.008
    line_counts = Counter(sim_run.lines)
    assert sum(n - 1 for n in line_counts.values()) == duplicates


def test_some_duplicates_arrive_much_later(sim_run: SimulatedRun) -> None:
    first_index: dict[str, int] = {}
    gaps = []
    for index, event in enumerate(sim_run.accepted):
        event_id = event["ids"]["event_id"]
        if event_id in first_index:
            gaps.append(index - first_index[event_id])
        else:
            first_index[event_id] = index
    assert any(gap < 1_000 for gap in gaps)
    assert any(gap > 10_000 for gap in gaps)


def test_late_and_out_of_order_events(sim_run: SimulatedRun) -> None:
    newest = None
    late = out_of_order = 0
    for event in sim_run.accepted:
        t = _ts(event["occurred_at"])
        if newest is not None and t < newest:
            out_of_order += 1
            if newest - t > timedelta(days=1):
                late += 1
        newest = t if newest is None else max(newest, t)
    n = len(sim_run.accepted)
    assert out_of_order / n > 0.05
    assert 0.002 <= late / n <= 0.02


def test_malformed_lines_carry_fresh_event_ids(sim_run: SimulatedRun) -> None:
    valid_ids = {event["ids"]["event_id"] for event in sim_run.accepted}
    for why, line in sim_run.rejected:
        if why == "not_json":
            continue
        event = orjson.loads(line)
        assert event["ids"]["event_id"] not in valid_ids


def test_faults_can_be_turned_off(tmp_path: Path) -> None:
    summary = simulate(
        tmp_path, seed=4, days=2, users=600, duplicate_rate=0, late_rate=0, malformed_rate=0
    )
    run = load_run(tmp_path)
    assert (summary.duplicates, summary.malformed, summary.late) == (0, 0, 0)
    assert run.rejected == []
    assert len({e["ids"]["event_id"] for e in run.accepted}) == len(run.lines) == summary.sent
