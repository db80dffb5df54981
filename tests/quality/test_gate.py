"""run_quality_gates over a real staging DuckDB file: default suite, misconfig, observer."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import duckdb
import pytest

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.quality import (
    CheckKind,
    CheckResult,
    CheckSeverity,
    CheckSpec,
    CheckStatus,
    default_suite,
    run_quality_gates,
)


def test_default_suite_passes_on_good_data(warehouse, as_of):
    report = run_quality_gates(warehouse.conn, catalog=warehouse.catalog, as_of=as_of)

    not_passed = [(r.name, r.status.value, r.message) for r in report.results if not r.passed]
    assert not_passed == []
    assert report.passed
    assert report.blocking == ()
    assert report.warnings == ()
    assert len(report.results) == len(default_suite(warehouse.catalog))


def test_every_kind_but_the_ones_dbt_runs_is_exercised(catalog):
    kinds = {spec.kind for spec in default_suite(catalog)}
    # Keys are dbt data tests (primary_key, unique_combination, not_null_columns), so the
    # derived suite has no uniqueness or not_null check of its own.
    assert kinds == set(CheckKind) - {CheckKind.UNIQUENESS, CheckKind.NOT_NULL}


class _CountingProbes:
    """A DuckDB connection that counts the column probes (``SELECT * … LIMIT 0``) run on it."""

    def __init__(self, conn: duckdb.DuckDBPyConnection) -> None:
        self._conn = conn
        self.probes: Counter[str] = Counter()

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        if sql.startswith("SELECT * FROM ") and sql.endswith(" LIMIT 0"):
            self.probes[sql] += 1
        return self._conn.execute(sql, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def test_a_run_probes_each_table_once_and_the_next_run_afresh(warehouse, as_of):
    """Several checks read one table; its columns are looked up once per run (a Bronze
    source's lookup lists the lake and reads its footers), and again by the next run."""
    counting = _CountingProbes(warehouse.conn)
    first = run_quality_gates(counting, catalog=warehouse.catalog, as_of=as_of)
    assert first.passed
    assert len(counting.probes) > 10
    assert set(counting.probes.values()) == {1}
    tables = Counter(spec.table for spec in default_suite(warehouse.catalog))
    assert max(tables.values()) > 1  # so without the memo some table would be probed twice
    second = run_quality_gates(counting, catalog=warehouse.catalog, as_of=as_of)
    assert set(counting.probes.values()) == {2}
    assert [r.status for r in second.results] == [r.status for r in first.results]


def test_no_default_suite_without_a_catalog(warehouse, as_of):
    with pytest.raises(RastupError) as info:
        run_quality_gates(warehouse.conn, as_of=as_of)
    assert info.value.code is ErrorCode.CONFIG_INVALID
    assert "derived from the dbt project" in info.value.message


def test_gate_runs_on_a_read_only_connection(warehouse, as_of):
    warehouse.conn.close()
    with duckdb.connect(str(warehouse.path), read_only=True) as conn:
        report = run_quality_gates(conn, catalog=warehouse.catalog, as_of=as_of)
    assert report.passed


def test_missing_table_is_a_failed_error_result_not_a_crash(warehouse, as_of):
    warehouse.conn.execute("DROP TABLE gold.kpi_trust_daily")
    report = run_quality_gates(warehouse.conn, catalog=warehouse.catalog, as_of=as_of)

    trust = [r for r in report.results if r.table == "gold.kpi_trust_daily"]
    assert len(trust) == 3  # volume, freshness, rates_in_unit_interval
    for result in trust:
        assert result.status is CheckStatus.FAILED
        assert result.severity is CheckSeverity.ERROR
        assert result.message.startswith("table missing: gold.kpi_trust_daily")
    assert not report.passed
    assert {r.name for r in report.blocking} == {r.name for r in trust}


def test_missing_table_of_a_warn_check_still_blocks(warehouse, as_of):
    spec = CheckSpec(
        "ghost", CheckKind.NOT_NULL, CheckSeverity.WARN, "gold.nope", {"columns": ("dt",)}
    )
    report = run_quality_gates(warehouse.conn, suite=[spec], as_of=as_of)
    assert report.results[0].blocking
    assert "table missing" in report.results[0].message


def test_missing_column_is_reported(warehouse, as_of):
    spec = CheckSpec(
        "ghost_column",
        CheckKind.UNIQUENESS,
        CheckSeverity.ERROR,
        "silver.fact_trust",
        {"columns": ("event_id", "no_such_column")},
    )
    result = run_quality_gates(warehouse.conn, suite=[spec], as_of=as_of).results[0]
    assert result.blocking
    assert result.message.startswith("column missing: column(s) no_such_column missing")


def test_failing_sql_becomes_a_result(warehouse, as_of):
    spec = CheckSpec(
        "bad_sql",
        CheckKind.CUSTOM_SQL,
        CheckSeverity.WARN,
        "silver.fact_trust",
        {"sql": "SELECT * FROM silver.fact_trust WHERE no_such_column > 1"},
    )
    result = run_quality_gates(warehouse.conn, suite=[spec], as_of=as_of).results[0]
    assert result.blocking
    assert result.message.startswith("check query failed: Binder Error")


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        (
            CheckSpec("d", CheckKind.DISTRIBUTION, CheckSeverity.ERROR, "t", {"columns": ("x",)}),
            "at least one bound",
        ),
        (
            CheckSpec(
                "d",
                CheckKind.DISTRIBUTION,
                CheckSeverity.ERROR,
                "t",
                {"columns": ("x",), "min": 2, "max": 1},
            ),
            "'min'",
        ),
        (CheckSpec("u", CheckKind.UNIQUENESS, CheckSeverity.ERROR, "t", {}), "'columns'"),
        (
            CheckSpec(
                "v",
                CheckKind.VOLUME,
                CheckSeverity.ERROR,
                "t",
                {"warn_drop": 0.9, "error_drop": 0.5},
            ),
            "warn_drop/error_drop",
        ),
        (
            CheckSpec(
                "f",
                CheckKind.FRESHNESS,
                CheckSeverity.ERROR,
                "t",
                {"warn_after_hours": 10, "error_after_hours": 1},
            ),
            "warn_after_hours",
        ),
        (
            CheckSpec("r", CheckKind.RECONCILIATION, CheckSeverity.ERROR, "t", {"scope": "weekly"}),
            "'scope'",
        ),
        (CheckSpec("c", CheckKind.CUSTOM_SQL, CheckSeverity.ERROR, "t", {"sql": " "}), "'sql'"),
        (
            CheckSpec(
                "d",
                CheckKind.DISTRIBUTION,
                CheckSeverity.ERROR,
                "t",
                {"columns": ("x",), "max": float("inf")},
            ),
            "finite",
        ),
        (
            CheckSpec("n", CheckKind.NOT_NULL, CheckSeverity.ERROR, "gold..x", {"columns": ("x",)}),
            "is not valid",
        ),
    ],
)
def test_invalid_specs_raise_config_invalid_before_running(warehouse, as_of, spec, fragment):
    seen: list[CheckResult] = []
    good = default_suite(warehouse.catalog)[0]
    with pytest.raises(RastupError) as info:
        run_quality_gates(warehouse.conn, suite=[good, spec], as_of=as_of, on_result=seen.append)
    assert info.value.code is ErrorCode.CONFIG_INVALID
    assert fragment in info.value.message
    assert seen == []


