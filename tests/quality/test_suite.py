"""Suites as data: the default suite and suites loaded from records or YAML."""

from __future__ import annotations

import pytest

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.quality import (
    CheckKind,
    CheckSeverity,
    default_suite,
    load_suite,
    run_quality_gates,
    suite_from_records,
    validate_suite,
)

SILVER_FACTS = {
    "silver.fact_booking_legs",
    "silver.fact_payments",
    "silver.fact_payouts",
    "silver.fact_search_impressions",
    "silver.fact_promotions_events",
    "silver.fact_disputes",
    "silver.fact_trust",
    "silver.fact_comms",
    "silver.fact_studios",
    "silver.fact_bookings",
    "silver.fact_search_clicks",
    "silver.fact_profile_views",
    "silver.fact_checkouts",
}
GOLD_MARTS = {
    "gold.kpi_marketplace_daily",
    "gold.kpi_funnel_daily",
    "gold.ops_recon_daily",
    "gold.ops_payout_backlog",
    "gold.kpi_trust_daily",
    "gold.kpi_promotions_daily",
    "gold.kpi_comms_daily",
    "gold.kpi_studios_daily",
}
RATES = {
    "take_rate",
    "idv_pass_rate",
    "ctr",
    "invalid_rate",
    "delivery_rate",
    "bounce_rate",
    "complaint_rate",
    "verification_rate",
    "quote_success_rate",
}


def test_default_suite_is_valid_and_uniquely_named():
    suite = default_suite()
    validate_suite(suite)
    assert len({spec.name for spec in suite}) == len(suite)


def test_event_id_unique_in_every_silver_fact():
    unique = {
        s.table
        for s in default_suite()
        if s.kind is CheckKind.UNIQUENESS and s.params["columns"] == ("event_id",)
    }
    assert unique == SILVER_FACTS


def test_every_gold_mart_has_key_checks_and_every_rate_is_bounded():
    suite = default_suite()
    assert {s.table for s in suite if s.name.endswith(".key_unique")} == GOLD_MARTS
    bounded = [s for s in suite if s.kind is CheckKind.DISTRIBUTION and s.param("max") == 1]
    assert {col for s in bounded for col in s.params["columns"]} == RATES
    assert all(s.param("min") == 0 for s in bounded)


def test_settled_bookings_block_and_timing_variance_only_warns():
    recon = {s.params["scope"]: s for s in default_suite() if s.kind is CheckKind.RECONCILIATION}
    assert set(recon) == {"overall", "daily", "key"}
    assert recon["key"].severity is CheckSeverity.ERROR
    assert recon["key"].params["where"] == "is_settled"
    assert recon["daily"].severity is CheckSeverity.WARN
    assert recon["overall"].severity is CheckSeverity.WARN


RECORDS = [
    {
        "name": "legs_unique",
        "kind": "uniqueness",
        "severity": "error",
        "table": "silver.fact_booking_legs",
        "params": {"columns": ["event_id"]},
    },
    {
        "name": "funnel_small",
        "kind": "custom_sql",
        "severity": "warn",
        "table": "gold.kpi_funnel_daily",
        "params": {"sql": "SELECT * FROM gold.kpi_funnel_daily WHERE users > 50"},
    },
]


def test_suite_from_records_runs(warehouse, as_of):
    suite = suite_from_records(RECORDS)
    report = run_quality_gates(warehouse.conn, suite=suite, as_of=as_of)
    assert report.result("legs_unique").passed
    funnel = report.result("funnel_small")
    assert funnel.failed
    assert funnel.severity is CheckSeverity.WARN
    assert funnel.observed == 8  # one search_impression row (100 users) per day
    assert report.passed


def test_load_suite_from_yaml(tmp_path, warehouse, as_of):
    path = tmp_path / "suite.yaml"
    path.write_text(
        "checks:\n"
        "  - name: trust_rates\n"
        "    kind: distribution\n"
        "    severity: error\n"
        "    table: gold.kpi_trust_daily\n"
        "    params: {columns: [idv_pass_rate], min: 0, max: 0.5}\n",
        encoding="utf-8",
    )
    (spec,) = load_suite(path)
    assert spec.kind is CheckKind.DISTRIBUTION
    result = run_quality_gates(warehouse.conn, suite=[spec], as_of=as_of).results[0]
    assert result.blocking
    assert result.observed == 8


@pytest.mark.parametrize(
    ("record", "fragment"),
    [
        ({"name": "x", "kind": "volume", "severity": "error"}, "lacks table"),
        ({"name": "x", "kind": "vibes", "severity": "error", "table": "t"}, "unknown kind"),
        ({"name": "x", "kind": "volume", "severity": "fatal", "table": "t"}, "unknown severity"),
        (
            {"name": "x", "kind": "volume", "severity": "warn", "table": "t", "params": [1]},
            "params that are not a mapping",
        ),
    ],
)
def test_bad_records_raise_config_invalid(record, fragment):
    with pytest.raises(RastupError) as info:
        suite_from_records([record])
    assert info.value.code is ErrorCode.CONFIG_INVALID
    assert fragment in info.value.message


def test_unreadable_suite_file(tmp_path):
    with pytest.raises(RastupError) as info:
        load_suite(tmp_path / "missing.yaml")
    assert info.value.code is ErrorCode.CONFIG_INVALID
    (tmp_path / "scalar.yaml").write_text("just text\n", encoding="utf-8")
    with pytest.raises(RastupError, match="must hold a list of checks"):
        load_suite(tmp_path / "scalar.yaml")
