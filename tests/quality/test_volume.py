"""Volume: a day against the median of the days before it; an open day against the same
hours of those days; the complete day before it in full."""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import duckdb
import pytest

from rastup_data.errors import RastupError
from rastup_data.quality import CheckKind, CheckSeverity, CheckSpec, CheckStatus, run_quality_gates

HISTORY = (200, 220, 180, 200, 210, 190, 200)  # median 200
LEGS = "silver.fact_booking_legs"


def _volume(table: str = LEGS, **params: object) -> CheckSpec:
    return CheckSpec("volume", CheckKind.VOLUME, CheckSeverity.ERROR, table, params)


def _run(conn: duckdb.DuckDBPyConnection, spec: CheckSpec, as_of: datetime):
    return run_quality_gates(conn, suite=[spec], as_of=as_of).results[0]


@pytest.mark.parametrize(
    ("latest_rows", "status", "severity"),
    [
        (200, CheckStatus.PASSED, CheckSeverity.ERROR),
        (100, CheckStatus.PASSED, CheckSeverity.ERROR),  # a 50 % drop is not "> 50 %"
        (99, CheckStatus.FAILED, CheckSeverity.WARN),
        (20, CheckStatus.FAILED, CheckSeverity.WARN),  # 90 % exactly: still a warning
        (19, CheckStatus.FAILED, CheckSeverity.ERROR),
        (600, CheckStatus.PASSED, CheckSeverity.ERROR),  # rises are not drops
    ],
)
def test_drop_bands(make_warehouse, as_of, latest_rows, status, severity):
    conn = make_warehouse((*HISTORY, latest_rows))
    result = _run(conn, _volume(), as_of)

    assert statistics.median(HISTORY) == 200
    assert result.status is status
    assert result.severity is severity
    assert result.observed == latest_rows
    assert result.blocking == (severity is CheckSeverity.ERROR and status is CheckStatus.FAILED)
    # as_of is 22:00 on the latest day: the open day against the first 22 hours of the others.
    assert (
        f"has {latest_rows} rows on 2026-03-08 by 22:00 UTC vs a median of 200 by the same "
        "time over 7 prior day(s)"
    ) in result.message
    assert [row["volume"] for row in result.sample_rows] == [*HISTORY, latest_rows]


def test_a_complete_day_is_judged_in_full(make_warehouse, as_of):
    conn = make_warehouse((*HISTORY, 50))
    # 01:00 the day after: one hour of the new day is too little to judge (min_volume), the
    # day before is complete and judged in full.
    result = _run(conn, _volume(min_volume=100), as_of + timedelta(hours=3))
    assert result.message.startswith("volume dropped 75%: ")
    assert "has 50 rows on 2026-03-08 vs a median of 200 over 7 prior day(s)" in result.message
    assert result.threshold == "drop > 50% warn, > 90% error"


def test_only_the_last_seven_days_count(make_warehouse, as_of):
    # Three old huge days fall outside the window; the seven before the latest have median 10.
    conn = make_warehouse((9000, 9000, 9000, 100, 100, 100, 100, 100, 100, 100, 40))
    result = _run(conn, _volume(), as_of)
    assert result.status is CheckStatus.FAILED
    assert result.severity is CheckSeverity.WARN
    assert len(result.sample_rows) == 8


@pytest.mark.parametrize("days", [1, 2, 3])
def test_short_history_is_skipped(make_warehouse, as_of, days):
    conn = make_warehouse((200,) * (days - 1) + (1,))
    report = run_quality_gates(conn, suite=[_volume()], as_of=as_of)
    result = report.results[0]
    assert result.status is CheckStatus.SKIPPED
    assert not result.passed
    assert not result.blocking
    assert f"only {days - 1} day(s) of history" in result.message
    assert report.passed  # a skip never blocks


def test_exactly_three_days_of_history_is_judged(make_warehouse, as_of):
    conn = make_warehouse((200, 200, 200, 10))
    result = _run(conn, _volume(), as_of)
    assert result.status is CheckStatus.FAILED
    assert result.severity is CheckSeverity.ERROR


def test_empty_table_is_skipped(warehouse, as_of):
    warehouse.conn.execute("DELETE FROM silver.fact_payments")
    result = _run(warehouse.conn, _volume("silver.fact_payments"), as_of)
    assert result.status is CheckStatus.SKIPPED
    assert result.message == "silver.fact_payments has no rows"


