from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import pytest

from rastup_data.lake.compaction import compact_lake
from rastup_data.lake.files import partition_files, partitions
from rastup_data.lake.layout import BRONZE_EVENTS, LakeLayout
from rastup_data.lake.manifest import Manifest
from rastup_data.lander.direct import land_ndjson

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


def test_readers_never_see_doubled_or_missing_rows_during_compaction(layout: LakeLayout) -> None:
    for i in range(8):
        land_ndjson(layout, [envelope() for _ in range(200)], name=f"s{i}", validator=NameCheck())
    seen: list[int] = []
    errors: list[str] = []
    stop = threading.Event()

    def read() -> None:
        conn = duckdb.connect()
        while not stop.is_set():
            try:
                row = conn.execute(
                    f"SELECT count(*) FROM read_parquet('{layout.events_glob}')"
                ).fetchone()
                seen.append(int(row[0]) if row else -1)
            except duckdb.Error as exc:  # a file vanishing between glob and open
                errors.append(str(exc))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        compact_lake(layout)
    finally:
        stop.set()
        reader.join()
    assert seen
    assert set(seen) == {1600}, "a reader saw a partial or doubled partition"
