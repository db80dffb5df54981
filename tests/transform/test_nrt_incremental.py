"""An NRT refresh reads only the Bronze files it has not folded in, with the result of a refresh
from scratch: late events, resends, payouts paid before or long after they were created,
compaction, lost files and erasure included."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from bronze_fixture import envelope, write_bronze

from rastup_data.lake.compaction import compact_partition
from rastup_data.lake.layout import BRONZE_EVENTS, LakeLayout, partition_key
from rastup_data.transform import NrtMode, NrtResult, refresh_nrt
from rastup_data.transform.nrt import NRT_VIEWS, prefetch_nrt
from rastup_data.transform.warehouse import warehouse_dirs

ERASED = "u_gone"


def _money(event: str, when: str, payload: dict[str, Any], **kw: Any) -> dict[str, Any]:
    kw.setdefault("anon_id", None)
    return envelope(event, when, {"currency": "USD", **payload}, **kw)


def _created(pid: str, when: str, amount: int, **kw: Any) -> dict[str, Any]:
    payload = {"payout_id": pid, "amount_cents": amount, "provider_id": "p_1"}
    return _money("payout.created", when, payload | {"booking_id": "bk_1", "leg_id": "lg_1"}, **kw)


def _paid(pid: str, when: str, amount: int, **kw: Any) -> dict[str, Any]:
    return _money("payout.paid", when, {"payout_id": pid, "amount_cents": amount}, **kw)


def _charge(cid: str, when: str, amount: int, **kw: Any) -> dict[str, Any]:
    payload = {"charge_id": cid, "booking_id": "bk_1", "amount_cents": amount}
    return _money("payment.charge.succeeded", when, payload, **kw)


def _views(layout: LakeLayout) -> dict[str, list[tuple[Any, ...]]]:
    """Every NRT view's rows (without the refresh time), in a stable order."""
    snapshot = warehouse_dirs(layout).nrt.current()
    assert snapshot is not None
    out = {}
    with duckdb.connect(snapshot, read_only=True) as conn:
        for view in NRT_VIEWS:
            columns = "* EXCLUDE (refreshed_at)" if view == "lake_watermark" else "*"
            rows = conn.execute(f"SELECT {columns} FROM main.{view}").fetchall()
            out[view] = sorted(rows, key=repr)
    return out


