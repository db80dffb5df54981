from __future__ import annotations

import threading
import time
from pathlib import Path

import duckdb
import pytest

from rastup_data.lake.compaction import compact_lake
from rastup_data.lake.files import partition_files, partitions
from rastup_data.lake.layout import BRONZE_EVENTS, BUILD_LOCK, NRT_LOCK, LakeLayout
from rastup_data.lake.manifest import Manifest
from rastup_data.lander.direct import land_ndjson
from rastup_data.storage import LocalStorage

from ..lander.conftest import NameCheck, envelope


@pytest.fixture
def layout(tmp_path: Path) -> LakeLayout:
    return LakeLayout(tmp_path / "lake")


def _stats(layout: LakeLayout) -> tuple[int, int]:
    (row,) = duckdb.sql(
        f"SELECT count(*), count(DISTINCT event_id) FROM read_parquet('{layout.events_glob}')"
    ).fetchall()
    return int(row[0]), int(row[1])


def test_compaction_merges_files_and_keeps_every_row(layout: LakeLayout) -> None:
    for i in range(6):
        land_ndjson(layout, [envelope() for _ in range(100)], name=f"s{i}", validator=NameCheck())
    (partition,) = partitions(layout.lake, BRONZE_EVENTS)
    assert len(partition_files(layout.lake, partition)) == 6
    results = compact_lake(layout)
    assert [(r.files_before, r.files_after, r.rows) for r in results] == [(6, 1, 600)]
    assert _stats(layout) == (600, 600)
    assert not (layout.root / "_staging").exists() or not any((layout.root / "_staging").iterdir())
    assert [r.kind for r in Manifest(layout).records()][-1] == "compaction"
    assert compact_lake(layout) == []


def test_files_at_the_target_size_are_left_as_they_are(layout: LakeLayout) -> None:
    """A day merged earlier is not rewritten when it fills further: only the files landed
    since, smaller than the target, are merged."""
    for i in range(4):
        land_ndjson(layout, [envelope() for _ in range(100)], name=f"s{i}", validator=NameCheck())
    compact_lake(layout)
    (partition,) = partitions(layout.lake, BRONZE_EVENTS)
    (earlier,) = partition_files(layout.lake, partition)
    info = layout.lake.stat(earlier)
    assert info is not None
    for i in range(3):
        land_ndjson(layout, [envelope() for _ in range(50)], name=f"t{i}", validator=NameCheck())
    (result,) = compact_lake(layout, target_bytes=info.size)
    assert (result.files_before, result.files_after, result.rows) == (4, 2, 150)
    assert earlier in partition_files(layout.lake, partition)
    assert layout.lake.stat(earlier) == info  # the same file, not rewritten
    assert _stats(layout) == (550, 550)
    record = list(Manifest(layout).records())[-1]
    assert record.kind == "compaction"
    assert len(record.inputs) == 3
    assert earlier.rsplit("/", 1)[1] not in record.inputs
    # One small file is left (the new merge): nothing to merge until another lands.
    assert compact_lake(layout, target_bytes=info.size) == []


@pytest.mark.parametrize("reader_lock", [NRT_LOCK, BUILD_LOCK])
def test_a_partition_is_swapped_only_outside_a_build_or_an_nrt_refresh(
    layout: LakeLayout, reader_lock: str
) -> None:
    """A build and an NRT refresh list Bronze's files, then read them: the swap waits."""
    for i in range(3):
        land_ndjson(layout, [envelope() for _ in range(50)], name=f"s{i}", validator=NameCheck())
    (partition,) = partitions(layout.lake, BRONZE_EVENTS)
    results: list[object] = []
    with layout.lake.lock(reader_lock):  # what a build or a refresh holds while it reads
        worker = threading.Thread(target=lambda: results.extend(compact_lake(layout)))
        worker.start()
        deadline = time.monotonic() + 120
        while not list((layout.root / "_staging").glob("compact-*/dt=*/compacted-*.parquet")):
            assert time.monotonic() < deadline, "the merge was never staged"
            time.sleep(0.01)
        worker.join(timeout=0.5)
        assert worker.is_alive()  # merged, waiting to swap
        assert len(partition_files(layout.lake, partition)) == 3
    worker.join(timeout=120)
    assert not worker.is_alive()
    assert len(results) == 1
    assert len(partition_files(layout.lake, partition)) == 1
    assert _stats(layout) == (150, 150)


class _Reads:
    """Counts a reader's finished reads so the writer can wait for them, not for time."""

    def __init__(self) -> None:
        self.done = 0
        self._changed = threading.Condition()

    def finished_one(self) -> None:
        with self._changed:
            self.done += 1
            self._changed.notify_all()

    def wait_for_more(self, reads: int, timeout: float = 300.0) -> None:
        with self._changed:
            target = self.done + reads
            if not self._changed.wait_for(lambda: self.done >= target, timeout):
                raise AssertionError(f"the reader finished no {reads} reads in {timeout:.0f} s")


def test_readers_never_see_doubled_or_missing_rows_during_compaction(
    layout: LakeLayout, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(8):
        land_ndjson(layout, [envelope() for _ in range(200)], name=f"s{i}", validator=NameCheck())
    seen: list[int] = []
    errors: list[str] = []
    reads = _Reads()
    stop = threading.Event()

    def read() -> None:
        conn = duckdb.connect()
        try:
            while not stop.is_set():
                try:
                    row = conn.execute(
                        f"SELECT count(*) FROM read_parquet('{layout.events_glob}')"
                    ).fetchone()
                    seen.append(int(row[0]) if row else -1)
                except duckdb.Error as exc:  # a file vanishing between glob and open
                    errors.append(str(exc))
                reads.finished_one()
        finally:
            conn.close()

    # However slow the machine, reads run right before and right after the partition's
    # swap while the compaction is under way: the swap waits for them.
    swap = LocalStorage.swap_prefix

    def swap_between_reads(self: LocalStorage, staged: str, prefix: str) -> None:
        reads.wait_for_more(3)
        swap(self, staged, prefix)
        reads.wait_for_more(3)

    monkeypatch.setattr(LocalStorage, "swap_prefix", swap_between_reads)
    reader = threading.Thread(target=read)
    reader.start()
    try:
        results = compact_lake(layout)
    finally:
        stop.set()
        reader.join()
    assert [(r.files_before, r.files_after) for r in results] == [(8, 1)]
    assert reads.done >= 6
    assert seen, f"every read failed: {errors[:2]}"
    assert set(seen) == {1600}, "a reader saw a partial or doubled partition"


def test_a_merge_is_dropped_when_an_input_was_rewritten_meanwhile(
    layout: LakeLayout, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A purge that rewrites a file while its partition is being merged must win: swapping
    the merge in would bring the purged rows back."""
    import pyarrow.parquet as pq

    from rastup_data.lake import compaction

    for i in range(3):
        land_ndjson(layout, [envelope() for _ in range(10)], name=f"s{i}", validator=NameCheck())
    (partition,) = partitions(layout.lake, BRONZE_EVENTS)
    victim = partition_files(layout.lake, partition)[0]
    real_merge = compaction._merge

    def merge_then_purge(*args: object) -> tuple[int, int]:
        counts = real_merge(*args)  # type: ignore[arg-type]
        table = pq.read_table(layout.lake.uri(victim))
        with layout.lake.writing(victim) as tmp:
            pq.write_table(table.slice(0, 4), tmp)  # six rows purged
        return counts

    monkeypatch.setattr(compaction, "_merge", merge_then_purge)
    assert compact_lake(layout) == []
    assert _stats(layout) == (24, 24)
    assert len(partition_files(layout.lake, partition)) == 3
