"""Transform benchmark: a full Silver + Gold build of a 10 M-event Bronze, against a plain scan.

One run on a cached Bronze (simulated marketplace traffic, one ``dt`` partition per day,
landed through the direct lander; built once under ``benchmarks/out/``): (a) plain DuckDB
scans of that Bronze reading every column the models read, two before the first build and
one after every build, whose median is the yardstick (so the ratios hold on a machine whose
speed moves over the minutes of a run); (b) a
full-refresh ``build`` (dbt models and tests, quality gates, publish, NRT refresh) with
its phases and slowest nodes, on a lake never built before by a machine that never built any
(the run's own empty user cache, which starts from the parse of the dbt project made at
install, ``make setup``; the NRT state is folded from all of Bronze); (c) the same
full-refresh build again on that lake by the command, as a nightly full rebuild meets it
(dbt's partial parse and the NRT state kept); (d) the first build of another lake over the
same Bronze by the command, as a machine that has built before meets a new lake (the parse
found in the user cache, the NRT state folded from all of Bronze); (e) an incremental build
after one more day has landed; (f) the first build of a third lake by the command with
neither a user cache nor an installed parse (dbt parses the whole project).
Every build is reported as seconds and as ratios to the median scan (wall and CPU).
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import orjson

from benchmarks._common import cpu_seconds, machine
from rastup_data.lake.layout import LakeLayout
from rastup_data.transform import (
    BuildEvent,
    BuildOptions,
    NodeOutcome,
    build,
    installed_parse_manifest,
)

OUT = Path(__file__).parent / "out"
#: Simulator lines per user per simulated day (measured: ~40 per user per week).
LINES_PER_USER_DAY = 5.74
START = date(2026, 11, 1)
TARGET_BUILD_S = 60.0
#: Full build over the same run's plain scan of the same Bronze (issue 7).
TARGET_RATIO = 15.0

PLAIN_SCAN_SQL = """
SELECT count(*) AS rows,
       count(DISTINCT dt) AS partitions,
       sum(length(event_id) + length(event) + length(user_id) + length(anon_id)
           + length(session_id) + length(context) + length(ids) + length(payload)) AS text_bytes,
       sum(v) AS v_sum,
       min(occurred_at) AS first_occurred, max(received_at) AS last_received