def test_warn_spec_never_reports_an_error(make_warehouse, as_of):
    conn = make_warehouse((*HISTORY, 10))
    spec = CheckSpec("volume_warn_only", CheckKind.VOLUME, CheckSeverity.WARN, LEGS, {})
    result = _run(conn, spec, as_of)
    assert result.failed
    assert result.severity is CheckSeverity.WARN
    assert not result.blocking


def test_custom_bands(make_warehouse, as_of):
    conn = make_warehouse((*HISTORY, 150))
    result = _run(conn, _volume(warn_drop=0.1, error_drop=0.2), as_of)
    assert result.blocking  # 25 % > 20 %


def test_without_a_time_column_the_open_day_is_left_out(make_warehouse, as_of):
    conn = make_warehouse((*HISTORY, 10))
    result = _run(conn, _volume(time_column=None), as_of)
    assert result.passed
    assert "has 200 rows on 2026-03-07 vs a median of 200 over 6 prior day(s)" in result.message


@pytest.mark.parametrize(
    ("bad", "fragment"),
    [
        ({"compare_with": "last_year"}, "previous_days or same_weekday"),
        ({"group_by": ""}, "a column name or null"),
        ({"min_history_days": 9}, "<= history_days"),
    ],
)
def test_bad_params_are_config_errors(warehouse, as_of, bad, fragment):
    with pytest.raises(RastupError, match=fragment):
        run_quality_gates(warehouse.conn, suite=[_volume(**bad)], as_of=as_of)


# -- a day of live traffic ----------------------------------------------------------------

DAY = date(2026, 3, 20)  # a Friday
#: Relative traffic per UTC hour (US evenings busy, US nights quiet).
HOURLY = (9, 8, 7, 6, 4, 3, 2, 1, 1, 1, 1, 2, 3, 4, 5, 6, 6, 6, 7, 7, 7, 8, 9, 9)
FULL_DAY = 20 * sum(HOURLY)


def _traffic(conn, days: int, *, per_unit: int = 20, skip: tuple[int, int] | None = None) -> None:
    """``days`` days up to DAY of hour-weighted events, a quarter of them clicks; ``skip`` =
    (from, to) hours of DAY in which a twentieth of the traffic arrives (a real drop)."""
    low, high = skip or (0, 0)
    hours = ", ".join(f"({hour}, {weight})" for hour, weight in enumerate(HOURLY))
    conn.execute(
        "CREATE OR REPLACE TABLE silver.traffic (event VARCHAR, dt DATE, occurred_at TIMESTAMPTZ)"
    )
    conn.execute(
        f"""
        INSERT INTO silver.traffic
        WITH days AS (
            SELECT CAST(DATE '{DAY}' - CAST(n AS INTEGER) AS DATE) AS day FROM range({days}) t(n)
        ),
        slots AS (
            SELECT day, hour,
                   CASE WHEN day = DATE '{DAY}' AND hour >= {low} AND hour < {high}
                        THEN weight * {per_unit} // 20 ELSE weight * {per_unit} END AS n
            FROM days, (VALUES {hours}) h(hour, weight)
        ),
        events AS (SELECT day, hour, n, unnest(range(n)) AS i FROM slots)
        SELECT CASE WHEN i % 4 = 0 THEN 'search.click' ELSE 'search.impression' END, day,
               CAST(CAST(day AS TIMESTAMP) + to_hours(hour) + to_seconds(i * 3600 // n)
                    AS TIMESTAMPTZ)
        FROM events
        """
    )


def _cut(conn, moment: datetime) -> None:
    """The lake as it stands at ``moment``: nothing later has arrived yet."""
    conn.execute("DELETE FROM silver.traffic WHERE occurred_at > ?", [moment])


@pytest.fixture
def traffic_conn(tmp_path) -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(str(tmp_path / "traffic.duckdb")) as conn:
        conn.execute("SET TimeZone = 'UTC'; CREATE SCHEMA silver")
        yield conn


LIVE = {"min_volume": 50}


@pytest.mark.parametrize(("hour", "minute"), [(0, 5), (6, 0), (18, 0), (23, 59)])
def test_a_build_at_any_time_of_day_publishes(traffic_conn, hour, minute):
    _traffic(traffic_conn, 8)
    moment = datetime(DAY.year, DAY.month, DAY.day, hour, minute, tzinfo=UTC)
    _cut(traffic_conn, moment)
    result = _run(traffic_conn, _volume("silver.traffic", **LIVE), moment)
    assert result.passed, result.message
    if (hour, minute) == (0, 5):
        # Five minutes of a day are too few to judge it: yesterday is judged in full.
        assert f"on 2026-03-19 vs a median of {FULL_DAY} over 6 prior day(s)" in result.message
    else:
        assert f"on 2026-03-20 by {hour:02d}:{minute:02d} UTC" in result.message


