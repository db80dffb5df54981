"""A small, consistent Silver/Gold warehouse built in a real DuckDB for every test, the
quality catalog of the real dbt project (a ``dbt parse``), and a Bronze lake for it.

Which tables exist, which of them are watched for volume and which columns hold money
all come from the catalog, i.e. from the schema.yml files: nothing here lists them.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from rastup_data.quality import QualityCatalog
from rastup_data.transform._dbt import run_dbt
from rastup_data.transform.manifest import load_manifest

#: Rows per day in each key fact, oldest first; the last day is the "latest" day.
DAILY_ROWS: tuple[int, ...] = (200, 220, 180, 200, 210, 190, 200, 200)
FIRST_DAY = date(2026, 3, 1)
LATEST_DAY = FIRST_DAY + timedelta(days=len(DAILY_ROWS) - 1)
#: The latest occurred_at in every key fact: 20:00 UTC on the latest day.
LATEST_EVENT = datetime(LATEST_DAY.year, LATEST_DAY.month, LATEST_DAY.day, 20, tzinfo=UTC)

#: Event types in the fixture Bronze, each with DAILY_ROWS rows a day.
BRONZE_EVENTS = ("search.impression", "booking.leg.confirmed", "payment.charge.succeeded")
#: Quarantined events a day (1 % of the traffic).
QUARANTINED = 6

_EXTRA_COLUMNS = {
    "silver.fact_booking_legs": (
        "city VARCHAR, booking_id VARCHAR, leg_id VARCHAR, amount_cents BIGINT, status VARCHAR"
    ),
    "silver.fact_payments": ("city VARCHAR, kind VARCHAR, booking_id VARCHAR, amount_cents BIGINT"),
    "silver.fact_payouts": (
        "payout_id VARCHAR, created_at TIMESTAMP, paid_at TIMESTAMP, amount_cents BIGINT"
    ),
}


@dataclass(frozen=True)
class Warehouse:
    conn: duckdb.DuckDBPyConnection
    path: Path
    catalog: QualityCatalog


def key_facts(catalog: QualityCatalog) -> tuple[str, ...]:
    """The Silver facts schema.yml watches for volume and freshness."""
    return tuple(m.relation for m in catalog.in_schema("silver") if m.quality.get("volume"))


def other_facts(catalog: QualityCatalog) -> tuple[str, ...]:
    keys = key_facts(catalog)
    return tuple(
        m.relation
        for m in catalog.in_schema("silver")
        if m.relation.startswith("silver.fact_") and m.relation not in keys
    )


def _create_fact(
    conn: duckdb.DuckDBPyConnection, table: str, counts: tuple[int, ...], money: tuple[str, ...]
) -> None:
    extra = _EXTRA_COLUMNS.get(table)
    columns = "event_id VARCHAR, dt DATE, occurred_at TIMESTAMP" + (f", {extra}" if extra else "")
    # Every money column schema.yml declares, with a positive amount.
    added = [c for c in money if c not in columns]
    columns += "".join(f", {c} BIGINT" for c in added)
    conn.execute(f"CREATE TABLE {table} ({columns})")
    prefix = table.split(".")[1]
    for offset, n in enumerate(counts):
        # The last count always lands on LATEST_DAY, whatever the length of the history.
        day = LATEST_DAY - timedelta(days=len(counts) - 1 - offset)
        # Events spread from 00:00 to 20:00 of their day; the last one lands at 20:00.
        values = {
            "event_id": f"'{prefix}-{offset}-' || i",
            "dt": f"DATE '{day}'",
            "occurred_at": f"TIMESTAMP '{day} 00:00:00' + to_minutes(CAST(i * 1200 // "
            f"greatest({n} - 1, 1) AS BIGINT))",
        }
        if table == "silver.fact_booking_legs":
            values |= {
                "city": "'nyc'",
                "booking_id": "'bk_' || i",
                "leg_id": "'lg_' || i",
                "amount_cents": "1000 + i",
                "status": "'confirmed'",
            }
        elif table == "silver.fact_payments":
            values |= {
                "city": "'nyc'",
                "kind": "'charge'",
                "booking_id": "'bk_' || i",
                "amount_cents": "1000 + i",
            }
        elif table == "silver.fact_payouts":
            values |= {
                "payout_id": "'po_' || i",
                "created_at": "NULL",
                "paid_at": "NULL",
                "amount_cents": "900",
            }
        values |= dict.fromkeys(added, "100 + i")
        select = ", ".join(values.values())
        names = ", ".join(values)
        conn.execute(f"INSERT INTO {table} ({names}) SELECT {select} FROM range({n}) t(i)")


def _create_gold(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("""
        CREATE TEMP TABLE days AS SELECT CAST(range AS INTEGER) AS d FROM range(8);
        CREATE TABLE gold.kpi_marketplace_daily AS
        SELECT DATE '2026-03-01' + d AS dt, city, 10 + d AS bookings,
               100000 + 1000 * d AS gmv_cents, 10000 + 100 * d AS platform_fee_cents,
               (10000 + 100 * d) / (100000 + 1000 * d) AS take_rate
        FROM days, (VALUES ('nyc'), ('lax')) c(city);
        CREATE TABLE gold.kpi_funnel_daily AS
        SELECT DATE '2026-03-01' + d AS dt, stage, users
        FROM days, (VALUES ('search_impression', 100), ('search_click', 40), ('profile_view', 30),
             ('checkout_start', 12), ('booking_confirmed', 10)) s(stage, users);
        CREATE TABLE gold.ops_recon_daily AS
        SELECT DATE '2026-03-01' + d AS dt, 100000 + 500 * d AS charges_cents,
               2000 AS refunds_cents, 88000 + 400 * d AS payouts_cents,
               10000 + 100 * d AS fees_cents, 0 AS variance_cents
        FROM days;
        CREATE TABLE gold.ops_payout_backlog AS
        SELECT * FROM (VALUES ('0-1d', 3, 2700), ('1-3d', 2, 1800), ('3-7d', 1, 900),
                              ('7d+', 0, 0)) b(age_bucket, payouts, amount_cents);
        CREATE TABLE gold.kpi_trust_daily AS
        SELECT DATE '2026-03-01' + d AS dt, 10 AS idv_started, 8 AS idv_passed, 2 AS idv_failed,
               0.8::DOUBLE AS idv_pass_rate, 5 AS bg_clear, 1 AS bg_consider, 0 AS bg_suspended,
               3 AS risk_watch, 1 AS risk_action, 0 AS risk_critical
        FROM days;
        CREATE TABLE gold.kpi_promotions_daily AS
        SELECT DATE '2026-03-01' + d AS dt, 'cmp_1' AS campaign_id, 200 AS impressions,
               10 AS clicks, 1 AS invalid_clicks, 0.05::DOUBLE AS ctr, 0.1::DOUBLE AS invalid_rate,
               450 AS spend_cents, CAST(NULL AS BIGINT) AS budget_cents
        FROM days;
        CREATE TABLE gold.kpi_comms_daily AS
        SELECT DATE '2026-03-01' + d AS dt, channel, 100 AS sent, 95 AS delivered,
               5 AS bounced, 1 AS complained, 2 AS opted_out, 0 AS digest_suppressed,
               0.95::DOUBLE AS delivery_rate, 0.05::DOUBLE AS bounce_rate,
               0.01::DOUBLE AS complaint_rate
        FROM days, (VALUES ('email'), ('sms')) c(channel);
        CREATE TABLE gold.kpi_studios_daily AS
        SELECT DATE '2026-03-01' + d AS dt, 4 AS verified, 1 AS verification_failed,
               0.8::DOUBLE AS verification_rate, 8 AS amenity_uses, 5 AS quotes_requested,
               2 AS quotes_accepted, 0.4::DOUBLE AS quote_success_rate
        FROM days;
        CREATE TABLE gold.ops_acceptance_daily AS
        SELECT DATE '2026-03-01' + d AS dt, city, 30 AS requested, 21 AS accepted,
               20 AS accepted_in_window, 3 AS declined, 3 AS expired, 3 AS pending,
               (20 / 30)::DOUBLE AS acceptance_rate, 95.5::DOUBLE AS median_minutes_to_accept
        FROM days, (VALUES ('nyc'), ('lax')) c(city);
        CREATE TABLE gold.kpi_disputes_daily AS
        SELECT DATE '2026-03-01' + d AS dt, 25 AS opened, 30000 AS disputed_cents,
               20 AS resolved, 10 AS won, 5 AS lost, 3 AS refunded, 2 AS withdrawn,
               40.5::DOUBLE AS median_hours_to_resolve
        FROM days;
        DROP TABLE days;
        CREATE TABLE silver.booking_settlement AS
        SELECT 'bk_' || i AS booking_id,
               DATE '2026-03-01' + CAST(i % 8 AS INTEGER) AS booked_dt,
               DATE '2026-03-01' + CAST(i % 8 AS INTEGER) AS charged_dt,
               1 AS leg_count, 1 AS legs_seen,
               CASE WHEN i < 8 THEN 1 ELSE 0 END AS legs_completed,
               0 AS legs_cancelled,
               CASE WHEN i < 8 THEN 0 ELSE 1 END AS legs_open,
               0 AS legs_awaiting_payout, 0 AS legs_awaiting_refund,
               10000 AS charges_cents,
               CASE WHEN i < 8 THEN 8500 ELSE 0 END AS payouts_cents,
               0 AS refunds_cents, 1500 AS fees_cents,
               CASE WHEN i < 8 THEN 0 ELSE 8500 END AS variance_cents,
               i < 8 AS is_settled,
               CASE WHEN i < 8 THEN TIMESTAMP '2026-03-01 12:00:00'
                    + to_days(CAST(i % 8 AS INTEGER) + 1) END AS settled_at,
               CASE WHEN i < 8 THEN DATE '2026-03-02' + CAST(i % 8 AS INTEGER) END AS settled_dt
        FROM range(10) t(i);
    """)


def build_warehouse(
    conn: duckdb.DuckDBPyConnection,
    catalog: QualityCatalog,
    daily_rows: tuple[int, ...] = DAILY_ROWS,
) -> None:
    """Create every Silver table and Gold mart the default suite reads, all consistent."""
    conn.execute("CREATE SCHEMA IF NOT EXISTS silver; CREATE SCHEMA IF NOT EXISTS gold")
    for table in key_facts(catalog):
        _create_fact(conn, table, daily_rows, catalog.model(table).financial)
    for table in other_facts(catalog):
        _create_fact(conn, table, (3,) * len(daily_rows), catalog.model(table).financial)
    conn.execute("CREATE TABLE silver.dim_user AS SELECT 'u_' || i AS user_id FROM range(5) t(i)")
    conn.execute("CREATE TABLE silver.dim_city AS SELECT * FROM (VALUES ('nyc'), ('lax')) c(city)")
    _create_gold(conn)
    _create_datasets(conn, catalog)


#: A value of each declared column type for the BI dataset rows; money is positive.
_DATASET_VALUES = {"date": "DATE '{day}'", "varchar": "'nyc'", "double": "0.5"}


def _create_datasets(conn: duckdb.DuckDBPyConnection, catalog: QualityCatalog) -> None:
    """The BI datasets (dbt tag extract) the build also makes: one row a day per dataset,
    every declared column filled after its type (integers positive, so money is too)."""
    conn.execute("CREATE SCHEMA IF NOT EXISTS datasets")
    for model in catalog.in_schema("datasets"):
        rows = []
        for offset in range(len(DAILY_ROWS)):
            day = FIRST_DAY + timedelta(days=offset)
            values = (
                _DATASET_VALUES.get(model.column_types.get(c, ""), "100").format(day=day)
                for c in model.columns
            )
            rows.append(f"({', '.join(values)})")
        names = ", ".join(model.columns)
        conn.execute(f"CREATE TABLE {model.relation} ({names}) AS VALUES {', '.join(rows)}")


def write_bronze(root: Path, daily_rows: tuple[int, ...] = DAILY_ROWS) -> None:
    """Bronze for the fixture: each of BRONZE_EVENTS ``daily_rows`` times a day (00:00 to
    20:00, received when they occurred) and QUARANTINED rejected events a day."""
    with duckdb.connect() as conn:
        conn.execute("SET TimeZone = 'UTC'")
        for offset, n in enumerate(daily_rows):
            day = LATEST_DAY - timedelta(days=len(daily_rows) - 1 - offset)
            for folder, select in (("events", _bronze_events(day, n)), ("_bad", _bad(day))):
                target = root / "bronze" / folder / f"dt={day}"
                target.mkdir(parents=True, exist_ok=True)
                conn.execute(f"COPY ({select}) TO '{target / 'fixture.parquet'}' (FORMAT parquet)")


def _bronze_events(day: date, n: int) -> str:
    names = ", ".join(f"('{name}')" for name in BRONZE_EVENTS)
    at = (
        f"TIMESTAMPTZ '{day} 00:00:00+00' + to_minutes(CAST(i * 1200 // {max(n - 1, 1)} AS BIGINT))"
    )
    return (
        f"SELECT uuid()::VARCHAR AS event_id, e.name AS event, 1 AS v, {at} AS occurred_at, "
        f"{at} AS received_at, 'u_' || (i % 7) AS user_id, 'a_' || i AS anon_id, "
        "'s_1' AS session_id, '{\"city\": \"nyc\"}' AS context, '{}' AS ids, '{}' AS payload "
        f"FROM range({n}) t(i), (VALUES {names}) e(name)"
    )


def _bad(day: date) -> str:
    return (
        f"SELECT TIMESTAMPTZ '{day} 12:00:00+00' AS received_at, "
        "'EVENT_SCHEMA_INVALID' AS code, 'missing field' AS message, uuid()::VARCHAR AS event_id, "
        f"'search.click' AS event, '{{}}' AS raw FROM range({QUARANTINED})"
    )


@pytest.fixture(scope="session")
def fixture_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("quality-lake")
    write_bronze(root)
    return root


@pytest.fixture(scope="session")
def manifest_path(tmp_path_factory: pytest.TempPathFactory, fixture_lake: Path) -> Path:
    """The real dbt project's manifest (``dbt parse``); its Bronze is relative to a lake."""
    target = tmp_path_factory.mktemp("quality-dbt")
    outcome = run_dbt(
        ["parse"],
        target_dir=target,
        variables={"lake_path": str(fixture_lake), "warehouse_path": str(target / "w.duckdb")},
    )
    assert outcome.success, outcome.error
    return target / "manifest.json"


