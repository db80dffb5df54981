"""Builds during a day of live traffic publish; a real drop in the same hours blocks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from rastup_data.errors import ErrorCode
from rastup_data.lake.layout import LakeLayout
from rastup_data.lander import land_ndjson
from rastup_data.simulate import simulate
from rastup_data.transform import BuildFailed, BuildOptions, build

pytestmark = pytest.mark.slow

DAYS = 5
START = datetime(2026, 11, 1, tzinfo=UTC)
LAST_DAY = START + timedelta(days=DAYS - 1)
IMPRESSIONS = "silver.fact_search_impressions.volume"

Line = tuple[datetime, bytes]


@pytest.fixture(scope="module")
def stream(tmp_path_factory: pytest.TempPathFactory) -> list[Line]:
    """The simulated marketplace's valid lines with their occurred_at, in send order."""
    out = tmp_path_factory.mktemp("open-day")
    summary = simulate(out, seed=5, days=DAYS, users=500)
    lines: list[Line] = []
    for line in summary.events_path.read_bytes().splitlines():
        try:
            occurred = datetime.fromisoformat(orjson.loads(line)["occurred_at"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            continue  # a malformed line: the collector would quarantine it
        lines.append((occurred, line))
    return lines


def _land(layout: LakeLayout, lines: Iterable[Line], name: str) -> None:
    land_ndjson(layout, (line for _, line in lines), name=name)


def _between(stream: list[Line], low: datetime | None, high: datetime) -> list[Line]:
    return [(t, line) for t, line in stream if (low is None or t > low) and t <= high]


def _at(hour: int, minute: int = 0) -> datetime:
    return LAST_DAY + timedelta(hours=hour, minutes=minute)


def test_builds_through_the_last_day_publish(stream: list[Line], tmp_path: Path) -> None:
    layout = LakeLayout(tmp_path / "lake")
    previous = None
    for moment in (_at(0, 5), _at(6), _at(18)):
        _land(layout, _between(stream, previous, moment), name=f"upto-{moment:%H%M}")
        result = build(layout, BuildOptions(with_nrt=False))
        assert result.gates.passed, result.gates.summary
        previous = moment
        summary = result.gates.summary
        if moment == _at(0, 5):
            # Five minutes are too few to judge the new day; yesterday is judged in full.
            assert f"on {(LAST_DAY - timedelta(days=1)):%Y-%m-%d} vs a median" in summary
        else:
            # The open day against the same hours of the days before (as_of is the lake's
            # newest occurred_at, a few minutes before the moment).
            assert f"on {LAST_DAY:%Y-%m-%d} by {moment.hour - 1:02d}:" in summary


def test_impressions_missing_since_midnight_block_the_morning_build(
    stream: list[Line], tmp_path: Path
) -> None:
    layout = LakeLayout(tmp_path / "lake")
    broken = [
        (t, line)
        for t, line in _between(stream, None, _at(6))
        if t < LAST_DAY or b'"event":"search.impression"' not in line
    ]
    _land(layout, broken, name="no-impressions-today")
    with pytest.raises(BuildFailed) as blocked:
        build(layout, BuildOptions(with_nrt=False))
    assert blocked.value.code is ErrorCode.QUALITY_CHECK_FAILED
    failure = next(f for f in blocked.value.failures if f.name == IMPRESSIONS)
    assert failure.message.startswith("volume dropped 100%: ")
    assert f"has 0 rows on {LAST_DAY:%Y-%m-%d} by 05:" in failure.message