def test_the_old_rule_would_have_refused_the_early_build(traffic_conn):
    _traffic(traffic_conn, 8)
    moment = datetime(DAY.year, DAY.month, DAY.day, 6, tzinfo=UTC)
    _cut(traffic_conn, moment)
    whole_days = _volume("silver.traffic", time_column=None)
    # Without a time column the open day is left out rather than compared with whole days.
    assert _run(traffic_conn, whole_days, moment).passed
    rows_today = traffic_conn.execute(
        "SELECT count(*) FROM silver.traffic WHERE dt = ?", [DAY]
    ).fetchone()
    assert rows_today is not None
    assert rows_today[0] < 0.5 * FULL_DAY  # a whole-day comparison would call this a drop


def test_a_real_drop_during_the_day_is_caught(traffic_conn):
    _traffic(traffic_conn, 8, skip=(0, 24))  # a twentieth of the traffic since midnight
    moment = datetime(DAY.year, DAY.month, DAY.day, 18, tzinfo=UTC)
    _cut(traffic_conn, moment)
    result = _run(traffic_conn, _volume("silver.traffic", **LIVE), moment)
    assert result.blocking
    assert "on 2026-03-20 by 18:00 UTC" in result.message
    assert result.sample_rows[-1]["dt"] == "2026-03-20"


def test_a_drop_late_yesterday_is_caught_just_after_midnight(traffic_conn):
    _traffic(traffic_conn, 8)
    traffic_conn.execute(
        "DELETE FROM silver.traffic WHERE dt = ? AND occurred_at >= ?",
        [DAY, datetime(DAY.year, DAY.month, DAY.day, 0, 30, tzinfo=UTC)],
    )
    moment = datetime(DAY.year, DAY.month, DAY.day, 0, 10, tzinfo=UTC) + timedelta(days=1)
    traffic_conn.execute(
        "INSERT INTO silver.traffic VALUES ('search.impression', ?, ?)",
        [DAY + timedelta(days=1), moment],
    )
    result = _run(traffic_conn, _volume("silver.traffic", **LIVE), moment)
    assert result.blocking
    assert f"on 2026-03-20 vs a median of {FULL_DAY} over 7 prior day(s)" in result.message


def test_per_group_volume_names_the_group_that_dropped(traffic_conn):
    _traffic(traffic_conn, 8)
    traffic_conn.execute(
        "DELETE FROM silver.traffic WHERE dt = ? AND event = 'search.click'", [DAY]
    )
    moment = datetime(DAY.year, DAY.month, DAY.day, 23, 59, tzinfo=UTC)
    result = _run(traffic_conn, _volume("silver.traffic", group_by="event", **LIVE), moment)
    assert result.blocking
    assert result.message.startswith("volume dropped 100%: event=search.click: ")
    assert {row["event"] for row in result.sample_rows} == {"search.click"}


def test_same_weekday_baseline_knows_the_weekend(traffic_conn):
    _traffic(traffic_conn, 22)
    # Weekends (Saturday and Sunday) carry a quarter of the weekday traffic.
    traffic_conn.execute(
        "DELETE FROM silver.traffic WHERE dayofweek(dt) IN (0, 6) AND hash(occurred_at) % 4 <> 0"
    )
    saturday = DAY + timedelta(days=1)
    traffic_conn.execute(
        "INSERT INTO silver.traffic SELECT event, dt + 7, occurred_at + INTERVAL 7 DAY "
        "FROM silver.traffic WHERE dt = ?",
        [saturday - timedelta(days=7)],
    )
    moment = datetime(saturday.year, saturday.month, saturday.day, 23, 59, tzinfo=UTC)
    previous = _run(traffic_conn, _volume("silver.traffic", **LIVE), moment)
    weekday = _run(
        traffic_conn,
        _volume("silver.traffic", compare_with="same_weekday", history_days=28, **LIVE),
        moment,
    )
    assert previous.failed  # a quiet Saturday looks like a drop against the weekdays
    assert weekday.passed, weekday.message
    assert "(same weekday)" in weekday.message


def test_a_measure_sums_a_column(warehouse, as_of):
    spec = _volume("gold.kpi_marketplace_daily", measure="bookings", time_column=None)
    result = _run(warehouse.conn, spec, as_of + timedelta(days=1))
    assert result.passed
    # Two cities of 10 + d bookings on day d: day 7 sums to 34, days 0-6 have median 26.
    assert "has 34 sum(bookings) on 2026-03-08 vs a median of 26 over 7 prior day(s)" in (
        result.message
    )
