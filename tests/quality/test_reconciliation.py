"""Reconciliation: every settled booking balances (blocking); daily and overall variance is
reported (warning); a day whose variance money in flight cannot explain raises an alert."""

from __future__ import annotations

import logging

from rastup_data.quality import (
    CheckKind,
    CheckSeverity,
    CheckSpec,
    log_raised_alert,
    run_quality_gates,
)
from rastup_data.quality.suite import RECON_VARIANCE_ALERT

DAILY = "gold.ops_recon_daily.reconciles_daily"
OVERALL = "gold.ops_recon_daily.reconciles_overall"
CONSISTENT = "gold.ops_recon_daily.variance_matches_parts"
SETTLED = "silver.booking_settlement.settled_bookings_balance"
IN_FLIGHT = "gold.ops_recon_daily.variance_within_money_in_flight"


def _shift_payouts(conn, day: str, cents: int) -> None:
    conn.execute(
        "UPDATE gold.ops_recon_daily SET payouts_cents = payouts_cents + ?, "
        "variance_cents = ? WHERE dt = CAST(? AS DATE)",
        [cents, abs(cents), day],
    )


def test_daily_mismatch_warns_with_the_day(warehouse, as_of):
    _shift_payouts(warehouse.conn, "2026-03-04", 5000)
    report = run_quality_gates(warehouse.conn, catalog=warehouse.catalog, as_of=as_of)
    daily = report.result(DAILY)

    assert daily.failed
    assert daily.severity is CheckSeverity.WARN
    assert report.passed  # timing differences are reported, they never block
    assert daily.observed == 5000
    assert "on 1 of 8 day(s)" in daily.message
    (row,) = daily.sample_rows
    # 2026-03-04 is day index 3 of the fixture: charges 100000 + 500*3.
    assert row["dt"] == "2026-03-04"
    assert row["charges_cents"] == 101500
    assert row["computed_variance_cents"] == 5000
    assert report.result(CONSISTENT).passed  # the stored variance was kept consistent


def test_overall_mismatch_beyond_relative_tolerance(warehouse, as_of):
    _shift_payouts(warehouse.conn, "2026-03-04", 5000)
    overall = run_quality_gates(warehouse.conn, catalog=warehouse.catalog, as_of=as_of).result(
        OVERALL
    )
    total_charges = sum(100000 + 500 * d for d in range(8))
    assert overall.failed
    assert overall.severity is CheckSeverity.WARN
    assert overall.observed == 5000
    assert overall.sample_rows[0]["charges_cents"] == total_charges
    assert overall.sample_rows[0]["allowed_cents"] == total_charges * 0.001


def test_mismatch_within_absolute_tolerance_passes(warehouse, as_of):
    _shift_payouts(warehouse.conn, "2026-03-02", -60)
    _shift_payouts(warehouse.conn, "2026-03-06", 90)
    report = run_quality_gates(warehouse.conn, catalog=warehouse.catalog, as_of=as_of)
    assert report.result(DAILY).passed
    assert report.result(DAILY).observed == 90
    assert report.result(OVERALL).passed
    assert report.result(OVERALL).observed == 30


def test_offsetting_days_pass_overall_but_fail_daily(warehouse, as_of):
    _shift_payouts(warehouse.conn, "2026-03-02", 3000)
    _shift_payouts(warehouse.conn, "2026-03-03", -3000)
    report = run_quality_gates(warehouse.conn, catalog=warehouse.catalog, as_of=as_of)
    assert report.result(OVERALL).passed
    assert report.result(DAILY).failed
    assert [row["dt"] for row in report.result(DAILY).sample_rows] == [
        "2026-03-02",
        "2026-03-03",
    ]


def test_relative_tolerance_scales_with_charges(warehouse, as_of):
    _shift_payouts(warehouse.conn, "2026-03-01", 900)  # charges 100000: 0.9 %
    _shift_payouts(warehouse.conn, "2026-03-08", 1100)  # charges 103500: 1.06 %
    spec = CheckSpec(
        "one_percent",
        CheckKind.RECONCILIATION,
        CheckSeverity.ERROR,
        "gold.ops_recon_daily",
        {"scope": "daily", "abs_tol_cents": 0, "rel_tol": 0.01},
    )
    result = run_quality_gates(warehouse.conn, suite=[spec], as_of=as_of).results[0]
    assert result.failed
    assert [row["dt"] for row in result.sample_rows] == ["2026-03-08"]


