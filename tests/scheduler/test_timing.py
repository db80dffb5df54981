"""When jobs are due: local slots across time zones and days, catch-up, intervals."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from rastup_data.environments import ScheduleEntry
from rastup_data.scheduler.timing import due_interval, latest_slot, next_slot

NY = ZoneInfo("America/New_York")
TWICE = ScheduleEntry("extract_refresh", at=(time(6, 30), time(18, 0)))


def test_slots_are_local_times_of_day() -> None:
    at_5 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # 05:00 in New York (EDT starts 8 March)
    assert latest_slot(TWICE, NY, at_5) == datetime(2026, 3, 9, 18, 0, tzinfo=NY)
    assert next_slot(TWICE, NY, at_5) == datetime(2026, 3, 10, 6, 30, tzinfo=NY)
    at_7 = at_5 + timedelta(hours=2)
    assert latest_slot(TWICE, NY, at_7) == datetime(2026, 3, 10, 6, 30, tzinfo=NY)
    assert next_slot(TWICE, NY, at_7) == datetime(2026, 3, 10, 18, 0, tzinfo=NY)
    assert next_slot(TWICE, NY, at_7 + timedelta(hours=12)) == datetime(
        2026, 3, 11, 6, 30, tzinfo=NY
    )


def test_daily_only_keeps_the_first_slot_of_the_day() -> None:
    evening = datetime(2026, 3, 10, 23, 0, tzinfo=UTC)  # 19:00 New York
    assert latest_slot(TWICE, NY, evening) == datetime(2026, 3, 10, 18, 0, tzinfo=NY)
    assert latest_slot(TWICE, NY, evening, daily_only=True) == datetime(
        2026, 3, 10, 6, 30, tzinfo=NY
    )
    assert next_slot(TWICE, NY, evening, daily_only=True) == datetime(2026, 3, 11, 6, 30, tzinfo=NY)


def test_intervals_start_one_interval_after_the_first_start_and_skip_missed_ones() -> None:
    since = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    assert due_interval(30, since + timedelta(seconds=29), last_due=None, since=since) is None
    assert due_interval(
        30, since + timedelta(seconds=31), last_due=None, since=since
    ) == since + timedelta(seconds=30)
    last = since + timedelta(minutes=5)
    assert due_interval(
        30, last + timedelta(seconds=45), last_due=last, since=since
    ) == last + timedelta(seconds=30)
    later = last + timedelta(hours=2)  # nothing ran for two hours: one run, now
    assert due_interval(30, later, last_due=last, since=since) == later