FROM read_parquet('{glob}', hive_partitioning = true)
"""


# --- the cached Bronze ---------------------------------------------------------------------


def _simulate_days(users: int, days: int, seed: int, queue: Any) -> None:
    """Producer process: simulator lines tagged with the day they were sent on.

    One simulation of ``days`` + 1 days: the base is its first ``days`` days, the extra day
    is the last one, so the extra day continues the base (payouts, completions and late
    events of earlier bookings arrive on it, as on any real day) and the Bronze volume gates
    judge it like any other day. Lines released after the last day belong to the extra day.
    """
    from rastup_data.simulate import MarketplaceSimulation, SimulationConfig

    simulation = MarketplaceSimulation(
        SimulationConfig(seed=seed, days=days + 1, users=users, start=START)
    )
    previous: int | None = None
    for batch in simulation.batches():
        done = simulation.days_done
        # The batch that closes a day arrives with days_done already advanced.
        day = done - 1 if previous is not None and done != previous else done
        previous = done
        if batch:
            queue.put((min(day, days), batch))
    queue.put(None)


def _lines_of_day(
    first: tuple[int, list[bytes]], queue: Any, pending: list[Any]
) -> Iterator[bytes]:
    day, batch = first
    yield from batch
    while True:
        item = queue.get()
        if item is None or item[0] != day:
            pending.append(item)
            return
        yield from item[1]


def _received_stamp(day: int) -> datetime:
    midnight = datetime(START.year, START.month, START.day, tzinfo=UTC) + timedelta(days=day)
    return midnight + timedelta(hours=23, minutes=59, seconds=59)


def bronze_cache_dir(events: int, days: int, seed: int) -> Path:
    """Where :func:`cached_bronze` keeps its lakes (``base`` and ``extra``)."""
    return OUT / f"bronze-{events}-d{days}+1-s{seed}"


def cached_bronze(events: int, days: int, seed: int) -> dict[str, Any]:
    """Base lake of ``days`` days plus a one-day extra lake, generated once and reused."""
    root = bronze_cache_dir(events, days, seed)
    ready = root / "READY.json"
    if ready.exists():
        info: dict[str, Any] = orjson.loads(ready.read_bytes())
        info["cached"] = True
        return info
    from rastup_data.lander import land_ndjson

    shutil.rmtree(root, ignore_errors=True)
    base, extra = LakeLayout(root / "base"), LakeLayout(root / "extra")
    users = max(1, round(events / (LINES_PER_USER_DAY * days)))
    began = time.perf_counter()
    queue: Any = mp.Queue(maxsize=16)
    producer = mp.Process(target=_simulate_days, args=(users, days, seed, queue))
    producer.start()
    totals: dict[str, int] = {"lines": 0, "accepted": 0, "rejected": 0, "duplicates": 0}
    pending: list[Any] = [queue.get()]
    while pending and pending[-1] is not None:
        first = pending.pop()
        day = first[0]
        layout = base if day < days else extra
        load = land_ndjson(
            layout,
            _lines_of_day(first, queue, pending),
            name=f"sim-d{day:02d}",
            received_at=_received_stamp(day),
        )
        for key in totals:
            totals[key] += getattr(load, key)
    producer.join()
    info = {
        "users": users,
        "days": days,
        "seed": seed,
        "base": str(base.root),
        "extra": str(extra.root),
        "base_rows": _count(base),
        "extra_rows": _count(extra),
        "load": totals,
        "generate_seconds": round(time.perf_counter() - began, 1),
    }
    ready.write_bytes(orjson.dumps(info, option=orjson.OPT_INDENT_2))
    info["cached"] = False
    return info


def _count(layout: LakeLayout) -> int:
    sql = f"SELECT count(*) FROM read_parquet('{layout.events_glob}')"
    with duckdb.connect() as conn:
        return int(conn.execute(sql).fetchall()[0][0])


def _link_tree(source: Path, target: Path) -> int:
    """Hard-link every Bronze file of ``source`` into ``target`` (Bronze files are immutable)."""
    linked = 0
    for path in sorted(source.rglob("*.parquet")):
        dest = target / path.relative_to(source)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.link(path, dest)
        linked += 1
    return linked


# --- measurements --------------------------------------------------------------------------


def plain_scan(layout: LakeLayout) -> dict[str, Any]:
    """One full DuckDB scan of Bronze touching every column the models read."""
    conn = duckdb.connect()
    cpu_before = cpu_seconds()
    started = time.perf_counter()
    row = conn.execute(PLAIN_SCAN_SQL.format(glob=layout.events_glob)).fetchall()[0]
    seconds = time.perf_counter() - started
    cpu = cpu_seconds() - cpu_before
    threads = conn.execute("SELECT current_setting('threads')").fetchall()[0][0]
    conn.close()
    return {
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu, 2),
        "rows": row[0],
        "partitions": row[1],
        "text_bytes": row[2],
        "duckdb_threads": threads,
    }


def timed_build(layout: LakeLayout, *, full_refresh: bool) -> dict[str, Any]:
    """Run ``build`` and split its wall time into phases from the progress events."""
    marks: list[tuple[float, BuildEvent]] = []
    load_before = os.getloadavg()[0]
    cpu_before = cpu_seconds()
    started = time.perf_counter()
    result = build(
        layout,
        BuildOptions(full_refresh=full_refresh),
        progress=lambda event: marks.append((time.perf_counter(), event)),
    )
    finished = time.perf_counter()
    cpu = cpu_seconds() - cpu_before
    seconds = finished - started

    def at(stage: str, nth: int = 0) -> float:
        times = [t for t, e in marks if e.stage == stage]
        return times[nth] if len(times) > nth else finished

    dbt_start, gates_start, gates_end = at("start"), at("checks", 0), at("checks", 1)
    published = at("published")
    node_marks = [(t, e.node) for t, e in marks if e.stage == "node" and e.node is not None]
    first_node = min((t - n.seconds for t, n in node_marks), default=dbt_start)
    models = result.models
    tests = result.tests
    slowest = sorted(result.nodes, key=lambda n: n.seconds, reverse=True)[:10]
    return {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 1),
        "cpu_utilisation_of_2_cores": round(cpu / seconds / (os.cpu_count() or 1), 2),
        "load_average_1m_before": round(load_before, 2),
        "build_id": result.build_id,
        "phases_s": {
            "prepare_staging": round(dbt_start - started, 2),
            "dbt_startup_and_parse": round(max(0.0, first_node - dbt_start), 2),
            "dbt_nodes_wall": round(gates_start - first_node, 2),
            "quality_gates": round(gates_end - gates_start, 2),
            "seal_and_publish": round(published - gates_end, 2),
            "nrt_refresh": round(finished - published, 2),
        },
        "dbt_node_seconds_sum": {
            "models": round(sum(n.seconds for n in models), 2),
            "tests": round(sum(n.seconds for n in tests), 2),
            "seeds": round(sum(n.seconds for n in result.nodes if n.resource_type == "seed"), 2),
        },
        "model_seconds_by_layer": _model_seconds_by_layer(models),
        "nodes": {"models": len(models), "tests": len(tests)},
        "slowest_nodes": [
            {"node": n.relation or n.name, "type": n.resource_type, "seconds": round(n.seconds, 2)}
            for n in slowest
        ],
        "warehouse_bytes": Path(result.path).stat().st_size,
        "nrt_seconds": round(result.nrt.seconds, 2) if result.nrt else None,
        "nrt_files_read": result.nrt.files_read if result.nrt else None,
        "nrt_files_read_ahead": result.nrt.files_prefetched if result.nrt else None,
    }


def build_by_command(layout: LakeLayout, env: dict[str, str] | None = None) -> dict[str, Any]:
    """``rastup-data build --full-refresh`` in a process of its own: its wall seconds and its
    CPU seconds, start-up and imports included. On a lake built before, this is a nightly
    full rebuild (the NRT state is kept); on a new lake, its first build on a machine whose
    parse of the dbt project is in the user's cache. ``env``: variables changed for it."""
    command = Path(sys.executable).with_name("rastup-data")
    load_before = os.getloadavg()[0]
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [str(command), "build", "--full-refresh", "--lake", str(layout.root)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )
    seconds = time.perf_counter() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (children.ru_utime - children_before.ru_utime) + (
        children.ru_stime - children_before.ru_stime
    )
    return {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 1),
        "load_average_1m_before": round(load_before, 2),
    }


