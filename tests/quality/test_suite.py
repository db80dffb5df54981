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
from rastup_data.quality.suite import RECON_VARIANCE_ALERT


def test_default_suite_is_valid_and_uniquely_named(catalog):
    suite = default_suite(catalog)
    validate_suite(suite)
    assert len({spec.name for spec in suite}) == len(suite)


def _by_kind(catalog, kind):
    return [s for s in default_suite(catalog) if s.kind is kind]


def test_every_gold_mart_with_a_day_is_watched_for_volume_and_freshness(catalog):
    marts = {m.relation for m in catalog.in_schema("gold") if m.has("dt")}
    assert len(marts) >= 7
    assert {s.table for s in _by_kind(catalog, CheckKind.VOLUME)} >= marts
    assert {s.table for s in _by_kind(catalog, CheckKind.FRESHNESS)} >= marts
    for spec in _by_kind(catalog, CheckKind.VOLUME):
        if spec.table in marts:
            assert spec.severity is CheckSeverity.WARN
            assert spec.params["time_column"] is None  # Gold rows have no time of day


def test_bronze_is_watched_per_event_type_from_the_source(catalog):
    (source,) = (m for m in catalog.sources if m.relation == "bronze.events")
    assert source.source is not None
    assert source.source.freshness_hours == (6.0, 36.0)  # dbt's freshness block
    suite = {s.name: s for s in default_suite(catalog)}
    volume = suite["bronze.events.volume"]
    assert volume.params["group_by"] == "event"
    assert volume.params["compare_with"] == "same_weekday"
    assert volume.params["date_column"] == "occurred_at"
    freshness = suite["bronze.events.freshness"]
    assert freshness.params["group_by"] == "event"
    assert freshness.params["warn_after_hours"] == 6.0
    assert freshness.params["error_after_hours"] == 36.0
    assert {
        "bronze.quarantine.invalid_event_rate",
        "bronze.quarantine.invalid_event_rate_high",
    } <= (set(suite))


def test_every_money_column_is_checked_non_negative(catalog):
    money = {
        (m.relation, column)
        for m in catalog.models
        if m.source is None
        for column in m.financial
        if column.endswith("_cents")
    }
    assert len(money) >= 20
    checked = {
        (s.table, column)
        for s in _by_kind(catalog, CheckKind.DISTRIBUTION)
        if s.name.endswith(".money_non_negative")
        for column in s.params["columns"]
    }
    assert checked == money


def test_every_gold_ratio_is_bounded(catalog):
    """Every ratio of a Gold mart (a DOUBLE named *_rate or ctr) is declared bounded."""
    ratios = {
        (m.relation, column)
        for m in catalog.in_schema("gold")
        for column, data_type in m.column_types.items()
        if data_type == "double" and (column.endswith("_rate") or column == "ctr")
    }
    assert ratios
    bounded = {
        (s.table, column)
        for s in _by_kind(catalog, CheckKind.DISTRIBUTION)
        if s.param("max") == 1
        for column in s.params["columns"]
    }
    assert bounded == ratios


def test_no_check_repeats_a_dbt_test(catalog):
    """Keys are dbt data tests; the suite derives no key check dbt already runs."""
    for spec in default_suite(catalog):
        if spec.kind in (CheckKind.UNIQUENESS, CheckKind.NOT_NULL):
            model = catalog.model(spec.table)
            columns = spec.params["columns"]
            assert not model.dbt_makes_unique(columns), spec.name
            assert not model.dbt_makes_not_null(columns), spec.name
    stages = catalog.model("gold.kpi_funnel_daily")
    assert ("accepted_values", ("stage",)) in stages.dbt_tests
    assert not any(s.name.endswith("stage_known") for s in default_suite(catalog))


def test_settled_bookings_block_and_timing_variance_only_warns(catalog):
    recon = {s.params.get("scope"): s for s in _by_kind(catalog, CheckKind.RECONCILIATION)}
    assert set(recon) == {"overall", "daily", "key"}
    assert recon["key"].severity is CheckSeverity.ERROR
    assert recon["key"].params["where"] == "is_settled"
    assert recon["daily"].severity is CheckSeverity.WARN
    assert recon["overall"].severity is CheckSeverity.WARN
    alerts = [s for s in default_suite(catalog) if s.alert]
    assert [(s.name, s.alert) for s in alerts] == [
        ("gold.ops_recon_daily.variance_within_money_in_flight", RECON_VARIANCE_ALERT)
    ]


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
