"""Bronze checks from the source declarations: read in place, per event type, quarantine."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rastup_data.quality import CheckSeverity, default_suite, run_quality_gates


def _bronze_specs(catalog, *names):
    suite = {s.name: s for s in default_suite(catalog)}
    return [suite[name] for name in names]


def test_the_fixture_lake_passes(warehouse, as_of):
    report = run_quality_gates(warehouse.conn, catalog=warehouse.catalog, as_of=as_of)
    bronze = [r for r in report.results if r.table.startswith("bronze.")]
    assert {r.name for r in bronze} == {
        "bronze.events.volume",
        "bronze.events.freshness",
        "bronze.quarantine.invalid_event_rate",
        "bronze.quarantine.invalid_event_rate_high",
    }
    assert all(r.passed for r in bronze), [r.message for r in bronze if not r.passed]
    # Read through the source's external location: the fixture's three event types.
    assert report.result("bronze.events.freshness").message.startswith("3 event(s) of bronze")
    # The source is attached for the run only: nothing of it stays in the warehouse.
    databases = {
        row[0]
        for row in warehouse.conn.execute("SELECT database_name FROM duckdb_databases()").fetchall()
    }
    assert "bronze" not in databases


@pytest.fixture
def bronze(warehouse):
    """Bronze tables of the test's own making: a ``bronze`` catalog the gate then reads
    instead of the lake (it attaches a source only where nothing by that name exists)."""
    conn = warehouse.conn
    conn.execute("ATTACH ':memory:' AS bronze")
    conn.execute(
        "CREATE TABLE bronze.events (event VARCHAR, occurred_at TIMESTAMPTZ, dt DATE);"
        "CREATE TABLE bronze.quarantine (received_at TIMESTAMPTZ, code VARCHAR, dt DATE)"
    )
    return conn


def _traffic(conn, event: str, per_day: int, days: int, end: str) -> None:
    conn.execute(
        "INSERT INTO bronze.events SELECT ?, "
        "CAST(? AS TIMESTAMPTZ) - to_minutes(CAST(i * (1440 * ? // ?) AS BIGINT)), NULL "
        "FROM range(?) t(i)",
        [event, end, days, per_day * days, per_day * days],
    )
    conn.execute("UPDATE bronze.events SET dt = CAST(timezone('UTC', occurred_at) AS DATE)")


def test_an_event_type_that_stopped_is_stale_and_a_rare_one_is_not_judged(warehouse, bronze, facts):
    end = facts.latest_event
    _traffic(bronze, "search.impression", 500, 7, str(end))
    stopped = end - timedelta(hours=40)
    _traffic(bronze, "payout.created", 300, 5, str(stopped))
    _traffic(bronze, "dispute.opened", 5, 7, str(end - timedelta(days=4)))
    (spec,) = _bronze_specs(warehouse.catalog, "bronze.events.freshness")
    result = run_quality_gates(warehouse.conn, suite=[spec], as_of=end).results[0]
    assert result.blocking
    assert result.message.startswith("stale data: 1 of 2 event(s) of bronze.events lag")
    (row,) = result.sample_rows
    assert row["event"] == "payout.created"
    assert row["lag_hours"] == 40.0
    assert row["daily_rows"] >= 100


def test_invalid_event_rate_warns_above_two_percent_and_blocks_above_ten(warehouse, bronze, as_of):
    bronze.execute(
        "INSERT INTO bronze.events SELECT 'search.click', NULL, "
        "DATE '2026-03-01' + CAST(i % 3 AS INTEGER) FROM range(3000) t(i)"
    )

    def reject(day: str, count: int) -> None:
        bronze.execute(
            "INSERT INTO bronze.quarantine SELECT NULL, 'EVENT_SCHEMA_INVALID', CAST(? AS DATE) "
            "FROM range(?)",
            [day, count],
        )

    reject("2026-03-01", 10)  # 1 %
    reject("2026-03-02", 50)  # 4.8 %
    reject("2026-03-03", 200)  # 16.7 %
    warn, error = _bronze_specs(
        warehouse.catalog,
        "bronze.quarantine.invalid_event_rate",
        "bronze.quarantine.invalid_event_rate_high",
    )
    report = run_quality_gates(warehouse.conn, suite=[warn, error], as_of=as_of)
    warned, blocked = report.results
    assert warned.failed
    assert warned.severity is CheckSeverity.WARN
    assert [row["dt"] for row in warned.sample_rows] == ["2026-03-02", "2026-03-03"]
    assert blocked.blocking
    (row,) = blocked.sample_rows
    assert row["dt"] == "2026-03-03"
    assert row["invalid"] == 200
    assert row["accepted"] == 1000
    assert row["invalid_rate"] == pytest.approx(200 / 1200)