def test_duplicate_check_names_are_rejected(warehouse, as_of):
    spec = default_suite(warehouse.catalog)[0]
    with pytest.raises(RastupError, match="two checks are named"):
        run_quality_gates(warehouse.conn, suite=[spec, spec], as_of=as_of)


def test_on_result_sees_every_result_in_order(warehouse, as_of):
    warehouse.conn.execute(
        "UPDATE silver.fact_booking_legs SET amount_cents = -1 WHERE event_id = "
        "(SELECT min(event_id) FROM silver.fact_booking_legs)"
    )
    seen: list[CheckResult] = []
    report = run_quality_gates(
        warehouse.conn, catalog=warehouse.catalog, as_of=as_of, on_result=seen.append
    )
    assert tuple(seen) == report.results
    failed = [(r.name, r.severity) for r in seen if r.failed]
    assert failed == [("silver.fact_booking_legs.money_non_negative", CheckSeverity.ERROR)]


def test_naive_as_of_is_taken_as_utc(warehouse, facts):
    naive = (facts.latest_event + timedelta(hours=7)).replace(tzinfo=None)
    report = run_quality_gates(warehouse.conn, catalog=warehouse.catalog, as_of=naive)
    freshness = report.result("silver.fact_payments.freshness")
    assert freshness.observed == pytest.approx(7.0)


def test_default_as_of_is_now(warehouse, facts):
    report = run_quality_gates(warehouse.conn, catalog=warehouse.catalog)
    lag = report.result("silver.fact_payments.freshness").observed
    expected = (datetime.now(facts.latest_event.tzinfo) - facts.latest_event).total_seconds()
    assert lag == pytest.approx(expected / 3600, abs=0.01)
