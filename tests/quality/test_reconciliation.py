"""Reconciliation: charges = payouts + refunds + fees, per day and overall, with tolerance."""

from __future__ import annotations

from rastup_data.quality import CheckKind, CheckSeverity, CheckSpec, run_quality_gates

DAILY = "gold.ops_recon_daily.reconciles_daily"
OVERALL = "gold.ops_recon_daily.reconciles_overall"
CONSISTENT = "gold.ops_recon_daily.variance_matches_parts"


def _shift_payouts(conn, day: str, cents: int) -> None:
    conn.execute(
        "UPDATE gold.ops_recon_daily SET payouts_cents = payouts_cents + ?, "
        "variance_cents = ? WHERE dt = CAST(? AS DATE)",
        [cents, abs(cents), day],
    )


def test_daily_mismatch_fails_with_the_day(warehouse, as_of):
    _shift_payouts(warehouse.conn, "2026-03-04", 5000)
    report = run_quality_gates(warehouse.conn, as_of=as_of)
    daily = report.result(DAILY)

    assert daily.blocking
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
    overall = run_quality_gates(warehouse.conn, as_of=as_of).result(OVERALL)
    total_charges = sum(100000 + 500 * d for d in range(8))
    assert overall.blocking
    assert overall.observed == 5000
    assert overall.sample_rows[0]["charges_cents"] == total_charges
    assert overall.sample_rows[0]["allowed_cents"] == total_charges * 0.001


def test_mismatch_within_absolute_tolerance_passes(warehouse, as_of):
    _shift_payouts(warehouse.conn, "2026-03-02", -60)
    _shift_payouts(warehouse.conn, "2026-03-06", 90)
    report = run_quality_gates(warehouse.conn, as_of=as_of)
    assert report.result(DAILY).passed
    assert report.result(DAILY).observed == 90
    assert report.result(OVERALL).passed
    assert report.result(OVERALL).observed == 30


def test_offsetting_days_pass_overall_but_fail_daily(warehouse, as_of):
    _shift_payouts(warehouse.conn, "2026-03-02", 3000)
    _shift_payouts(warehouse.conn, "2026-03-03", -3000)
    report = run_quality_gates(warehouse.conn, as_of=as_of)
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
    report = run_quality_gates(warehouse.conn, as_of=as_of)
    assert report.result(DAILY).passed
    consistent = report.result(CONSISTENT)
    assert consistent.blocking
    assert consistent.observed == 1
    assert consistent.sample_rows[0]["variance_cents"] == 7
