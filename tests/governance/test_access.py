"""What each role sees: grants, masked identifiers, denied money detail, city scope."""

from __future__ import annotations

import pytest
from gate_fixture import ADMIN, ANALYST, FINANCE, NYC_ANALYST, TRUST, VIEWER

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.governance import Gate, Principal, QueryPath, mask_value
from rastup_data.governance.masking import masking_key

CLI = QueryPath.CLI


def _rows(gate: Gate, who: Principal, sql: str) -> list[tuple[object, ...]]:
    return list(gate.run(who, sql, path=CLI).rows)


def _refused(gate: Gate, who: Principal, sql: str) -> ErrorCode:
    with pytest.raises(RastupError) as error:
        gate.run(who, sql, path=CLI)
    return error.value.code


def test_admin_reads_raw_identifiers_analyst_their_keyed_hash(gate: Gate) -> None:
    sql = "SELECT user_id FROM silver.fact_bookings ORDER BY event_id"
    raw = [r[0] for r in _rows(gate, ADMIN, sql)]
    masked = [r[0] for r in _rows(gate, ANALYST, sql)]
    key = masking_key(gate.state)
    assert all(isinstance(u, str) and u.startswith("u_") for u in raw)
    assert masked == [mask_value(key, u) for u in raw]


def test_masks_keep_joins_and_distinct_counts(gate: Gate) -> None:
    sql = (
        "SELECT count(DISTINCT b.user_id), count(*) FROM silver.fact_bookings AS b "
        "JOIN silver.fact_booking_legs AS l "
        "ON l.user_id = b.user_id AND l.booking_id = b.booking_id"
    )
    assert _rows(gate, ANALYST, sql) == _rows(gate, ADMIN, sql) == [(8, 24)]


def test_money_detail_is_denied_in_silver_but_visible_in_gold_for_analysts(gate: Gate) -> None:
    assert _refused(gate, ANALYST, "SELECT amount_cents FROM silver.fact_booking_legs") is (
        ErrorCode.ACCESS_DENIED
    )
    columns = gate.run(ANALYST, "SELECT * FROM silver.fact_booking_legs", path=CLI).columns
    assert "amount_cents" not in columns
    assert "leg_id" in columns
    assert _rows(gate, ANALYST, "SELECT sum(gmv_cents) FROM gold.kpi_marketplace_daily") == [
        (108_000,)
    ]
    assert _rows(gate, FINANCE, "SELECT sum(amount_cents) FROM silver.fact_booking_legs") == [
        (108_000,)
    ]


def test_the_viewer_reads_gold_only(gate: Gate) -> None:
    assert _rows(gate, VIEWER, "SELECT count(*) FROM gold.kpi_marketplace_daily") == [(6,)]
    for sql in (
        "SELECT * FROM silver.fact_bookings",
        "SELECT * FROM nrt.ops_recon",
        "SELECT * FROM bronze.events WHERE dt = DATE '2026-01-05'",
    ):
        assert _refused(gate, VIEWER, sql) is ErrorCode.ACCESS_DENIED


def test_trust_sees_identifiers_of_its_relations_only(gate: Gate) -> None:
    users = _rows(gate, TRUST, "SELECT user_id FROM silver.dim_user ORDER BY 1 LIMIT 1")
    assert str(users[0][0]).startswith("u_")
    assert _refused(gate, TRUST, "SELECT * FROM silver.fact_bookings") is ErrorCode.ACCESS_DENIED


def test_a_city_scoped_analyst_reads_only_their_city(gate: Gate) -> None:
    assert _rows(gate, NYC_ANALYST, "SELECT DISTINCT city FROM silver.fact_bookings") == [("nyc",)]
    assert _rows(
        gate, NYC_ANALYST, "SELECT city, sum(bookings) FROM gold.kpi_marketplace_daily GROUP BY 1"
    ) == [("nyc", 12)]
    assert _rows(gate, NYC_ANALYST, "SELECT count(*) FROM silver.dim_city") == _rows(
        gate, ADMIN, "SELECT count(*) FROM silver.dim_city"
    )


@pytest.mark.parametrize(
    "relation",
    ["gold.kpi_funnel_daily", "gold.ops_recon_daily", "nrt.ops_recon", "silver.dim_exposure"],
)
def test_cross_city_aggregates_are_denied_to_scoped_principals(gate: Gate, relation: str) -> None:
    with pytest.raises(RastupError) as error:
        gate.run(NYC_ANALYST, f"SELECT * FROM {relation}", path=CLI)
    assert error.value.code is ErrorCode.ACCESS_DENIED
    assert "across cities" in error.value.message


def test_tables_lists_only_what_the_role_reads(gate: Gate) -> None:
    viewer = {t.name for t in gate.tables(VIEWER)}
    assert viewer
    assert all(name.startswith("gold.") for name in viewer)
    scoped = {t.name for t in gate.tables(NYC_ANALYST)}
    assert "silver.fact_bookings" in scoped
    assert "gold.kpi_funnel_daily" not in scoped
    admin = {t.name for t in gate.tables(ADMIN)}
    assert {"bronze.events", "nrt.ops_recon", "silver.fact_payments"} <= admin


def test_the_catalogue_is_filtered_to_the_role(gate: Gate) -> None:
    tables = _rows(gate, VIEWER, "SELECT DISTINCT table_schema FROM information_schema.tables")
    assert tables == [("gold",)]
    columns = _rows(
        gate,
        ANALYST,
        "SELECT column_name, access FROM information_schema.columns "
        "WHERE table_schema = 'silver' AND table_name = 'fact_booking_legs' ORDER BY 1",
    )
    names = {c for c, _ in columns}
    assert "amount_cents" not in names
    assert ("user_id", "masked") in columns


def test_an_unknown_role_is_refused(gate: Gate) -> None:
    assert _refused(gate, Principal("x", "wizard"), "SELECT 1") is ErrorCode.ACCESS_DENIED


def test_rows_past_the_role_limit_are_cut_and_flagged(gate: Gate) -> None:
    result = gate.run(VIEWER, "SELECT * FROM range(20000)", path=CLI)
    assert result.result.truncated
    assert len(result.rows) == gate.policy.roles["viewer"].limits.max_rows