def _from_scratch(
    layout: LakeLayout, tmp: Path, tombstones: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The views of one refresh of a new lake holding the same Bronze files."""
    fresh = LakeLayout(tmp / f"scratch-{len(list(tmp.iterdir()))}")
    for path in sorted(layout.bronze_events.rglob("*.parquet")):
        target = fresh.root / path.relative_to(layout.root)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(path, target)
    result = refresh_nrt(fresh, tombstones=tombstones)
    assert result.mode is NrtMode.FULL
    return _views(fresh)


def _refresh(layout: LakeLayout, tombstones: tuple[str, ...] = ()) -> NrtResult:
    return refresh_nrt(layout, tombstones=tombstones)


@pytest.mark.slow
def test_incremental_refreshes_equal_a_refresh_from_scratch(
    layout: LakeLayout, tmp_path: Path
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    charge = _charge("ch_1", "2026-01-01 10:00", 10_000, received_at="2026-01-01 10:00:01")
    write_bronze(layout, [charge, _created("po_1", "2026-01-01 12:00", 9_000)], name="a")
    first = _refresh(layout)
    assert (first.mode, first.files_read) == (NrtMode.FULL, 1)
    assert _views(layout) == _from_scratch(layout, scratch)

    # Paid two days later; a late charge for an earlier day; the first charge resent later.
    resend = dict(charge, received_at=datetime.fromisoformat("2026-01-03 09:00+00:00"))
    late = _charge("ch_0", "2025-12-30 08:00", 500, received_at="2026-01-03 08:00")
    write_bronze(layout, [_paid("po_1", "2026-01-03 08:30", 9_000), late, resend], name="b")
    second = _refresh(layout)
    assert (second.mode, second.files_read) == (NrtMode.INCREMENTAL, 1)
    assert _views(layout) == _from_scratch(layout, scratch)

    nothing = _refresh(layout)
    assert (nothing.mode, nothing.files_read) == (NrtMode.INCREMENTAL, 0)

    # A copy received earlier than the one already folded in, landed late with another
    # amount: the earliest received copy counts, as it would from scratch.
    early = dict(resend, received_at=datetime.fromisoformat("2025-12-31 23:00+00:00"))
    early["payload"] = dict(charge["payload"], amount_cents=12_345)
    # Paid before its creation event arrives (still not in the backlog once created).
    write_bronze(layout, [early, _paid("po_3", "2026-01-04 01:00", 700)], name="c")
    write_bronze(layout, [_created("po_3", "2026-01-03 23:00", 700)], name="d")
    third = _refresh(layout)
    assert (third.mode, third.files_read) == (NrtMode.INCREMENTAL, 3)
    views = _views(layout)
    assert views == _from_scratch(layout, scratch)
    backlog = {row[0]: row[1:3] for row in views["ops_payout_backlog"]}
    assert backlog == {}, "po_1 and po_3 are paid"
    overall = [row for row in views["ops_recon"] if row[0] == "overall"]
    assert overall[0][2] == 12_345 + 500, "the earliest received copy of ch_1 counts"


@pytest.mark.slow
def test_a_refresh_takes_prefetched_rows_only_of_files_unchanged_since(
    layout: LakeLayout, tmp_path: Path
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    write_bronze(layout, [_created("po_1", "2026-01-01 12:00", 100)], name="a")
    write_bronze(layout, [_charge("ch_1", "2026-01-01 10:00", 900)], name="b")
    prefetched = prefetch_nrt(layout, tombstones=())
    assert prefetched is not None
    assert sorted(prefetched.files) == sorted(
        str(f.relative_to(layout.root)) for f in layout.bronze_events.rglob("*.parquet")
    )
    assert prefetched.rows.num_rows == 2
    # After the prefetch: "b" is rewritten (another charge, a different amount) and "c"
    # lands. The refresh reads both from Bronze and takes only "a" from the prefetch.
    write_bronze(
        layout,
        [_charge("ch_1", "2026-01-01 10:00", 700), _charge("ch_2", "2026-01-01 11:00", 50)],
        name="b",
    )
    write_bronze(layout, [_created("po_2", "2026-01-02 09:00", 400)], name="c")
    result = refresh_nrt(layout, tombstones=(), prefetched=prefetched)
    assert (result.mode, result.files_read, result.files_prefetched) == (NrtMode.FULL, 3, 1)
    views = _views(layout)
    assert views == _from_scratch(layout, scratch)
    snapshot = warehouse_dirs(layout).nrt.current()
    assert snapshot is not None
    with duckdb.connect(snapshot, read_only=True) as conn:
        sql = "SELECT sum(charges_cents) FROM main.ops_recon WHERE scope = 'day'"
        charges = conn.execute(sql).fetchone()
    assert charges == (750,)
    # Nothing new to fold in: nothing to read ahead.
    assert prefetch_nrt(layout, tombstones=()) is None


def test_no_prefetch_above_its_size_bound(
    layout: LakeLayout, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_bronze(layout, [_created("po_1", "2026-01-01 12:00", 100)], name="a")
    monkeypatch.setattr("rastup_data.transform.nrt.PREFETCH_MAX_BYTES", 1)
    assert prefetch_nrt(layout, tombstones=()) is None


@pytest.mark.slow
def test_compaction_is_folded_in_and_lost_files_rebuild(layout: LakeLayout, tmp_path: Path) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    write_bronze(layout, [_created("po_1", "2026-01-01 12:00", 100)], name="a")
    write_bronze(layout, [_created("po_2", "2026-01-01 13:00", 200)], name="b")
    assert _refresh(layout).mode is NrtMode.FULL
    compacted = compact_partition(layout, partition_key(BRONZE_EVENTS, "2026-01-01"))
    assert compacted is not None
    after = _refresh(layout)
    # The merged file is new; the files it replaced were merged away, not lost.
    assert (after.mode, after.files_read) == (NrtMode.INCREMENTAL, 1)
    assert _views(layout) == _from_scratch(layout, scratch)

    write_bronze(layout, [_created("po_3", "2026-01-02 09:00", 400)], name="c")
    assert _refresh(layout).mode is NrtMode.INCREMENTAL
    for lost_file in layout.events_partition("2026-01-01").glob("*.parquet"):
        lost_file.unlink()
    lost = _refresh(layout)
    assert lost.mode is NrtMode.FULL
    assert "disappeared" in lost.reason
    views = _views(layout)
    assert views == _from_scratch(layout, scratch)
    # po_1 and po_2 are gone with their partition; po_3 is still open.
    assert [row[1] for row in views["ops_payout_backlog"]] == [1]


@pytest.mark.slow
def test_erasure_rebuilds_the_state(layout: LakeLayout, tmp_path: Path) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    mine = _charge("ch_1", "2026-01-01 10:00", 1_000, user_id=ERASED)
    by_device = _charge("ch_2", "2026-01-01 11:00", 2_000, anon_id="a_dev")
    write_bronze(layout, [mine, by_device, _charge("ch_3", "2026-01-01 12:00", 4_000)], name="a")
    assert _refresh(layout).mode is NrtMode.FULL
    tombstoned = _refresh(layout, (ERASED,))
    assert (tombstoned.mode, tombstoned.reason) == (NrtMode.FULL, "the erased users changed")
    assert _views(layout) == _from_scratch(layout, scratch, (ERASED,))

    # The erased user's device is linked later: its earlier charge must go too.
    link = envelope(
        "identity.linked",
        "2026-01-02 09:00",
        {"anon_id": "a_dev", "user_id": ERASED},
        anon_id="a_dev",
    )
    write_bronze(layout, [link], name="b")
    linked = _refresh(layout, (ERASED,))
    assert linked.mode is NrtMode.FULL
    views = _views(layout)
    assert views == _from_scratch(layout, scratch, (ERASED,))
    overall = [row for row in views["ops_recon"] if row[0] == "overall"]
    assert overall[0][2] == 4_000
