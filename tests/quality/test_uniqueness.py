"""Uniqueness and not-null checks. The project's keys are dbt data tests, so these kinds
run for suites and keys that dbt does not cover (a YAML suite, ``meta.quality.key``)."""

from __future__ import annotations

from rastup_data.quality import CheckKind, CheckSeverity, CheckSpec, run_quality_gates

EVENT_ID_UNIQUE = CheckSpec(
    "silver.fact_comms.event_id_unique",
    CheckKind.UNIQUENESS,
    CheckSeverity.ERROR,
    "silver.fact_comms",
    {"columns": ("event_id",)},
)


def test_duplicate_event_id_in_a_silver_fact(warehouse, as_of):
    warehouse.conn.execute(
        "INSERT INTO silver.fact_comms SELECT * FROM silver.fact_comms "
        "WHERE event_id IN ('fact_comms-2-1', 'fact_comms-5-0')"
    )
    warehouse.conn.execute(
        "INSERT INTO silver.fact_comms SELECT * FROM silver.fact_comms "
        "WHERE event_id = 'fact_comms-5-0' LIMIT 1"
    )
    report = run_quality_gates(warehouse.conn, suite=[EVENT_ID_UNIQUE], as_of=as_of)
    result = report.result("silver.fact_comms.event_id_unique")

    assert result.blocking
    assert result.observed == 2
    assert result.message == (
        "2 duplicated value(s) of (event_id) in silver.fact_comms across 5 rows"
    )
    assert result.sample_rows == (
        {"event_id": "fact_comms-5-0", "duplicate_count": 3},
        {"event_id": "fact_comms-2-1", "duplicate_count": 2},
    )
    assert [r.name for r in report.blocking] == ["silver.fact_comms.event_id_unique"]


def test_duplicate_mart_key(warehouse, as_of):
    warehouse.conn.execute(
        "INSERT INTO gold.kpi_comms_daily SELECT * FROM gold.kpi_comms_daily "
        "WHERE dt = DATE '2026-03-07' AND channel = 'email'"
    )
    spec = CheckSpec(
        "gold.kpi_comms_daily.key_unique",
        CheckKind.UNIQUENESS,
        CheckSeverity.ERROR,
        "gold.kpi_comms_daily",
        {"columns": ("dt", "channel")},
    )
    result = run_quality_gates(warehouse.conn, suite=[spec], as_of=as_of).results[0]
    assert result.blocking
    assert result.sample_rows == ({"dt": "2026-03-07", "channel": "email", "duplicate_count": 2},)


def test_null_keys_are_counted_per_column(warehouse, as_of):
    warehouse.conn.execute("""
        UPDATE silver.fact_disputes SET event_id = NULL WHERE event_id = 'fact_disputes-1-0';
        UPDATE silver.fact_disputes SET dt = NULL WHERE event_id LIKE 'fact_disputes-2-%';
    """)
    spec = CheckSpec(
        "silver.fact_disputes.keys_not_null",
        CheckKind.NOT_NULL,
        CheckSeverity.ERROR,
        "silver.fact_disputes",
        {"columns": ("event_id", "dt")},
    )
    result = run_quality_gates(warehouse.conn, suite=[spec], as_of=as_of).results[0]
    assert result.blocking
    assert result.severity is CheckSeverity.ERROR
    assert result.observed == 4
    assert result.message.endswith("(event_id: 1 row(s); dt: 3 row(s))")
    assert len(result.sample_rows) == 4
    assert all(row["event_id"] is None or row["dt"] is None for row in result.sample_rows)


def test_where_narrows_the_rows_checked(warehouse, as_of):
    warehouse.conn.execute(
        "INSERT INTO silver.fact_trust SELECT * FROM silver.fact_trust "
        "WHERE event_id = 'fact_trust-1-0'"
    )
    recent = CheckSpec(
        "recent_unique",
        CheckKind.UNIQUENESS,
        CheckSeverity.ERROR,
        "silver.fact_trust",
        {"columns": ["event_id"], "where": "dt >= DATE '2026-03-05'"},
    )
    everything = CheckSpec(
        "all_unique",
        CheckKind.UNIQUENESS,
        CheckSeverity.ERROR,
        "silver.fact_trust",
        {"columns": ["event_id"]},
    )
    report = run_quality_gates(warehouse.conn, suite=[recent, everything], as_of=as_of)
    assert report.result("recent_unique").passed
    assert report.result("all_unique").failed
    assert report.result("all_unique").sample_rows[0]["event_id"] == "fact_trust-1-0"
