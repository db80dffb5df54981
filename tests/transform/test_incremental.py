"""Incremental builds equal a full rebuild; late events land on their own day; no duplicates."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from bronze_fixture import envelope, write_bronze
from helpers import MART_KEYS, by_key, published_rows, table_rows
from market_fixture import START, market_events

from rastup_data.lake.layout import LakeLayout
from rastup_data.transform import BuildOptions, BuildResult, build, open_published

Lakes = tuple[LakeLayout, LakeLayout, BuildResult]


@pytest.fixture(scope="module")
def lakes(tmp_path_factory: pytest.TempPathFactory) -> Lakes:
    """The same events built incrementally in two steps, and in one full build."""
    events = market_events(seed=11)
    cutoff = START + timedelta(days=2)
    incremental = LakeLayout(Path(tmp_path_factory.mktemp("incremental")) / "lake")
    write_bronze(incremental, [e for e in events if e["received_at"] < cutoff], name="p1")
    build(incremental, BuildOptions(quality_gates=False, with_nrt=False))
    write_bronze(incremental, [e for e in events if e["received_at"] >= cutoff], name="p2")
    second = build(incremental, BuildOptions(quality_gates=False, with_nrt=False))
    full = LakeLayout(Path(tmp_path_factory.mktemp("full")) / "lake")
    write_bronze(full, events, name="all")
    build(full, BuildOptions(quality_gates=False, with_nrt=False))
    return incremental, full, second


def _tables(layout: LakeLayout) -> list[str]:
    with open_published(layout) as conn:
        rows = conn.execute(
            "SELECT schema_name || '.' || table_name FROM duckdb_tables() "
            "WHERE schema_name IN ('silver', 'gold') ORDER BY 1"
        ).fetchall()
    return [str(r[0]) for r in rows]


def test_incremental_build_equals_full_rebuild(lakes: Lakes) -> None:
    incremental, full, second = lakes
    assert not second.full_refresh
    tables = _tables(full)
    assert _tables(incremental) == tables
    assert len(tables) >= 25
    with open_published(incremental) as inc, open_published(full) as ref:
        for table in tables:
            got = table_rows(inc, table, exclude=("_loaded_at",))
            want = table_rows(ref, table, exclude=("_loaded_at",))
            assert sorted(got, key=repr) == sorted(want, key=repr), table


def test_incremental_build_reads_only_the_lookback_window(lakes: Lakes) -> None:
    incremental, _, second = lakes
    with open_published(incremental) as conn:
        row = conn.execute("SELECT max(bronze_dt) FROM silver.events_deduped").fetchone()
    # The first step loaded partitions up to START + 1 day; the window starts 3 days before.
    assert second.bronze_from == (START + timedelta(days=1)).date() - timedelta(days=3)
    assert row is not None
    assert row[0] > second.bronze_from


def test_no_event_id_twice_after_incremental_runs(lakes: Lakes) -> None:
    incremental, _, _ = lakes
    with open_published(incremental) as conn:
        for table in ("silver.events_deduped", "silver.fact_payments", "silver.fact_trust"):
            dupes = conn.execute(
                f"SELECT count(*) - count(DISTINCT event_id) FROM {table}"
            ).fetchone()
            assert dupes == (0,), table


def _leg(when: str, received: str, amount: int, leg: str) -> dict[str, Any]:
    return envelope(
        "booking.leg.confirmed",
        when,
        {
            "booking_id": "bk_1",
            "leg_id": leg,
            "provider_id": "p_1",
            "provider_type": "talent",
            "amount_cents": amount,
            "currency": "USD",
            "service_date": "2026-02-01",
        },
        user_id="u_1",
        city="nyc",
        received_at=received,
    )


def test_late_event_changes_only_its_own_day(layout: LakeLayout) -> None:
    on_time = [
        _leg("2026-01-05 09:00", "2026-01-05 09:00:01", 1_000, "lg_1"),
        _leg("2026-01-06 09:00", "2026-01-06 09:00:01", 2_000, "lg_2"),
        _leg("2026-01-12 09:00", "2026-01-12 09:00:01", 4_000, "lg_3"),
    ]
    write_bronze(layout, on_time, name="on-time")
    build(layout, BuildOptions(quality_gates=False, with_nrt=False))
    before = by_key(published_rows(layout, "gold.kpi_marketplace_daily"), ("dt", "city"))
    # Received a week late (a partition far beyond the lookback of day 0), plus a resend.
    late = _leg("2026-01-05 23:59:59", "2026-01-13 08:00", 300, "lg_late")
    resend = dict(on_time[1], received_at=on_time[1]["received_at"] + timedelta(days=7))
    write_bronze(layout, [late, resend], name="late")
    build(layout, BuildOptions(quality_gates=False, with_nrt=False))
    after = by_key(published_rows(layout, "gold.kpi_marketplace_daily"), ("dt", "city"))
    assert after[("2026-01-05", "nyc")]["gmv_cents"] == 1_300
    assert after[("2026-01-06", "nyc")] == before[("2026-01-06", "nyc")]
    assert after[("2026-01-12", "nyc")] == before[("2026-01-12", "nyc")]
    assert set(after) == set(before)
    legs = published_rows(layout, "silver.fact_booking_legs")
    assert sorted(r["leg_id"] for r in legs) == ["lg_1", "lg_2", "lg_3", "lg_late"]


def test_backfill_window_rereads_and_keeps_marts(lakes: Lakes) -> None:
    incremental, full, _ = lakes
    result = build(
        incremental,
        BuildOptions(
            start=START.date(),
            end=(START + timedelta(days=2)).date(),
            quality_gates=False,
            with_nrt=False,
        ),
    )
    assert (result.bronze_from, result.bronze_to) == (
        START.date(),
        (START + timedelta(days=2)).date(),
    )
    for mart, keys in MART_KEYS.items():
        got = by_key(published_rows(incremental, f"gold.{mart}"), keys)
        assert got == by_key(published_rows(full, f"gold.{mart}"), keys), mart
