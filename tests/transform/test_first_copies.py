"""silver.events_deduped keeps the first copy of every event_id (bronze_first_copies).

The first copy is the one received first; among copies received at the same moment, the one
that occurred first; then the one first in Bronze: by file, then by row within the file.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from bronze_fixture import envelope, write_bronze
from helpers import published_rows

from rastup_data.lake.layout import LakeLayout
from rastup_data.transform import BuildOptions, build

A, B, C, D, E, F = (f"00000000-0000-4000-8000-00000000000{i}" for i in range(1, 7))


def _copy(
    event_id: str, occurred: str, received: str, tag: str, *, user: str = "u_1"
) -> dict[str, Any]:
    return envelope(
        "message.read",
        occurred,
        {"copy": tag},
        user_id=user,
        event_id=event_id,
        received_at=received,
    )


def test_the_first_copy_received_then_occurred_then_first_in_bronze_is_kept(
    layout: LakeLayout,
) -> None:
    same = ("2026-01-05 09:00:00", "2026-01-05 09:00:05")
    write_bronze(
        layout,
        [
            # C: received and occurred at the same moment; the first row of the file wins,
            # although the other copy's payload sorts first.
            _copy(C, *same, "c-row-0"),
            _copy(C, *same, "a-row-1"),
            # D's first copy in file order (the other is in file "b").
            _copy(D, *same, "z-file-a"),
            # A: this copy is in the earlier file but was received later.
            _copy(A, "2026-01-05 09:00:00", "2026-01-05 10:00:05", "late"),
            # B: received together; the copy that occurred first wins.
            _copy(B, "2026-01-05 09:00:02", "2026-01-05 09:00:05", "second"),
            _copy(B, "2026-01-05 09:00:01", "2026-01-05 09:00:05", "first"),
            _copy(F, *same, "only"),
        ],
        name="a",
    )
    write_bronze(
        layout,
        [
            _copy(D, *same, "a-file-b"),
            _copy(A, "2026-01-05 09:00:00", "2026-01-05 10:00:01", "early"),
            # E: three copies over two received days; the earliest received wins.
            _copy(E, "2026-01-05 23:00:00", "2026-01-06 00:10:00", "day-2"),
            _copy(E, "2026-01-05 23:00:00", "2026-01-05 23:59:00", "day-1"),
            _copy(E, "2026-01-05 23:00:00", "2026-01-06 00:00:01", "day-2-early"),
        ],
        name="b",
    )
    build(layout, BuildOptions(quality_gates=False, with_nrt=False))

    rows = published_rows(layout, "silver.events_deduped")
    kept = {str(r["event_id"]): r for r in rows}
    assert len(rows) == len(kept) == 6
    assert {k: v["payload"] for k, v in kept.items()} == {
        A: '{"copy": "early"}',
        B: '{"copy": "first"}',
        C: '{"copy": "c-row-0"}',
        D: '{"copy": "z-file-a"}',
        E: '{"copy": "day-1"}',
        F: '{"copy": "only"}',
    }
    # The kept copy's own envelope comes with it: the partition it was received in.
    assert str(kept[E]["bronze_dt"]) == "2026-01-05"
    assert str(kept[A]["received_at"]).startswith("2026-01-05T10:00:01")


def test_a_copy_landed_after_a_build_is_not_added_again(layout: LakeLayout) -> None:
    write_bronze(
        layout, [_copy(A, "2026-01-05 09:00:00", "2026-01-05 09:00:01", "first")], name="a"
    )
    build(layout, BuildOptions(quality_gates=False, with_nrt=False))
    # A resend of the same event, landed later, and a new event in the same file.
    write_bronze(
        layout,
        [
            _copy(A, "2026-01-05 09:00:00", "2026-01-05 09:30:00", "resend"),
            _copy(B, "2026-01-05 09:10:00", "2026-01-05 09:30:00", "new"),
        ],
        name="b",
    )
    result = build(layout, BuildOptions(quality_gates=False, with_nrt=False))
    assert not result.full_refresh
    kept = {
        str(r["event_id"]): r["payload"] for r in published_rows(layout, "silver.events_deduped")
    }
    assert kept == {A: '{"copy": "first"}', B: '{"copy": "new"}'}


def test_an_event_s_day_is_its_utc_day_at_the_edges(layout: LakeLayout) -> None:
    moments = {
        A: datetime(2026, 1, 5, 23, 59, 59, 999_999, tzinfo=UTC),
        B: datetime(2026, 1, 6, 0, 0, tzinfo=UTC),
        # 19:30 in New York is 00:30 UTC on the next day.
        C: datetime(2026, 1, 5, 19, 30, tzinfo=timezone(timedelta(hours=-5))),
        # Before the epoch, the day is floored, not truncated towards it.
        D: datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        E: datetime(1970, 1, 1, tzinfo=UTC),
    }
    write_bronze(
        layout,
        [
            envelope("message.read", at, {}, user_id="u_1", event_id=eid, received_at=at)
            for eid, at in moments.items()
        ],
        name="a",
    )
    build(layout, BuildOptions(quality_gates=False, with_nrt=False))
    days = {
        str(r["event_id"]): str(r["dt"]) for r in published_rows(layout, "silver.events_deduped")
    }
    assert days == {eid: at.astimezone(UTC).date().isoformat() for eid, at in moments.items()}
