"""NRT ops views refresh alone from Bronze, switch their own pointer and record freshness."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from bronze_fixture import envelope, write_bronze

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.lake.layout import LakeLayout
from rastup_data.transform import (
    BuildFailed,
    BuildOptions,
    build,
    open_published,
    read_nrt_freshness,
    refresh_nrt,
)
from rastup_data.transform.warehouse import warehouse_dirs


def _payout(pid: str, when: str, amount: int, event: str = "payout.created") -> dict[str, object]:
    payload = {"payout_id": pid, "amount_cents": amount, "currency": "USD"}
    if event == "payout.created":
        payload |= {"provider_id": "p_1", "booking_id": "bk_1", "leg_id": "lg_1"}
    return envelope(event, when, payload, anon_id=None)


def test_refresh_sees_new_bronze_without_a_build(
    layout: LakeLayout, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_bronze(layout, [_payout("po_1", "2026-01-01 00:00", 100)], name="a")
    # At normal priority (the tests keep every core busy), the read ahead finishes long
    # before the models do; its rows are what the refresh after them folds in.
    monkeypatch.setattr("rastup_data.transform._nrt_ahead._idle_priority", lambda: False)
    first = build(layout, BuildOptions(quality_gates=False))
    assert first.nrt is not None
    assert (first.nrt.files_read, first.nrt.files_prefetched) == (1, 1)
    write_bronze(
        layout,
        [
            _payout("po_2", "2026-01-03 12:00", 200),
            _payout("po_3", "2026-01-05 00:00", 400),
            _payout("po_3", "2026-01-05 06:00", 400, event="payout.paid"),
            envelope(
                "dispute.opened",
                "2026-01-05 10:00",
                {
                    "dispute_id": "dp_1",
                    "booking_id": "bk_1",
                    "charge_id": "ch_1",
                    "amount_cents": 50,
                    "currency": "USD",
                    "reason": "late",
                },
            ),
        ],
        name="b",
    )
    result = refresh_nrt(layout)
    assert (result.files_read, result.files_prefetched) == (2, 0)

    as_of = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    assert result.freshness.newest_occurred_at == as_of
    assert read_nrt_freshness(layout) == result.freshness
    assert warehouse_dirs(layout).nrt.current() == result.path
    with open_published(layout) as conn:
        backlog = conn.execute(
            "SELECT age_bucket, payouts, amount_cents FROM nrt.ops_payout_backlog ORDER BY 1"
        ).fetchall()
        gold = conn.execute("SELECT sum(payouts) FROM gold.ops_payout_backlog").fetchone()
        queue = conn.execute("SELECT dispute_id, age_hours FROM nrt.ops_dispute_queue").fetchall()
    # po_1 is 106 h old at as_of, po_2 46 h; po_3 was paid. Gold still has the old build.
    assert backlog == [("1-3d", 1, 200), ("3-7d", 1, 100)]
    assert gold == (1,)
    assert queue == [("dp_1", 0.0)]


def test_a_build_refreshes_the_nrt_views_even_when_its_checks_fail(layout: LakeLayout) -> None:
    """The NRT views read Bronze, not the build: they refresh alongside the gates, and a
    build the gates refuse still leaves them showing the newest Bronze."""
    write_bronze(layout, [_payout("po_1", "2026-01-01 00:00", 100)], name="a")
    first = build(layout, BuildOptions(quality_gates=False))
    assert first.nrt is not None
    click = {"search_id": "s_1", "listing_id": "l_1", "listing_type": "spaceship"}
    click |= {"rank": 1, "is_promoted": False, "promotion_id": None}
    write_bronze(
        layout,
        [
            _payout("po_2", "2026-01-02 00:00", 200),
            envelope("search.click", "2026-01-02 00:00", click),
        ],
        name="b",
    )
    with pytest.raises(BuildFailed) as failed:
        build(layout, BuildOptions(quality_gates=False))
    assert failed.value.code is ErrorCode.QUALITY_CHECK_FAILED  # the listing_type test
    dirs = warehouse_dirs(layout)
    assert dirs.builds.current() == first.path
    assert dirs.nrt.current() != first.nrt.path
    with open_published(layout) as conn:
        nrt = conn.execute("SELECT sum(payouts) FROM nrt.ops_payout_backlog").fetchone()
        gold = conn.execute("SELECT sum(payouts) FROM gold.ops_payout_backlog").fetchone()
    assert (nrt, gold) == ((2,), (1,))


def test_refresh_keeps_a_few_snapshots(layout: LakeLayout) -> None:
    write_bronze(layout, [_payout("po_1", "2026-01-01 00:00", 100)], name="a")
    paths = [refresh_nrt(layout).path for _ in range(4)]
    files = sorted(p.name for p in (layout.root / "warehouse" / "nrt").glob("*.duckdb"))
    assert files == sorted(Path(p).name for p in paths[-3:])


def test_a_failing_nrt_data_test_keeps_the_previous_snapshot(layout: LakeLayout) -> None:
    write_bronze(layout, [_payout("po_1", "2026-01-01 00:00", 100)], name="a")
    first = refresh_nrt(layout)
    # A payout whose occurred_at is missing: nrt_ops_events' not-null test fails.
    folder = layout.events_partition("2026-01-02")
    folder.mkdir(parents=True)
    with duckdb.connect() as conn:
        conn.execute(
            "COPY (SELECT '00000000-0000-4000-8000-00000000000e' AS event_id, "
            "'payout.created' AS event, 1 AS v, "
            "CAST(NULL AS TIMESTAMPTZ) AS occurred_at, TIMESTAMPTZ '2026-01-02 00:00:00+00' "
            'AS received_at, \'{"payout_id": "po_9", "amount_cents": 5}\' AS payload) '
            f"TO '{folder / 'no-time.parquet'}' (FORMAT parquet)"
        )
    with pytest.raises(RastupError) as failed:
        refresh_nrt(layout)
    assert failed.value.code is ErrorCode.QUALITY_CHECK_FAILED
    assert "not_null_columns_nrt_ops_events" in failed.value.message
    assert warehouse_dirs(layout).nrt.current() == first.path
    assert read_nrt_freshness(layout) == first.freshness