def test_stored_variance_that_disagrees_with_parts_is_caught(warehouse, as_of):
    warehouse.conn.execute(
        "UPDATE gold.ops_recon_daily SET variance_cents = 7 WHERE dt = DATE '2026-03-05'"
    )
    report = run_quality_gates(warehouse.conn, catalog=warehouse.catalog, as_of=as_of)
    assert report.result(DAILY).passed
    consistent = report.result(CONSISTENT)
    assert consistent.blocking
    assert consistent.observed == 1
    assert consistent.sample_rows[0]["variance_cents"] == 7


def _unbalance_booking(conn, booking: str, payout_cents: int) -> None:
    conn.execute(
        "UPDATE silver.booking_settlement SET payouts_cents = ? WHERE booking_id = ?",
        [payout_cents, booking],
    )


def test_an_unbalanced_settled_booking_blocks_with_its_row(warehouse, as_of):
    _unbalance_booking(warehouse.conn, "bk_3", 8000)  # charge 10000, fee 1500: 500 missing
    report = run_quality_gates(warehouse.conn, catalog=warehouse.catalog, as_of=as_of)
    settled = report.result(SETTLED)
    assert settled.blocking
    assert not report.passed
    assert settled.observed == 500
    assert "on 1 of 8 key(s)" in settled.message  # the two bookings in flight are not judged
    (row,) = settled.sample_rows
    assert row["booking_id"] == "bk_3"
    assert row["charges_cents"] == 10000
    assert row["payouts_cents"] == 8000
    assert row["computed_variance_cents"] == 500
    assert row["allowed_cents"] == 100


def test_a_booking_in_flight_may_be_out_of_balance(warehouse, as_of):
    _unbalance_booking(warehouse.conn, "bk_9", 0)  # not settled: its payout is still due
    warehouse.conn.execute(
        "UPDATE silver.booking_settlement SET payouts_cents = 8450 WHERE booking_id = 'bk_2'"
    )  # settled, 50 cents off: within max(100 cents, 0.1 %)
    report = run_quality_gates(warehouse.conn, catalog=warehouse.catalog, as_of=as_of)
    assert report.result(SETTLED).passed
    assert report.result(SETTLED).observed == 50


def test_variance_beyond_money_in_flight_raises_an_alert(warehouse, as_of, caplog):
    # In flight on 2026-03-05: bookings 4 and 5 (settling 03-05 and 03-06) and the two
    # unsettled ones, 4 x 10000 cents. A variance of 40000 is explainable, 40150 is not
    # (tolerance 100 cents or 0.1 % of that day's 102000 charges).
    _shift_payouts(warehouse.conn, "2026-03-04", 40000)
    _shift_payouts(warehouse.conn, "2026-03-05", 40150)
    with caplog.at_level(logging.WARNING, logger="rastup_data.quality.alerts"):
        report = run_quality_gates(warehouse.conn, catalog=warehouse.catalog, as_of=as_of)
    alert = report.result(IN_FLIGHT)
    assert alert.failed
    assert alert.severity is CheckSeverity.WARN
    assert report.passed
    assert [r.name for r in report.alerts] == [IN_FLIGHT]
    assert report.alert_counts() == {RECON_VARIANCE_ALERT: 1}
    (row,) = alert.sample_rows
    assert row["dt"] == "2026-03-05"
    assert row["variance_cents"] == 40150
    assert row["money_in_flight_cents"] == 40000
    assert [r.getMessage() for r in caplog.records if RECON_VARIANCE_ALERT in r.getMessage()]
    assert report.to_dict()["alerts"] == {RECON_VARIANCE_ALERT: 1}


def test_a_raised_alert_is_logged_by_the_caller_when_it_asks(warehouse, as_of, caplog):
    _shift_payouts(warehouse.conn, "2026-03-05", 40150)
    with caplog.at_level(logging.WARNING, logger="rastup_data.quality.alerts"):
        report = run_quality_gates(
            warehouse.conn, catalog=warehouse.catalog, as_of=as_of, on_result=None
        )
        assert [r.name for r in report.alerts] == [IN_FLIGHT]
        assert not [r for r in caplog.records if RECON_VARIANCE_ALERT in r.getMessage()]
        for result in report.results:
            log_raised_alert(result)
    (line,) = [r.getMessage() for r in caplog.records if RECON_VARIANCE_ALERT in r.getMessage()]
    assert IN_FLIGHT in line


def test_no_alert_while_variance_is_in_flight(warehouse, as_of):
    report = run_quality_gates(warehouse.conn, catalog=warehouse.catalog, as_of=as_of)
    assert report.result(IN_FLIGHT).passed
    assert report.alerts == ()
