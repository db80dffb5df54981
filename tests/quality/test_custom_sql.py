"""Custom SQL checks: a query returning failing rows."""

from __future__ import annotations

from rastup_data.quality import CheckKind, CheckSeverity, CheckSpec, run_quality_gates


def _spec(sql: str, **params: object) -> CheckSpec:
    return CheckSpec(
        "custom",
        CheckKind.CUSTOM_SQL,
        CheckSeverity.ERROR,
        "gold.kpi_funnel_daily",
        {"sql": sql, **params},
    )


FUNNEL_INVERSIONS = (
    "SELECT c.dt, c.users AS clicks, i.users AS impressions "
    "FROM gold.kpi_funnel_daily c JOIN gold.kpi_funnel_daily i USING (dt) "
    "WHERE c.stage = 'search_click' AND i.stage = 'search_impression' AND c.users > i.users;"
)


def test_passes_when_no_rows(warehouse, as_of):
    result = run_quality_gates(
        warehouse.conn, suite=[_spec(FUNNEL_INVERSIONS)], as_of=as_of
    ).results[0]
    assert result.passed
    assert result.observed == 0


def test_fails_with_the_returned_rows(warehouse, as_of):
    warehouse.conn.execute(
        "UPDATE gold.kpi_funnel_daily SET users = 500 "
        "WHERE stage = 'search_click' AND dt IN (DATE '2026-03-02', DATE '2026-03-06')"
    )
    result = run_quality_gates(
        warehouse.conn, suite=[_spec(FUNNEL_INVERSIONS)], as_of=as_of
    ).results[0]
    assert result.blocking
    assert result.observed == 2
    assert sorted(result.sample_rows, key=lambda r: r["dt"]) == [
        {"dt": "2026-03-02", "clicks": 500, "impressions": 100},
        {"dt": "2026-03-06", "clicks": 500, "impressions": 100},
    ]


def test_max_rows_allows_some(warehouse, as_of):
    sql = "SELECT * FROM gold.kpi_funnel_daily WHERE stage = 'booking_confirmed'"
    report = run_quality_gates(warehouse.conn, suite=[_spec(sql, max_rows=8)], as_of=as_of)
    assert report.results[0].passed
    report = run_quality_gates(warehouse.conn, suite=[_spec(sql, max_rows=7)], as_of=as_of)
    assert report.results[0].failed


def test_take_rate_must_match_its_parts(warehouse, as_of):
    warehouse.conn.execute(
        "UPDATE gold.kpi_marketplace_daily SET take_rate = take_rate * 1.001 "
        "WHERE city = 'nyc' AND dt = DATE '2026-03-03'"
    )
    result = run_quality_gates(warehouse.conn, catalog=warehouse.catalog, as_of=as_of).result(
        "gold.kpi_marketplace_daily.take_rate_matches_parts"
    )
    assert result.blocking
    assert [(r["dt"], r["city"]) for r in result.sample_rows] == [("2026-03-03", "nyc")]
