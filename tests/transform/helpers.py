"""Reading marts back for comparisons."""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import duckdb

from rastup_data.lake.layout import LakeLayout
from rastup_data.transform import open_published

MART_KEYS: dict[str, tuple[str, ...]] = {
    "kpi_marketplace_daily": ("dt", "city"),
    "kpi_funnel_daily": ("dt", "stage"),
    "ops_recon_daily": ("dt",),
    "ops_payout_backlog": ("age_bucket",),
    "kpi_trust_daily": ("dt",),
    "kpi_promotions_daily": ("dt", "campaign_id"),
    "kpi_comms_daily": ("dt", "channel"),
    "kpi_studios_daily": ("dt",),
    "ops_acceptance_daily": ("dt", "city"),
    "kpi_disputes_daily": ("dt",),
}


def plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def table_rows(
    conn: duckdb.DuckDBPyConnection, table: str, exclude: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    cursor = conn.execute(f"SELECT * FROM {table}")
    columns = [str(c[0]) for c in cursor.description or []]
    return [
        {c: plain(v) for c, v in zip(columns, row, strict=True) if c not in exclude}
        for row in cursor.fetchall()
    ]


def published_rows(
    layout: LakeLayout, table: str, exclude: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    with open_published(layout) as conn:
        return table_rows(conn, table, exclude)


def by_key(
    rows: list[dict[str, Any]], keys: tuple[str, ...]
) -> dict[tuple[Any, ...], dict[str, Any]]:
    return {tuple(r[k] for k in keys): r for r in rows}


def same_value(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)
    return bool(a == b)


def assert_rows_equal(
    actual: list[dict[str, Any]], expected: list[dict[str, Any]], keys: tuple[str, ...]
) -> None:
    got, want = by_key(actual, keys), by_key(expected, keys)
    assert sorted(got, key=repr) == sorted(want, key=repr), "row keys differ"
    for key, row in want.items():
        assert set(got[key]) == set(row), f"columns differ for {key}"
        for column, value in row.items():
            assert same_value(got[key][column], value), (key, column, got[key][column], value)
