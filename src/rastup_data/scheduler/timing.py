"""When a job is due: the slots of ``at`` jobs (local times of day in the operations time
zone) and the intervals of ``every`` jobs.

A missed slot is caught up once: after a restart, the latest slot that passed without a run
is due at once (a daily build missed at 05:00 runs at start-up), earlier missed slots are
not repeated (the next build covers their data). Slots before the scheduler's first start
on the lake are never due. A job degraded to daily-only keeps the first slot of each day.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from rastup_data.environments import ScheduleEntry

__all__ = ["due_interval", "latest_slot", "next_slot"]


def latest_slot(
    entry: ScheduleEntry, zone: ZoneInfo, now: datetime, *, daily_only: bool = False
) -> datetime | None:
    """The latest slot at or before ``now`` (today's or yesterday's), or None."""
    local = now.astimezone(zone)
    for day in (local, local - timedelta(days=1)):
        slots = entry.slots_on(day.date(), zone)[: 1 if daily_only else None]
        passed = [s for s in slots if s <= local]
        if passed:
            return passed[-1]
    return None


def next_slot(
    entry: ScheduleEntry, zone: ZoneInfo, now: datetime, *, daily_only: bool = False
) -> datetime:
    """The first slot after ``now``."""
    local = now.astimezone(zone)
    for offset in (0, 1):
        day = local + timedelta(days=offset)
        for slot in entry.slots_on(day.date(), zone)[: 1 if daily_only else None]:
            if slot > local:
                return slot
    raise AssertionError("a daily schedule always has a slot tomorrow")


def due_interval(
    every_s: float, now: datetime, *, last_due: datetime | None, since: datetime
) -> datetime | None:
    """When an ``every`` job is due next if that moment has come, else None.

    The first run is one interval after the scheduler's first start; then one interval after
    the last run's slot. Intervals missed while nothing ran are not run one by one: an
    overdue job runs once, now.
    """
    due = (last_due or since) + timedelta(seconds=every_s)
    if due > now:
        return None
    return now if now - due > timedelta(seconds=every_s) else due
