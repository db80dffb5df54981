"""NRT refresh cost against the size of Bronze: does a refresh cost what the new data costs?

Lakes of growing size hard-link the first N daily partitions of the build benchmark's cached
10 M-event Bronze (``bench_build`` generates it once). For each size: a plain DuckDB scan of
the columns the NRT views read (the yardstick, in the same minute); a refresh with no NRT
state (it reads everything); a refresh after one more landed file (~50 k events of the
extra day); a refresh with nothing new. A warm-up refresh on a tiny lake first imports dbt
and parses the project, so no point pays for that. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson

from benchmarks._common import machine
from benchmarks.bench_build import OUT, cached_bronze
from rastup_data.lake.layout import LakeLayout
from rastup_data.transform import refresh_nrt


def link_files(files: list[Path], folder: Path) -> None:
    """Hard-link Bronze files into ``folder`` (Bronze files are immutable)."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in files:
        os.link(path, folder / path.name)


def nrt_scan(layout: LakeLayout) -> dict[str, Any]:
    """One scan of what a refresh from scratch reads: every row's event, ids and times, and
    the payload of money and dispute events."""
    sql = (
        "SELECT count(DISTINCT filename), count(*), max(occurred_at), max(received_at), "
        "count(user_id), count(anon_id), sum(length(payload)) FILTER "
        "(WHERE event LIKE 'pay%' OR event LIKE 'dispute.%' OR event = 'identity.linked') "
        f"FROM read_parquet('{layout.events_glob}', filename = true)"
    )
    with duckdb.connect() as conn:
        started = time.perf_counter()
        row = conn.execute(sql).fetchall()[0]
        seconds = time.perf_counter() - started
    return {"files": row[0], "rows": row[1], "seconds": round(seconds, 3)}


def _refresh(layout: LakeLayout) -> dict[str, Any]:
    result = refresh_nrt(layout)
    return {
        "seconds": round(result.seconds, 2),
        # The NRT refresh before the state existed had no mode: it always read everything.
        "mode": str(getattr(result, "mode", "full (always)")),
        "files_read": getattr(result, "files_read", None),
    }


def curve_point(layout: LakeLayout, partitions: list[Path], new_file: Path) -> dict[str, Any]:
    """The refreshes of one Bronze size (see the module docstring)."""
    for partition in partitions:
        link_files(sorted(partition.glob("*.parquet")), layout.bronze_events / partition.name)
    scan = nrt_scan(layout)
    from_scratch = _refresh(layout)
    link_files([new_file], layout.bronze_events / new_file.parent.name)
    one_more = _refresh(layout)
    nothing_new = _refresh(layout)
    return {
        "days": len(partitions),
        "bronze_rows": scan["rows"],
        "bronze_files": scan["files"],
        "plain_scan_s": scan["seconds"],
        "no_state": from_scratch,
        "one_more_file": one_more,
        "nothing_new": nothing_new,
        "one_more_file_over_scan": round(one_more["seconds"] / scan["seconds"], 1),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def run(days: list[int], events: int) -> dict[str, Any]:
    os.environ.setdefault("DO_NOT_TRACK", "1")
    bronze = cached_bronze(events, 7, 7)
    partitions = sorted((Path(bronze["base"]) / "bronze" / "events").glob("dt=*"))
    extra = sorted((Path(bronze["extra"]) / "bronze" / "events").rglob("*.parquet"))
    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="nrt-curve-", dir=OUT))
    load_start = os.getloadavg()
    try:
        warm = LakeLayout(work / "warm-up")
        link_files([extra[-1]], warm.bronze_events / extra[-1].parent.name)
        refresh_nrt(warm)
        points = [
            curve_point(LakeLayout(work / f"days-{n}"), partitions[:n], extra[i])
            for i, n in enumerate(days)
        ]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {
        "benchmark": "nrt_curve",
        "machine": machine(),
        "date_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_start": [round(x, 2) for x in load_start],
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "new_file_rows": _rows(extra[: len(days)]),
        "points": points,
    }


def _rows(files: list[Path]) -> list[int]:
    with duckdb.connect() as conn:
        return [
            int(conn.execute("SELECT count(*) FROM read_parquet(?)", [str(f)]).fetchall()[0][0])
            for f in files
        ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--days", default="1,2,4,7", help="Bronze sizes, as days of the cached Bronze"
    )
    parser.add_argument("--events", type=int, default=10_000_000, help="cached Bronze size")
    args = parser.parse_args()
    days = [int(d) for d in args.days.split(",") if d.strip()]
    result = run(days, args.events)
    print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