@pytest.fixture(scope="session")
def catalog(manifest_path: Path, fixture_lake: Path) -> QualityCatalog:
    return QualityCatalog.from_project(load_manifest(manifest_path), lake=str(fixture_lake))


@pytest.fixture
def make_warehouse(
    tmp_path: Path, catalog: QualityCatalog
) -> Iterator[Callable[..., duckdb.DuckDBPyConnection]]:
    """Build a warehouse with custom key-fact daily row counts in a fresh DuckDB file."""
    opened: list[duckdb.DuckDBPyConnection] = []

    def make(daily_rows: tuple[int, ...] = DAILY_ROWS) -> duckdb.DuckDBPyConnection:
        conn = duckdb.connect(str(tmp_path / f"staging-{len(opened)}.duckdb"))
        opened.append(conn)
        build_warehouse(conn, catalog, daily_rows)
        return conn

    yield make
    for conn in opened:
        conn.close()


@pytest.fixture(scope="session")
def warehouse_template(tmp_path_factory: pytest.TempPathFactory, catalog: QualityCatalog) -> Path:
    """The good warehouse, built once per session and copied by each test."""
    path = tmp_path_factory.mktemp("quality-template") / "staging.duckdb"
    with duckdb.connect(str(path)) as conn:
        build_warehouse(conn, catalog)
    return path


@pytest.fixture
def warehouse(
    tmp_path: Path, warehouse_template: Path, catalog: QualityCatalog
) -> Iterator[Warehouse]:
    """A staging warehouse file with good data, open read-write like a build."""
    path = tmp_path / "staging.duckdb"
    shutil.copyfile(warehouse_template, path)
    conn = duckdb.connect(str(path))
    try:
        yield Warehouse(conn, path, catalog)
    finally:
        conn.close()


@pytest.fixture
def as_of() -> datetime:
    """Two hours after the latest event: fresh."""
    return LATEST_EVENT + timedelta(hours=2)


@dataclass(frozen=True)
class WarehouseFacts:
    """What the fixture warehouse holds, for tests to compute expectations from."""

    daily_rows: tuple[int, ...]
    first_day: date
    latest_day: date
    latest_event: datetime
    key_facts: tuple[str, ...]


@pytest.fixture
def facts(catalog: QualityCatalog) -> WarehouseFacts:
    return WarehouseFacts(DAILY_ROWS, FIRST_DAY, LATEST_DAY, LATEST_EVENT, key_facts(catalog))
