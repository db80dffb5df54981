"""Dashboards benchmark: server time of each dashboard page with its data, 8 signed-in users
at once, on the extracts of the 10 M-event build; and the refresh time of the six extracts.

One run on the cached 10 M-event Bronze of ``bench_build`` (generated there once): the base
days are hard-linked into a lake of their own, built in full once (cached while the lake
exists), then (a) the six datasets are refreshed into extracts, timed; (b) ``rastup-data
serve`` runs as shipped (a subprocess on loopback, one worker per core unless ``--workers``;
no scheduler or NRT refresh competing) and signed-in users request the six dashboards
round-robin, first one alone (the baseline), then 8 at once, each user a process of its own
so the load generator is not one interpreter's lock; once with every page at the default
filters (repeated pages, as a team opening its dashboards makes), once with filters no other
request used (nothing the gate remembers helps). Each request's time (request sent to
last byte, on loopback) is the server time of the page with all its tiles' gated queries.
The CPU of the serve process tree and of the clients is reported per page: on a 2-core
machine a client costing as much as the server would distort the result. Prints one JSON
object.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import signal
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import httpx
import orjson

from benchmarks._common import free_port, machine, start_serve, tree_cpu_seconds
from benchmarks.bench_build import OUT, _link_tree, bronze_cache_dir, cached_bronze
from rastup_data.bi import RefreshLimits, RefreshRequest, load_schedule, refresh_datasets
from rastup_data.bi.extracts import current_snapshot, snapshot_glob
from rastup_data.bi.home import dashboards_dir
from rastup_data.governance.principals import TokenStore
from rastup_data.lake.layout import LakeLayout
from rastup_data.state import open_state
from rastup_data.transform import BuildOptions, build

BOARDS = ("executive", "city_ops", "trust", "finance", "growth", "comms")
TARGET_P95_MS = 300.0


def built_lake(events: int, days: int, seed: int) -> tuple[LakeLayout, dict[str, Any]]:
    """The base days of the cached Bronze, built once into a lake of their own."""
    cached_bronze(events, days, seed)
    source = bronze_cache_dir(events, days, seed) / "base"
    root = OUT / f"dashboards-{events}-d{days}-s{seed}"
    layout = LakeLayout(root / "lake")
    marker = root / "BUILT.json"
    if marker.exists():
        return layout, orjson.loads(marker.read_bytes())
    _link_tree(source / "bronze", layout.local_root / "bronze")
    began = time.perf_counter()
    build(layout, BuildOptions(full_refresh=True))
    info = {"build_seconds": round(time.perf_counter() - began, 1)}
    marker.write_bytes(orjson.dumps(info))
    return layout, info


def refresh_extracts(layout: LakeLayout) -> dict[str, Any]:
    began = time.perf_counter()
    with open_state(lake=layout.root) as state:
        runs = refresh_datasets(
            layout,
            load_schedule(dashboards_dir()),
            state,
            RefreshRequest(limits=RefreshLimits(capacity_bytes=10**10)),
        )
    return {
        "seconds": round(time.perf_counter() - began, 2),
        "datasets": {
            r.dataset: {"ok": r.ok, "ms": round(r.duration_ms), "rows": r.rows, "bytes": r.bytes}
            for r in runs
        },
    }


def tokens(layout: LakeLayout, n: int) -> list[str]:
    with open_state(lake=layout.root) as state:
        store = TokenStore(state)
        roles = ("admin", "viewer")
        return [
            store.create(f"bench-{i}", "admin", known_roles=roles, created_by="bench")[0]
            for i in range(n)
        ]


def _client(url: str, token: str, filters: Sequence[str]) -> list[tuple[str, float]]:
    """One pass over the six dashboards per query string of ``filters`` ("" = the default
    filters: the 7 days up to the newest extract)."""
    timings = []
    with httpx.Client(base_url=url, timeout=60, headers={"Authorization": f"Bearer {token}"}) as c:
        for query in filters:
            for board in BOARDS:
                began = time.perf_counter()
                response = c.get(f"/dashboards/{board}/{query}")
                elapsed = (time.perf_counter() - began) * 1000
                response.raise_for_status()
                timings.append((board, elapsed))
    return timings


def distinct_filters(layout: LakeLayout, count: int) -> list[str]:
    """``count`` different filter query strings (date ranges in the extracts' 7 days, with
    no city or one of them): a page with filters of its own cannot be answered from
    anything remembered of another."""
    snapshot = current_snapshot(layout.lake, "ds_kpi_marketplace")
    glob = snapshot_glob(layout.lake, "ds_kpi_marketplace")
    if snapshot is None or snapshot.as_of is None or glob is None:
        raise SystemExit("no ds_kpi_marketplace extract to take the filters' days from")
    newest = datetime.fromisoformat(snapshot.as_of).date()
    rows = duckdb.sql(f"SELECT DISTINCT city FROM '{glob}' ORDER BY 1").fetchall()
    cities = [str(r[0]) for r in rows]
    found = [
        f"?from={newest - timedelta(days=back + span)}&to={newest - timedelta(days=back)}"
        + (f"&city={city}" if city else "")
        for city in [None, *cities]
        for back in range(4)
        for span in range(7)
    ]
    if len(found) < count:
        raise SystemExit(f"only {len(found)} distinct filters; ask for fewer users or rounds")
    return found[:count]


def _user(url: str, token: str, filters: Sequence[str], start: Any, out: Any) -> None:
    """One signed-in user in a process of its own: a warm pass, then one timed pass per
    filter once every user is warm; reports its timings and the CPU its process spent."""
    _client(url, token, [""])
    start.wait()
    cpu = time.process_time()
    timings = _client(url, token, filters)
    out.put({"timings": timings, "cpu_s": time.process_time() - cpu})


def _concurrent(
    url: str, keys: list[str], filters: list[Sequence[str]], pid: int
) -> dict[str, Any]:
    """Every user at once, each in its own process (the client is not one GIL)."""
    start, out = mp.Barrier(len(keys) + 1), mp.Queue()
    users = [
        mp.Process(target=_user, args=(url, k, f, start, out))
        for k, f in zip(keys, filters, strict=True)
    ]
    for user in users:
        user.start()
    start.wait()
    server_cpu, began = tree_cpu_seconds(pid), time.perf_counter()
    results = [out.get() for _ in users]
    wall = time.perf_counter() - began
    server_cpu = tree_cpu_seconds(pid) - server_cpu
    for user in users:
        user.join()
    requests = sum(len(r["timings"]) for r in results)
    client_cpu = sum(r["cpu_s"] for r in results)
    return {
        "summary": _summary([t for r in results for t in r["timings"]]),
        "seconds": round(wall, 2),
        "pages_per_s": round(requests / wall, 1),
        "server_cpu_ms_per_page": round(server_cpu / requests * 1000, 1),
        "client_cpu_ms_per_page": round(client_cpu / requests * 1000, 1),
        "server_cores_busy": round(server_cpu / wall, 2),
        "client_cores_busy": round(client_cpu / wall, 2),
    }


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _summary(timings: list[tuple[str, float]]) -> dict[str, dict[str, float]]:
    out = {}
    for board in BOARDS:
        ms = [t for b, t in timings if b == board]
        out[board] = {
            "requests": len(ms),
            "p50_ms": round(_quantile(ms, 0.5), 1),
            "p95_ms": round(_quantile(ms, 0.95), 1),
            "max_ms": round(max(ms), 1),
        }
    return out


def _phase(url: str, keys: list[str], filters: list[Sequence[str]], pid: int) -> dict[str, Any]:
    """One user alone (``filters[0]``), then every user at once (one list each)."""
    cpu = tree_cpu_seconds(pid)
    timings = _client(url, keys[0], filters[0])
    single_cpu = tree_cpu_seconds(pid) - cpu
    single = _summary(timings)
    concurrent = _concurrent(url, keys, filters[1:], pid)
    worst = concurrent["summary"]
    return {
        "single_user": single,
        "single_user_server_cpu_ms_per_page": round(single_cpu / len(timings) * 1000, 1),
        "concurrent": concurrent,
        "p95_ratio_concurrent_to_single": {
            b: round(worst[b]["p95_ms"] / single[b]["p95_ms"], 2) for b in BOARDS
        },
        "all_within_target": all(v["p95_ms"] <= TARGET_P95_MS for v in worst.values()),
    }


def pages(layout: LakeLayout, users: int, rounds: int, workers: int | None) -> dict[str, Any]:
    """``rastup-data serve`` as shipped (its worker count unless ``workers``; no scheduler or
    NRT refresh competing) on loopback over the built lake, in two phases: every page with
    the default filters (what a team opening its dashboards does: repeated pages), then
    every page with filters no other request used (nothing remembered helps)."""
    keys = tokens(layout, users)
    fresh = distinct_filters(layout, (users + 1) * rounds)
    port = free_port()
    extra = ["--no-scheduler", "--nrt-interval", "0"]
    if workers is not None:
        extra += ["--workers", str(workers)]
    proc = start_serve(layout.root, port, "bench-ingest-key", *extra)
    url = f"http://127.0.0.1:{port}"
    try:
        for key in keys[:2]:  # warm every serve worker: the gate, sessions, Plotly asset
            _client(url, key, ["", ""])
        same = _phase(url, keys, [[""] * rounds] * (users + 1), proc.pid)
        slices = [fresh[i * rounds : (i + 1) * rounds] for i in range(users + 1)]
        distinct = _phase(url, keys, slices, proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)
    return {
        "users": users,
        "rounds_per_user": rounds,
        "serve_workers": workers if workers is not None else f"default ({os.cpu_count()} cores)",
        "same_filters": same,
        "distinct_filters": distinct,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--workers", type=int, default=None, help="serve --workers (default: serve's own)"
    )
    args = parser.parse_args()
    layout, build_info = built_lake(args.events, args.days, args.seed)
    result = {
        "benchmark": "dashboards",
        "at": datetime.now(UTC).isoformat(),
        "machine": machine(),
        "load_before": os.getloadavg(),
        "build": build_info,
        "refresh": refresh_extracts(layout),
        "pages": pages(layout, args.users, args.rounds, args.workers),
        "load_after": os.getloadavg(),
    }
    print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
