"""Money consistency: every booking balances, so daily reconciliation variance is zero."""

from __future__ import annotations

from collections import defaultdict

from .conftest import SimulatedRun


def test_each_booking_balances(sim_run: SimulatedRun) -> None:
    charges: dict[str, int] = defaultdict(int)
    settled: dict[str, int] = defaultdict(int)
    legs: dict[str, int] = defaultdict(int)
    totals: dict[str, int] = {}
    for event in sim_run.distinct_valid():
        name, p = event["event"], event["payload"]
        if name == "payment.charge.succeeded":
            charges[p["booking_id"]] += p["amount_cents"]
        elif name in ("payout.created", "payment.refund.succeeded", "payment.fee.recorded"):
            settled[p["booking_id"]] += p["amount_cents"]
        elif name == "booking.leg.confirmed":
            legs[p["booking_id"]] += p["amount_cents"]
        elif name == "booking.confirmed":
            totals[p["booking_id"]] = p["total_amount_cents"]
    assert len(charges) > 500
    assert charges == settled
    assert charges == totals
    assert legs == totals


def test_daily_variance_is_zero_and_refunds_exist(sim_run: SimulatedRun) -> None:
    rows = sim_run.golden["marts"]["gold.ops_recon_daily"]
    assert all(row["variance_cents"] == 0 for row in rows)
    assert all(row["refunds_cents"] > 0 for row in rows)


def test_backlog_exists_at_the_end(sim_run: SimulatedRun) -> None:
    rows = sim_run.golden["marts"]["gold.ops_payout_backlog"]
    assert sum(row["payouts"] for row in rows) > 0
    assert {row["age_bucket"] for row in rows} >= {"0-1d", "1-3d"}
    paid = sum(1 for e in sim_run.distinct_valid() if e["event"] == "payout.paid")
    assert paid > 0
