"""Dashboards benchmark: server time of each dashboard page with its data, 8 signed-in users
at once, on the extracts of the 10 M-event build; and the refresh time of the six extracts.

One run on the cached 10 M-event Bronze of ``bench_build`` (generated there once): the base
days are hard-linked into a lake of their own, built in full once (cached while the lake
exists), then (a) the six datasets are refreshed into extracts, timed; (b) ``serve``'s app
runs in this process on loopback and 8 clients, each with its own token, request the six
dashboards round-robin; each request's time (request sent to last byte, on loopback) is the
server time of the page with all its tiles' gated queries. A single client's pass is the
baseline the concurrent numbers are compared with. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import uvicorn

from benchmarks._common import free_port, machine
from benchmarks.bench_build import OUT, _link_tree, bronze_cache_dir, cached_bronze
from rastup_data.bi import RefreshLimits, RefreshRequest, load_schedule, refresh_datasets
from rastup_data.bi.home import dashboards_dir
from rastup_data.collector.app import create_app
from rastup_data.collector.runtime import CollectorConfig, CollectorRuntime
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


def _serve(layout: LakeLayout) -> tuple[str, uvicorn.Server, threading.Thread]:
    runtime = CollectorRuntime(CollectorConfig(lake=layout.root, validation_workers=0))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server, thread


def _client(url: str, token: str, rounds: int) -> list[tuple[str, float]]:
    timings = []
    with httpx.Client(base_url=url, timeout=60, headers={"Authorization": f"Bearer {token}"}) as c:
        for _ in range(rounds):
            for board in BOARDS:
                began = time.perf_counter()
                response = c.get(f"/dashboards/{board}/")
                elapsed = (time.perf_counter() - began) * 1000
                response.raise_for_status()
                timings.append((board, elapsed))
    return timings


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


def pages(layout: LakeLayout, users: int, rounds: int) -> dict[str, Any]:
    url, server, thread = _serve(layout)
    keys = tokens(layout, users)
    try:
        _client(url, keys[0], 1)  # warm: secure sessions, the manifest, Plotly asset
        single = _summary(_client(url, keys[0], rounds))
        with ThreadPoolExecutor(users) as pool:
            results = list(pool.map(lambda k: _client(url, k, rounds), keys))
        concurrent = _summary([t for result in results for t in result])
    finally:
        server.should_exit = True
        thread.join(timeout=60)
    return {
        "users": users,
        "rounds_per_user": rounds,
        "single_user": single,
        "concurrent": concurrent,
        "p95_ratio_concurrent_to_single": {
            b: round(concurrent[b]["p95_ms"] / single[b]["p95_ms"], 2) for b in BOARDS
        },
        "all_within_target": all(v["p95_ms"] <= TARGET_P95_MS for v in concurrent.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    layout, build_info = built_lake(args.events, args.days, args.seed)
    result = {
        "benchmark": "dashboards",
        "at": datetime.now(UTC).isoformat(),
        "machine": machine(),
        "load_before": os.getloadavg(),
        "build": build_info,
        "refresh": refresh_extracts(layout),
        "pages": pages(layout, args.users, args.rounds),
        "load_after": os.getloadavg(),
    }
    print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
