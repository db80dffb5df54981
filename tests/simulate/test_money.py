"""Money as in life: payouts days after the service, refunds days after a cancellation,
every settled booking balanced, and each day's variance explained by money in flight."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson

from .conftest import SimulatedRun

_CREDITS = ("payout.created", "payment.refund.succeeded", "payment.fee.recorded")


def _at(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["occurred_at"])


@dataclass
class _Booking:
    """One booking's state, recomputed here from the events (not from the simulator)."""

    leg_count: int = 0
    legs: dict[str, str] = field(default_factory=dict)  # leg_id -> confirmed|completed|...
    paid_out_legs: set[str] = field(default_factory=set)
    refunds: int = 0
    charges: int = 0
    credits: int = 0
    charged_on: date | None = None
    last_settling: datetime | None = None

    @property
    def settled(self) -> bool:
        ended = all(state in ("completed", "cancelled") for state in self.legs.values())
        completed = {leg for leg, state in self.legs.items() if state == "completed"}
        cancelled = sum(1 for state in self.legs.values() if state == "cancelled")
        return (
            self.leg_count > 0
            and len(self.legs) >= self.leg_count
            and ended
            and completed <= self.paid_out_legs
            and self.refunds >= cancelled
        )

    def touch(self, moment: datetime) -> None:
        if self.last_settling is None or moment > self.last_settling:
            self.last_settling = moment


def _bookings(sim_run: SimulatedRun) -> dict[str, _Booking]:
    bookings: dict[str, _Booking] = defaultdict(_Booking)
    for event in sim_run.distinct_valid():
        name, p = event["event"], event["payload"]
        if "booking_id" not in p:
            continue
        booking = bookings[p["booking_id"]]
        if name == "booking.confirmed":
            booking.leg_count = p["leg_count"]
        elif name == "booking.leg.confirmed":
            booking.legs.setdefault(p["leg_id"], "confirmed")
        elif name in ("booking.leg.completed", "booking.leg.cancelled"):
            booking.legs[p["leg_id"]] = name.rsplit(".", 1)[1]
            booking.touch(_at(event))
        elif name == "payment.charge.succeeded":
            booking.charges += p["amount_cents"]
            booking.charged_on = _at(event).date()
        elif name in _CREDITS:
            booking.credits += p["amount_cents"]
            if name == "payout.created":
                booking.paid_out_legs.add(p["leg_id"])
                booking.touch(_at(event))
            elif name == "payment.refund.succeeded":
                booking.refunds += 1
                booking.touch(_at(event))
    return bookings


def test_settled_bookings_balance_and_the_rest_is_in_flight(sim_run: SimulatedRun) -> None:
    bookings = _bookings(sim_run)
    settled = [b for b in bookings.values() if b.settled]
    in_flight = [b for b in bookings.values() if not b.settled]
    assert len(settled) > 50
    assert len(in_flight) > 100, "payouts after the window leave bookings in flight"
    assert all(b.charges == b.credits for b in settled)
    assert all(b.credits <= b.charges for b in in_flight)
    assert any(b.credits < b.charges for b in in_flight)


def test_payouts_and_refunds_come_days_later(sim_run: SimulatedRun) -> None:
    completed: dict[str, datetime] = {}
    cancelled: dict[str, datetime] = {}
    created: dict[str, datetime] = {}
    payout_gaps: list[timedelta] = []
    refund_gaps: list[timedelta] = []
    paid_gaps: list[timedelta] = []
    for event in sorted(sim_run.distinct_valid(), key=_at):
        name, p = event["event"], event["payload"]
        if name == "booking.leg.completed":
            completed[p["leg_id"]] = _at(event)
        elif name == "booking.leg.cancelled":
            cancelled[p["booking_id"]] = _at(event)
        elif name == "payout.created":
            payout_gaps.append(_at(event) - completed[p["leg_id"]])
            created[p["payout_id"]] = _at(event)
        elif name == "payout.paid":
            paid_gaps.append(_at(event) - created[p["payout_id"]])
        elif name == "payment.refund.succeeded":
            refund_gaps.append(_at(event) - cancelled[p["booking_id"]])
    assert payout_gaps
    assert refund_gaps
    assert paid_gaps
    assert min(payout_gaps) >= timedelta(days=1)
    assert max(payout_gaps) <= timedelta(days=7)
    assert max(payout_gaps) > timedelta(days=3)
    assert min(refund_gaps) >= timedelta(days=1)
    assert min(paid_gaps) >= timedelta(days=1)


def test_each_days_variance_is_within_money_in_flight(sim_run: SimulatedRun) -> None:
    bookings = _bookings(sim_run)
    rows = sim_run.golden["marts"]["gold.ops_recon_daily"]
    assert sum(1 for row in rows if row["variance_cents"] > 0) >= len(rows) - 1
    for row in rows:
        day = date.fromisoformat(row["dt"])
        in_flight = sum(
            b.charges
            for b in bookings.values()
            if b.charged_on is not None
            and b.charged_on <= day
            and not (b.settled and b.last_settling is not None and b.last_settling.date() < day)
        )
        assert row["variance_cents"] <= in_flight, row
    assert sum(row["refunds_cents"] for row in rows) > 0


def test_backlog_exists_at_the_end(sim_run: SimulatedRun) -> None:
    rows = sim_run.golden["marts"]["gold.ops_payout_backlog"]
    assert sum(row["payouts"] for row in rows) > 0
    assert {row["age_bucket"] for row in rows} >= {"0-1d", "1-3d"}
    paid = sum(1 for e in sim_run.distinct_valid() if e["event"] == "payout.paid")
    assert paid > 0


def test_a_few_money_events_arrive_a_day_late(sim_run: SimulatedRun) -> None:
    newest_sent = datetime.min.replace(tzinfo=UTC)
    late: dict[str, int] = defaultdict(int)
    money = 0
    for line in sim_run.lines:
        try:
            event = orjson.loads(line)
            occurred = _at(event)
        except (orjson.JSONDecodeError, TypeError, KeyError, ValueError):
            continue
        name = event.get("event")
        if name in ("payout.created", "payout.paid", "payment.refund.succeeded"):
            money += 1
            if newest_sent - occurred > timedelta(hours=20):
                late[name] += 1
        newest_sent = max(newest_sent, occurred)
    assert "payout.created" in late
    assert 0.005 * money < sum(late.values()) < 0.06 * money


def test_not_every_click_leads_to_a_profile_view(sim_run: SimulatedRun) -> None:
    funnel = sim_run.golden["marts"]["gold.kpi_funnel_daily"]
    users = {(row["dt"], row["stage"]): row["users"] for row in funnel}
    days = {row["dt"] for row in funnel}
    for day in days:
        assert users[(day, "profile_view")] < users[(day, "search_click")]
