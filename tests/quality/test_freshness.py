"""Freshness: latest event time against as_of."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rastup_data.quality import CheckKind, CheckSeverity, CheckSpec, CheckStatus, run_quality_gates

NAME = "silver.fact_search_impressions.freshness"


@pytest.mark.parametrize(
    ("hours", "status", "severity"),
    [
        (0.5, CheckStatus.PASSED, CheckSeverity.ERROR),
        (6, CheckStatus.PASSED, CheckSeverity.ERROR),
        (6.5, CheckStatus.FAILED, CheckSeverity.WARN),
        (36, CheckStatus.FAILED, CheckSeverity.WARN),
        (37, CheckStatus.FAILED, CheckSeverity.ERROR),
    ],
)
def test_lag_bands(warehouse, facts, hours, status, severity):
    report = run_quality_gates(
        warehouse.conn, catalog=warehouse.catalog, as_of=facts.latest_event + timedelta(hours=hours)
    )
    result = report.result(NAME)
    assert result.status is status
    assert result.severity is severity
    assert result.observed == pytest.approx(hours)
    assert result.sample_rows[0]["latest"] == facts.latest_event.isoformat()
    assert result.sample_rows[0]["column"] == "occurred_at"


def test_stale_data_blocks_and_says_so(warehouse, facts):
    report = run_quality_gates(
        warehouse.conn, catalog=warehouse.catalog, as_of=facts.latest_event + timedelta(days=3)
    )
    stale = {r.name for r in report.blocking if r.kind is CheckKind.FRESHNESS}
    assert stale >= {f"{table}.freshness" for table in facts.key_facts}
    assert "bronze.events.freshness" in stale  # every event type of Bronze too
    # Three days without a row is also a drop of the days since (judged on as_of's day).
    dropped = {r.name for r in report.blocking if r.kind is CheckKind.VOLUME}
    assert dropped >= {f"{table}.volume" for table in facts.key_facts}
    assert report.result(NAME).message.startswith(
        "stale data: latest occurred_at in silver.fact_search_impressions is "
        "2026-03-08T20:00:00+00:00, 72h before"
    )


def test_one_stale_table_among_fresh_ones(warehouse, facts):
    warehouse.conn.execute("DELETE FROM silver.fact_payments WHERE dt >= DATE '2026-03-07'")
    report = run_quality_gates(
        warehouse.conn, catalog=warehouse.catalog, as_of=facts.latest_event + timedelta(hours=1)
    )
    result = report.result("silver.fact_payments.freshness")
    # Latest payment is now 20:00 on 2026-03-06: 49 hours before as_of.
    assert result.blocking
    assert result.observed == pytest.approx(49)
    assert report.result(NAME).passed


def test_empty_table_is_an_error(warehouse, as_of):
    warehouse.conn.execute("DELETE FROM silver.fact_payments")
    result = run_quality_gates(warehouse.conn, catalog=warehouse.catalog, as_of=as_of).result(
        "silver.fact_payments.freshness"
    )
    assert result.blocking
    assert result.message == "silver.fact_payments has no occurred_at values: no events to be fresh"


def test_date_only_table_counts_the_end_of_its_latest_day(warehouse, facts):
    spec = CheckSpec(
        "dt_only",
        CheckKind.FRESHNESS,
        CheckSeverity.ERROR,
        "gold.kpi_trust_daily",
        {"warn_after_hours": 1, "error_after_hours": 2},
    )
    # Latest dt is 2026-03-08, i.e. fresh until 2026-03-09T00:00Z.
    at_midnight = facts.latest_event + timedelta(hours=4)
    result = run_quality_gates(warehouse.conn, suite=[spec], as_of=at_midnight).results[0]
    assert result.passed
    assert result.observed == pytest.approx(0)
    assert result.sample_rows[0]["column"] == "dt"
    later = run_quality_gates(warehouse.conn, suite=[spec], as_of=at_midnight + timedelta(hours=3))
    assert later.results[0].blocking


def test_timestamptz_column(warehouse, facts):
    warehouse.conn.execute(
        "CREATE TABLE silver.tz_events AS SELECT TIMESTAMPTZ '2026-03-08 23:00:00+03' AS seen_at"
    )
    spec = CheckSpec(
        "tz",
        CheckKind.FRESHNESS,
        CheckSeverity.ERROR,
        "silver.tz_events",
        {"time_columns": ["seen_at"]},
    )
    result = run_quality_gates(warehouse.conn, suite=[spec], as_of=facts.latest_event).results[0]
    assert result.observed == pytest.approx(0)  # 23:00+03 is 20:00Z


def test_no_usable_time_column_is_reported(warehouse, as_of):
    spec = CheckSpec("no_time", CheckKind.FRESHNESS, CheckSeverity.WARN, "silver.dim_city", {})
    result = run_quality_gates(warehouse.conn, suite=[spec], as_of=as_of).results[0]
    assert result.blocking
    assert "none of the time columns occurred_at, dt exists in silver.dim_city" in result.message