def _model_seconds_by_layer(models: tuple[NodeOutcome, ...]) -> dict[str, float]:
    """Summed model seconds per schema, with the Silver event table and facts apart."""
    layers: dict[str, float] = {}
    for node in models:
        schema, _, name = (node.relation or node.name).rpartition(".")
        if name == "events_deduped":
            key = "silver.events_deduped"
        elif schema == "silver":
            key = "silver.facts" if name.startswith("fact_") else "silver.dims"
        else:
            key = schema or "other"
        layers[key] = round(layers.get(key, 0.0) + node.seconds, 2)
    return layers


def gate_check_timings(warehouse: Path, layout: LakeLayout, top: int = 8) -> dict[str, Any]:
    """Time each quality gate check again on the published file (read-only), the suite
    derived from the build's manifest."""
    from rastup_data.quality import QualityCatalog, run_quality_gates
    from rastup_data.transform.manifest import build_manifest_path, load_manifest

    catalog = QualityCatalog.from_project(
        load_manifest(build_manifest_path(layout)), lake=layout.lake.uri()
    )
    stamps: list[tuple[float, str]] = []
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        as_of = conn.execute("SELECT max(occurred_at) FROM silver.events_deduped").fetchall()[0][0]
        started = time.perf_counter()
        report = run_quality_gates(
            conn,
            catalog=catalog,
            as_of=as_of,
            on_result=lambda r: stamps.append((time.perf_counter(), str(r.name))),
        )
    finally:
        conn.close()
    durations, previous = [], started
    for moment, name in stamps:
        durations.append((moment - previous, name))
        previous = moment
    durations.sort(reverse=True)
    return {
        "checks": len(report.results),
        "seconds": round(previous - started, 2),
        "slowest": [{"check": n, "seconds": round(s, 3)} for s, n in durations[:top]],
    }


def scan_baseline(scans: list[dict[str, Any]]) -> dict[str, Any]:
    """The yardstick of a run: the median of its plain scans (wall and CPU), with the spread.

    The scans are taken before the first build and after every build of the run, so the
    ratios compare the builds with what the same machine did for a plain scan in the same
    minutes, also when its speed moves between the first build and the last.
    """
    seconds = [s["seconds"] for s in scans]
    cpu = [s["cpu_seconds"] for s in scans]
    return {
        "scans": len(scans),
        "median_s": round(statistics.median(seconds), 3),
        "min_s": round(min(seconds), 3),
        "max_s": round(max(seconds), 3),
        "median_cpu_s": round(statistics.median(cpu), 2),
    }


