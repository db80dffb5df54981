"""Volume: the latest day's rows against the median of the previous days."""

from __future__ import annotations

import statistics

import pytest

from rastup_data.quality import CheckKind, CheckSeverity, CheckSpec, CheckStatus, run_quality_gates

HISTORY = (20, 22, 18, 20, 21, 19, 20)  # median 20
NAME = "silver.fact_booking_legs.volume"


@pytest.mark.parametrize(
    ("latest_rows", "status", "severity"),
    [
        (20, CheckStatus.PASSED, CheckSeverity.ERROR),
        (10, CheckStatus.PASSED, CheckSeverity.ERROR),  # a 50 % drop is not "> 50 %"
        (9, CheckStatus.FAILED, CheckSeverity.WARN),
        (2, CheckStatus.FAILED, CheckSeverity.WARN),  # 90 % exactly: still a warning
        (1, CheckStatus.FAILED, CheckSeverity.ERROR),
        (60, CheckStatus.PASSED, CheckSeverity.ERROR),  # rises are not drops
    ],
)
def test_drop_bands(make_warehouse, as_of, latest_rows, status, severity):
    conn = make_warehouse((*HISTORY, latest_rows))
    report = run_quality_gates(conn, as_of=as_of)
    result = report.result(NAME)

    assert statistics.median(HISTORY) == 20
    assert result.status is status
    assert result.severity is severity
    assert result.observed == latest_rows
    assert result.blocking == (severity is CheckSeverity.ERROR and status is CheckStatus.FAILED)
    assert f"has {latest_rows} rows on 2026-03-08 vs a median of 20 over 7 prior day(s)" in (
        result.message
    )
    assert [row["rows"] for row in result.sample_rows] == [*HISTORY, latest_rows]


def test_drop_message_states_the_drop(make_warehouse, as_of):
    conn = make_warehouse((*HISTORY, 5))
    result = run_quality_gates(conn, as_of=as_of).result(NAME)
    assert result.message.startswith("volume dropped 75%: ")
    assert result.threshold == "drop > 50% warn, > 90% error"


def test_only_the_last_seven_days_count(make_warehouse, as_of):
    # Three old huge days fall outside the window; the seven before the latest have median 10.
    conn = make_warehouse((1000, 1000, 1000, 10, 10, 10, 10, 10, 10, 10, 4))
    result = run_quality_gates(conn, as_of=as_of).result(NAME)
    assert result.status is CheckStatus.FAILED
    assert result.severity is CheckSeverity.WARN
    assert len(result.sample_rows) == 8


@pytest.mark.parametrize("days", [1, 2, 3])
def test_short_history_is_skipped(make_warehouse, as_of, days):
    conn = make_warehouse((20,) * (days - 1) + (1,))
    report = run_quality_gates(conn, as_of=as_of)
    result = report.result(NAME)
    assert result.status is CheckStatus.SKIPPED
    assert not result.passed
    assert not result.blocking
    assert f"only {days - 1} day(s) of history" in result.message
    assert result in report.skipped
    assert report.passed  # a skip never blocks


def test_exactly_three_days_of_history_is_judged(make_warehouse, as_of):
    conn = make_warehouse((20, 20, 20, 1))
    result = run_quality_gates(conn, as_of=as_of).result(NAME)
    assert result.status is CheckStatus.FAILED
    assert result.severity is CheckSeverity.ERROR


def test_empty_table_is_skipped(warehouse, as_of):
    warehouse.conn.execute("DELETE FROM silver.fact_payments")
    result = run_quality_gates(warehouse.conn, as_of=as_of).result("silver.fact_payments.volume")
    assert result.status is CheckStatus.SKIPPED
    assert result.message == "silver.fact_payments has no rows"


def test_warn_spec_never_reports_an_error(make_warehouse, as_of):
    conn = make_warehouse((*HISTORY, 1))
    spec = CheckSpec(
        "volume_warn_only", CheckKind.VOLUME, CheckSeverity.WARN, "silver.fact_booking_legs", {}
    )
    result = run_quality_gates(conn, suite=[spec], as_of=as_of).results[0]
    assert result.failed
    assert result.severity is CheckSeverity.WARN
    assert not result.blocking


def test_custom_bands(make_warehouse, as_of):
    conn = make_warehouse((*HISTORY, 15))
    spec = CheckSpec(
        "tight",
        CheckKind.VOLUME,
        CheckSeverity.ERROR,
        "silver.fact_booking_legs",
        {"warn_drop": 0.1, "error_drop": 0.2},
    )
    result = run_quality_gates(conn, suite=[spec], as_of=as_of).results[0]
    assert result.blocking  # 25 % > 20 %
