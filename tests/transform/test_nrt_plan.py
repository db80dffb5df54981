"""Which Bronze files an NRT refresh reads, and when it rebuilds its state from scratch."""

from __future__ import annotations

from datetime import UTC, datetime

from rastup_data.lake.layout import LakeLayout
from rastup_data.lake.manifest import Landing, Manifest
from rastup_data.transform._nrt_plan import (
    STATE_VERSION,
    BronzeFile,
    FoldedState,
    NrtMode,
    digest,
    plan_refresh,
)

DAY = "bronze/events/dt=2026-01-01"
A = BronzeFile(f"{DAY}/a.parquet", 100, 1.0)
B = BronzeFile(f"{DAY}/b.parquet", 200, 2.0)
C = BronzeFile(f"{DAY}/c.parquet", 300, 3.0)
NOBODY = digest(())


def _state(*files: BronzeFile, **changes: object) -> FoldedState:
    fields: dict[str, object] = {
        "version": STATE_VERSION,
        "complete": True,
        "tombstones_digest": NOBODY,
        "erased_digest": "",
        "refreshed_at": datetime(2026, 1, 1, 12, tzinfo=UTC),
        "files": {f.path: f.signature for f in files},
    }
    fields.update(changes)
    return FoldedState(**fields)  # type: ignore[arg-type]


def test_only_files_not_folded_in_are_read(layout: LakeLayout) -> None:
    plan = plan_refresh(layout, _state(A, B), tombstones_digest=NOBODY, current=(A, B, C))
    assert (plan.mode, plan.files, plan.forget) == (NrtMode.INCREMENTAL, (C,), ())
    idle = plan_refresh(layout, _state(A, B, C), tombstones_digest=NOBODY, current=(A, B, C))
    assert (idle.mode, idle.files) == (NrtMode.INCREMENTAL, ())


def test_state_that_cannot_be_trusted_is_rebuilt(layout: LakeLayout) -> None:
    cases = {
        "no NRT state yet": None,
        "the NRT state is of an older format": _state(A, version="0"),
        "the previous NRT refresh did not finish": _state(A, complete=False),
        "the erased users changed": _state(A, tombstones_digest=digest(["u_1"])),
    }
    for reason, state in cases.items():
        plan = plan_refresh(layout, state, tombstones_digest=NOBODY, current=(A, B))
        assert (plan.mode, plan.reason, plan.files) == (NrtMode.FULL, reason, (A, B))


def test_a_lost_or_rewritten_file_rebuilds_unless_the_manifest_explains_it(
    layout: LakeLayout,
) -> None:
    rewritten = BronzeFile(A.path, 90, 9.0)
    for current in ((B,), (rewritten, B)):
        plan = plan_refresh(layout, _state(A, B), tombstones_digest=NOBODY, current=current)
        assert plan.mode is NrtMode.FULL
        assert plan.reason == "1 Bronze file(s) read earlier changed or disappeared"

    merged = BronzeFile(f"{DAY}/compacted-1.parquet", 280, 5.0)
    late = BronzeFile(C.path, C.bytes, 6.0)  # landed during the compaction, copied over
    Manifest(layout).append(
        Landing(
            kind="compaction",
            name=DAY,
            at="2026-01-01T13:00:00+00:00",
            inputs=("a.parquet", "b.parquet"),
        )
    )
    plan = plan_refresh(layout, _state(A, B, C), tombstones_digest=NOBODY, current=(merged, late))
    assert (plan.mode, plan.files) == (NrtMode.INCREMENTAL, (merged, late))
    assert sorted(plan.forget) == [A.path, B.path]

    purged = BronzeFile(f"{DAY}/purged.parquet", 10, 7.0)
    Manifest(layout).append(
        Landing(kind="purge", name="run-1", at="2026-01-01T14:00:00+00:00", inputs=(purged.path,))
    )
    plan = plan_refresh(layout, _state(merged, purged), tombstones_digest=NOBODY, current=(merged,))
    assert (plan.mode, plan.files, plan.forget) == (NrtMode.INCREMENTAL, (), (purged.path,))


def test_digest_is_of_the_set_and_hides_the_ids() -> None:
    assert digest(["u_2", "u_1", "u_1"]) == digest(["u_1", "u_2"])
    assert digest(["u_1"]) != digest(["u_2"])
    assert "u_1" not in digest(["u_1"])
