"""Distribution checks: money never negative, rates within [0, 1]."""

from __future__ import annotations

import pytest

from rastup_data.quality import CheckKind, CheckSeverity, CheckSpec, run_quality_gates


def test_negative_silver_money_fails_with_the_row(warehouse, as_of):
    warehouse.conn.execute(
        "UPDATE silver.fact_payments SET amount_cents = -250 "
        "WHERE event_id IN ('fact_payments-3-4', 'fact_payments-7-0')"
    )
    report = run_quality_gates(warehouse.conn, catalog=warehouse.catalog, as_of=as_of)
    result = report.result("silver.fact_payments.money_non_negative")

    assert result.failed
    assert result.severity is CheckSeverity.ERROR
    assert result.observed == 2
    assert result.message.startswith("2 row(s) of silver.fact_payments outside [0, +inf]")
    assert sorted(row["event_id"] for row in result.sample_rows) == [
        "fact_payments-3-4",
        "fact_payments-7-0",
    ]
    assert {row["amount_cents"] for row in result.sample_rows} == {-250}
    assert [r.name for r in report.blocking] == ["silver.fact_payments.money_non_negative"]


def test_negative_gold_money_names_the_column(warehouse, as_of):
    warehouse.conn.execute(
        "UPDATE gold.kpi_promotions_daily SET spend_cents = -1 WHERE dt = DATE '2026-03-02'"
    )
    result = run_quality_gates(warehouse.conn, catalog=warehouse.catalog, as_of=as_of).result(
        "gold.kpi_promotions_daily.money_non_negative"
    )
    assert result.blocking
    assert "(spend_cents: 1 row(s))" in result.message
    assert result.sample_rows[0]["dt"] == "2026-03-02"
    assert result.sample_rows[0]["budget_cents"] is None  # NULL money is allowed


@pytest.mark.parametrize("bad_rate", [1.5, -0.01])
def test_take_rate_outside_unit_interval_is_an_error(warehouse, as_of, bad_rate):
    warehouse.conn.execute(
        "UPDATE gold.kpi_marketplace_daily SET take_rate = ? WHERE city = 'lax' "
        "AND dt = DATE '2026-03-05'",
        [bad_rate],
    )
    result = run_quality_gates(warehouse.conn, catalog=warehouse.catalog, as_of=as_of).result(
        "gold.kpi_marketplace_daily.rates_in_unit_interval"
    )
    assert result.blocking
    assert result.threshold == "[0, 1]"
    assert result.sample_rows == (
        {
            "dt": "2026-03-05",
            "city": "lax",
            "bookings": 14,
            "gmv_cents": 104000,
            "platform_fee_cents": 10400,
            "take_rate": bad_rate,
        },
    )


def test_idv_pass_rate_above_one_blocks(warehouse, as_of):
    warehouse.conn.execute("UPDATE gold.kpi_trust_daily SET idv_pass_rate = 1.25")
    result = run_quality_gates(warehouse.conn, catalog=warehouse.catalog, as_of=as_of).result(
        "gold.kpi_trust_daily.rates_in_unit_interval"
    )
    assert result.blocking
    assert result.observed == 8


def test_same_day_rates_above_one_only_warn(warehouse, as_of):
    warehouse.conn.execute(
        "UPDATE gold.kpi_comms_daily SET delivery_rate = 1.02 WHERE channel = 'sms'"
    )
    report = run_quality_gates(warehouse.conn, catalog=warehouse.catalog, as_of=as_of)
    result = report.result("gold.kpi_comms_daily.daily_rates_in_unit_interval")
    assert result.failed
    assert result.severity is CheckSeverity.WARN
    assert report.passed
    assert report.warnings == (result,)


def test_bounds_are_inclusive_and_null_is_allowed_by_default(warehouse, as_of):
    warehouse.conn.execute("""
        UPDATE gold.kpi_trust_daily SET idv_pass_rate = 1.0 WHERE dt = DATE '2026-03-01';
        UPDATE gold.kpi_trust_daily SET idv_pass_rate = 0.0 WHERE dt = DATE '2026-03-02';
        UPDATE gold.kpi_trust_daily SET idv_pass_rate = NULL WHERE dt = DATE '2026-03-03';
    """)
    spec = CheckSpec(
        "rates",
        CheckKind.DISTRIBUTION,
        CheckSeverity.ERROR,
        "gold.kpi_trust_daily",
        {"columns": ("idv_pass_rate",), "min": 0, "max": 1},
    )
    strict = CheckSpec(
        "rates_not_null",
        CheckKind.DISTRIBUTION,
        CheckSeverity.ERROR,
        "gold.kpi_trust_daily",
        {"columns": ("idv_pass_rate",), "min": 0, "max": 1, "allow_null": False},
    )
    report = run_quality_gates(warehouse.conn, suite=[spec, strict], as_of=as_of)
    assert report.result("rates").passed
    assert report.result("rates_not_null").failed
    assert [row["dt"] for row in report.result("rates_not_null").sample_rows] == ["2026-03-03"]


def test_nan_fails_a_lower_bound(warehouse, as_of):
    warehouse.conn.execute(
        "UPDATE gold.kpi_trust_daily SET idv_pass_rate = 'NaN'::DOUBLE WHERE dt = DATE '2026-03-04'"
    )
    spec = CheckSpec(
        "non_negative",
        CheckKind.DISTRIBUTION,
        CheckSeverity.ERROR,
        "gold.kpi_trust_daily",
        {"columns": ("idv_pass_rate",), "min": 0},
    )
    result = run_quality_gates(warehouse.conn, suite=[spec], as_of=as_of).results[0]
    assert result.failed
    assert result.sample_rows[0]["dt"] == "2026-03-04"
    assert result.sample_rows[0]["idv_pass_rate"] is None  # NaN is shown as null


def test_sample_rows_are_capped(warehouse, as_of, facts):
    warehouse.conn.execute("UPDATE silver.fact_booking_legs SET amount_cents = -amount_cents")
    report = run_quality_gates(
        warehouse.conn, catalog=warehouse.catalog, as_of=as_of, sample_limit=3
    )
    result = report.result("silver.fact_booking_legs.money_non_negative")
    assert result.observed == sum(facts.daily_rows)
    assert len(result.sample_rows) == 3


def test_where_narrows_the_rows_checked(warehouse, as_of, facts):
    warehouse.conn.execute(
        "UPDATE silver.fact_payments SET amount_cents = -1 WHERE dt = DATE '2026-03-02'"
    )
    spec = CheckSpec(
        "recent_money",
        CheckKind.DISTRIBUTION,
        CheckSeverity.ERROR,
        "silver.fact_payments",
        {"columns": ["amount_cents"], "min": 0, "where": "dt >= DATE '2026-03-03'"},
    )
    assert run_quality_gates(warehouse.conn, suite=[spec], as_of=as_of).results[0].passed
    wider = CheckSpec(
        "wider",
        spec.kind,
        spec.severity,
        spec.table,
        {**spec.params, "where": "dt >= DATE '2026-03-02'"},
    )
    result = run_quality_gates(warehouse.conn, suite=[wider], as_of=as_of).results[0]
    assert result.observed == facts.daily_rows[1]  # every payment of 2026-03-02
