"""Small Bronze files against compacted ones: what a live day's file count costs its readers.

The lander writes a file per spool segment, and a segment is sealed every 0.5 s under
steady traffic, so a live day holds many thousands of small files. One UTC day of catalogue
events is landed through the lander's own writer (``land_ndjson``) in segment-sized files
(``--per-file`` events each; 100 is a 0.5 s segment at 12,000 events a minute). Then, before
and after ``compact_lake`` (what the schedule's hourly ``compaction`` job runs), the median
of three plain DuckDB scans of every Bronze column and an NRT refresh from scratch (it reads
every file; a warm-up refresh on a tiny lake first imports dbt and parses the project).
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import orjson

from benchmarks._common import catalogue_events, cpu_seconds, machine
from rastup_data.lake.compaction import compact_lake
from rastup_data.lake.files import partition_files, partitions
from rastup_data.lake.layout import BRONZE_EVENTS, LakeLayout
from rastup_data.lander import land_ndjson
from rastup_data.transform import refresh_nrt
from rastup_data.transform.nrt import discard_nrt_state
from rastup_data.transform.warehouse import warehouse_dirs

DAY = datetime(2026, 11, 3, tzinfo=UTC)

SCAN_SQL = """
SELECT count(*), sum(length(event_id) + length(event) + length(coalesce(user_id, ''))
       + length(coalesce(anon_id, '')) + length(coalesce(session_id, '')) + length(context)
       + length(ids) + length(payload)), sum(v), min(occurred_at), max(received_at)
FROM read_parquet('{glob}', hive_partitioning = true, union_by_name = true)
"""


def land_segments(layout: LakeLayout, events: int, per_file: int) -> int:
    """Land ``events`` catalogue events in files of ``per_file``, half a second apart."""
    lines = catalogue_events(events)
    for n, start in enumerate(range(0, events, per_file)):
        moment = DAY + timedelta(hours=1, seconds=0.5 * n)
        land_ndjson(layout, lines[start : start + per_file], name=f"seg{n:06d}", received_at=moment)
    return sum(len(partition_files(layout.lake, p)) for p in partitions(layout.lake, BRONZE_EVENTS))


def scans(layout: LakeLayout) -> dict[str, float]:
    """The median of three plain scans of every Bronze column, wall and CPU seconds."""
    walls, cpus = [], []
    with duckdb.connect() as conn:
        for _ in range(3):
            began, cpu = time.perf_counter(), cpu_seconds()
            conn.execute(SCAN_SQL.format(glob=layout.events_glob)).fetchall()
            walls.append(time.perf_counter() - began)
            cpus.append(cpu_seconds() - cpu)
    return {
        "median_s": round(statistics.median(walls), 3),
        "median_cpu_s": round(statistics.median(cpus), 2),
    }


def nrt_from_scratch(layout: LakeLayout) -> float:
    """Seconds of an NRT refresh with no state (it reads every Bronze file)."""
    discard_nrt_state(warehouse_dirs(layout))
    began = time.perf_counter()
    refresh_nrt(layout)
    return round(time.perf_counter() - began, 2)


def run(events: int, per_file: int, root: Path) -> dict[str, Any]:
    warm = LakeLayout(root / "warm-up")
    land_ndjson(warm, catalogue_events(200), name="warm", received_at=DAY)
    refresh_nrt(warm)
    layout = LakeLayout(root / "lake")
    began = time.perf_counter()
    files = land_segments(layout, events, per_file)
    landed_s = time.perf_counter() - began
    before = {"files": files, "scan": scans(layout), "nrt_from_scratch_s": nrt_from_scratch(layout)}
    began = time.perf_counter()
    results = compact_lake(layout)
    compaction_s = time.perf_counter() - began
    after_files = sum(r.files_after for r in results)
    after = {
        "files": after_files,
        "scan": scans(layout),
        "nrt_from_scratch_s": nrt_from_scratch(layout),
    }
    return {
        "benchmark": "compaction",
        "machine": machine(),
        "date_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "events": events,
        "events_per_file": per_file,
        "landing_s": round(landed_s, 1),
        "small_files": before,
        "compaction_s": round(compaction_s, 2),
        "compacted": after,
        "scan_ratio_small_to_compacted": round(
            before["scan"]["median_s"] / after["scan"]["median_s"], 1
        ),
        "nrt_ratio_small_to_compacted": round(
            before["nrt_from_scratch_s"] / after["nrt_from_scratch_s"], 1
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000, help="events in the day")
    parser.add_argument(
        "--per-file", type=int, default=100, help="events per landed file (a spool segment)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rastup-bench-compaction-") as tmp:
        print(orjson.dumps(run(args.events, args.per_file, Path(tmp))).decode())


if __name__ == "__main__":
    main()