def ratios(build: dict[str, Any], baseline: dict[str, Any]) -> dict[str, float]:
    """A build's wall and CPU seconds over the run's median plain scan."""
    return {
        "wall": round(build["seconds"] / baseline["median_s"], 1),
        "cpu": round(build["cpu_seconds"] / max(baseline["median_cpu_s"], 0.01), 1),
    }


def run(events: int, days: int, seed: int, *, keep: bool) -> dict[str, Any]:
    os.environ.setdefault("DO_NOT_TRACK", "1")
    bronze = cached_bronze(events, days, seed)
    work = OUT / f"run-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    layout = LakeLayout(work / "lake")
    another = LakeLayout(work / "another-lake")
    unparsed = LakeLayout(work / "unparsed-lake")
    # The run's own user cache: the first build starts from the installed parse of the dbt
    # project (as the first build on a machine does); the other lake's finds the user's.
    os.environ["RASTUP_CACHE_DIR"] = str(work / "cache")
    installed = installed_parse_manifest(None) is not None
    load_start = os.getloadavg()
    try:
        for lake in (layout, another, unparsed):
            _link_tree(Path(bronze["base"]) / "bronze", lake.bronze)
        # Every scan reads the same Bronze: `another` never gets the extra day.
        scans = [plain_scan(another), plain_scan(another)]
        full = timed_build(layout, full_refresh=True)
        scans.append(plain_scan(another))
        published = work / "lake" / "warehouse" / "builds" / f"{full['build_id']}.duckdb"
        gates = gate_check_timings(published, layout)
        rebuild = build_by_command(layout)
        scans.append(plain_scan(another))
        first_of_another = build_by_command(another)
        scans.append(plain_scan(another))
        _link_tree(Path(bronze["extra"]) / "bronze", layout.bronze)
        incremental = timed_build(layout, full_refresh=False)
        scans.append(plain_scan(another))
        no_parse = {"RASTUP_CACHE_DIR": str(work / "empty-cache"), "RASTUP_INSTALL_CACHE_DIR": ""}
        first_without_parse = build_by_command(unparsed, env=no_parse)
        scans.append(plain_scan(another))
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    scan = scans[0]
    rows = scan["rows"]
    baseline = scan_baseline(scans)
    full_ratios = ratios(full, baseline)
    return {
        "benchmark": "build",
        "machine": machine(),
        "date_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_start": [round(x, 2) for x in load_start],
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "bronze": {
            "rows": rows,
            "partitions": scan["partitions"],
            "parquet_bytes": sum(p.stat().st_size for p in Path(bronze["base"]).rglob("*.parquet")),
            "simulated_users": bronze["users"],
            "cached": bronze["cached"],
            "generate_seconds": bronze["generate_seconds"],
        },
        "plain_scans": scans,
        "plain_scan_baseline": baseline,
        "full_build": full,
        "full_build_seconds": full["seconds"],
        "ratio_build_to_scan": full_ratios["wall"],
        "ratio_build_to_scan_cpu": full_ratios["cpu"],
        "target_ratio_build_to_scan": TARGET_RATIO,
        "meets_ratio_target": full_ratios["wall"] <= TARGET_RATIO,
        "rows_per_second": round(rows / full["seconds"]),
        "target_full_build_s": TARGET_BUILD_S,
        "meets_target": full["seconds"] <= TARGET_BUILD_S,
        "full_rebuild_on_built_lake": {**rebuild, "ratio_to_scan": ratios(rebuild, baseline)},
        "first_build_of_another_lake": {
            **first_of_another,
            "ratio_to_scan": ratios(first_of_another, baseline),
        },
        "first_build_without_any_parse": {
            **first_without_parse,
            "ratio_to_scan": ratios(first_without_parse, baseline),
        },
        "parse_installed": installed,
        "quality_gate_checks": gates,
        "incremental_build": {
            **incremental,
            "added_rows": bronze["extra_rows"],
            "ratio_to_scan": ratios(incremental, baseline),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000_000, help="Bronze size (approx.)")
    parser.add_argument("--days", type=int, default=7, help="days in the base Bronze")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the run's lake for inspection")
    args = parser.parse_args()
    result = run(args.events, args.days, args.seed, keep=args.keep)
    print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
