"""GateReport: verdict, rendering, serialisation; QualityCheckFailed."""

from __future__ import annotations

import io

import orjson
import pytest
from rich.console import Console

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.quality import (
    CheckKind,
    CheckResult,
    CheckSeverity,
    CheckStatus,
    GateReport,
    QualityCheckFailed,
    print_report,
    raise_if_blocking,
    run_quality_gates,
)


def _result(name: str, status: CheckStatus, severity: CheckSeverity) -> CheckResult:
    return CheckResult(name, CheckKind.CUSTOM_SQL, severity, status, f"{name} message")


def test_verdict_from_statuses_and_severities():
    report = GateReport(
        (
            _result("ok", CheckStatus.PASSED, CheckSeverity.ERROR),
            _result("warned", CheckStatus.FAILED, CheckSeverity.WARN),
            _result("skipped", CheckStatus.SKIPPED, CheckSeverity.ERROR),
        )
    )
    assert report.passed
    assert [r.name for r in report.warnings] == ["warned"]
    assert [r.name for r in report.skipped] == ["skipped"]
    assert report.counts() == {
        "total": 3,
        "passed": 1,
        "warnings": 1,
        "errors": 0,
        "skipped": 1,
        "alerts": 0,
    }

    blocked = GateReport(
        (*report.results, _result("broke", CheckStatus.FAILED, CheckSeverity.ERROR))
    )
    assert not blocked.passed
    assert [r.name for r in blocked.blocking] == ["broke"]


def test_empty_report_passes():
    assert GateReport(()).passed
    assert GateReport(()).render().startswith("quality gate PASSED: 0 passed")


@pytest.fixture
def broken_report(warehouse, as_of):
    warehouse.conn.execute(
        "UPDATE silver.fact_payouts SET amount_cents = -42 WHERE event_id = 'fact_payouts-6-2'"
    )
    warehouse.conn.execute(
        "UPDATE gold.kpi_comms_daily SET bounce_rate = 1.7 WHERE dt = DATE '2026-03-08' "
        "AND channel = 'sms'"
    )
    return run_quality_gates(warehouse.conn, catalog=warehouse.catalog, as_of=as_of)


def test_plain_render_names_the_failing_check_and_shows_sample_rows(broken_report):
    text = broken_report.render()
    lines = text.splitlines()
    assert lines[0] == (
        f"quality gate BLOCKED: {len(broken_report.results) - 2} passed, 1 error(s), "
        "1 warning(s), 0 skipped of " + str(len(broken_report.results))
    )
    assert any(
        line.startswith("  ERROR   silver.fact_payouts.money_non_negative") for line in lines
    )
    assert "ERROR silver.fact_payouts.money_non_negative (distribution, silver.fact_payouts)" in (
        lines
    )
    header = lines.index(
        "ERROR silver.fact_payouts.money_non_negative (distribution, silver.fact_payouts)"
    )
    evidence = "\n".join(lines[header : header + 6])
    assert "sample rows (1):" in evidence
    assert "fact_payouts-6-2" in evidence
    assert "-42" in evidence
    assert "WARN gold.kpi_comms_daily.daily_rates_in_unit_interval" in text
    assert "1.7" in text


def test_rich_render_names_the_failing_check_and_shows_sample_rows(broken_report):
    buffer = io.StringIO()
    print_report(broken_report, Console(file=buffer, width=200, color_system=None))
    text = buffer.getvalue()
    assert "quality gate BLOCKED" in text
    assert "silver.fact_payouts.money_non_negative" in text
    assert "ERROR silver.fact_payouts.money_non_negative: sample failing rows" in text
    assert "fact_payouts-6-2" in text
    assert "silver.fact_payments.freshness" not in text  # passed checks are hidden
    buffer = io.StringIO()
    print_report(
        broken_report, Console(file=buffer, width=200, color_system=None), show_passed=True
    )
    assert "silver.fact_payments.freshness" in buffer.getvalue()


def test_to_dict_is_json_ready(broken_report):
    data = orjson.loads(orjson.dumps(broken_report.to_dict()))
    assert data["passed"] is False
    assert data["blocking"] == ["silver.fact_payouts.money_non_negative"]
    assert data["warnings"] == ["gold.kpi_comms_daily.daily_rates_in_unit_interval"]
    failed = next(r for r in data["results"] if r["name"] == data["blocking"][0])
    assert failed["status"] == "failed"
    assert failed["severity"] == "error"
    assert failed["passed"] is False
    assert failed["sample_rows"][0]["amount_cents"] == -42
    assert failed["sample_rows"][0]["dt"] == "2026-03-07"
    assert failed["sample_rows"][0]["occurred_at"].startswith("2026-03-07T")


def test_raise_if_blocking(broken_report):
    with pytest.raises(QualityCheckFailed) as info:
        raise_if_blocking(broken_report)
    error = info.value
    assert isinstance(error, RastupError)
    assert error.code is ErrorCode.QUALITY_CHECK_FAILED
    assert error.report is broken_report
    assert "silver.fact_payouts.money_non_negative" in str(error)
    assert "Nothing was published" in error.message
    assert str(error).startswith("QUALITY_CHECK_FAILED: 1 error-severity quality check(s)")


def test_raise_if_blocking_lets_warnings_through(warehouse, as_of):
    warehouse.conn.execute("UPDATE gold.kpi_promotions_daily SET ctr = 1.1")
    report = run_quality_gates(warehouse.conn, catalog=warehouse.catalog, as_of=as_of)
    assert report.warnings
    assert raise_if_blocking(report) is report
