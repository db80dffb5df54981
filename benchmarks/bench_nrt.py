"""NRT freshness benchmark: how old is the data the NRT ops views reflect, under steady load.

One run on loopback: a `rastup-data serve` process with its own lake and a short
``--nrt-interval``; a load process sending simulator events at a steady rate through the
client (`send_lines`); the main process sampling every few seconds the age of the newest
event the current NRT snapshot saw (now − ``newest_received_at`` from FRESHNESS.json) and
the ``rastup_nrt_freshness_seconds`` gauge (seconds since that snapshot was built). After
the load, one refresh is timed in-process on the final lake to show where its time goes.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import signal
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import httpx
import orjson

from benchmarks._common import free_port, machine, start_serve
from rastup_data.lake.layout import LakeLayout
from rastup_data.transform import read_nrt_freshness, refresh_nrt

KEY = "bench-key"
TARGET_FRESHNESS_S = 60.0


def _paced(lines: list[bytes], rate: float, duration: float) -> Iterator[bytes]:
    """Yield lines at ``rate`` per second for ``duration`` seconds (cycling if needed)."""
    started = time.perf_counter()
    total = int(rate * duration)
    for i in range(total):
        due = started + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        yield lines[i % len(lines)]


def _load(port: int, rate: float, duration: float, users: int, out: Any) -> None:
    from rastup_data.client import send_lines
    from rastup_data.simulate import SimulationConfig, iter_event_lines

    config = SimulationConfig(seed=11, days=1, users=users, start=datetime.now(UTC).date())
    lines = list(iter_event_lines(config))
    out.put({"ready": True, "generated": len(lines)})
    summary = send_lines(
        _paced(lines, rate, duration),
        url=f"http://127.0.0.1:{port}",
        key=KEY,
        batch=max(50, int(rate / 10)),
        concurrency=2,
    )
    out.put(
        {
            "sent": summary.sent,
            "accepted": summary.accepted,
            "duplicates": summary.duplicates,
            "rejected": summary.rejected,
            "failed_events": summary.failed_events,
            "seconds": summary.elapsed_s,
        }
    )


def _gauge(port: int) -> float | None:
    try:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
    except httpx.HTTPError:
        return None
    for line in text.splitlines():
        if line.startswith("rastup_nrt_freshness_seconds"):
            return float(line.rsplit(" ", 1)[1])
    return None


def _summary(values: list[float]) -> dict[str, float | int]:
    if not values:
        return {"samples": 0}
    ordered = sorted(values)
    cuts = statistics.quantiles(ordered, n=100, method="inclusive") if len(ordered) > 1 else None
    return {
        "samples": len(ordered),
        "p50": round(statistics.median(ordered), 2),
        "p95": round(cuts[94] if cuts else ordered[0], 2),
        "max": round(ordered[-1], 2),
    }


def timed_refreshes(layout: LakeLayout) -> dict[str, Any]:
    """Two NRT refreshes in a fresh process (cold: dbt import and parse; warm) and a plain scan.

    The plain scan reads what the NRT views read from Bronze, so warm minus scan is roughly
    the fixed cost of a dbt invocation.
    """
    cold_started = time.perf_counter()
    refresh_nrt(layout)
    cold = time.perf_counter() - cold_started
    warm_started = time.perf_counter()
    refresh_nrt(layout)
    warm = time.perf_counter() - warm_started
    with duckdb.connect() as conn:
        scan_started = time.perf_counter()
        files, rows, _ = conn.execute(
            f"SELECT count(DISTINCT filename), count(*), max(received_at) "
            f"FROM read_parquet('{layout.events_glob}', filename=true)"
        ).fetchall()[0]
        scan = time.perf_counter() - scan_started
    return {
        "cold_refresh_s": round(cold, 2),
        "warm_refresh_s": round(warm, 2),
        "plain_bronze_scan_s": round(scan, 3),
        "bronze_files": files,
        "bronze_rows": rows,
    }


def run(rate: float, duration: float, interval: float, sample_every: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="rastup-bench-nrt-") as tmp:
        layout = LakeLayout(Path(tmp) / "lake")
        port = free_port()
        proc = start_serve(
            layout.root, port, KEY, "--nrt-interval", str(interval), environ={"DO_NOT_TRACK": "1"}
        )
        samples: list[dict[str, Any]] = []
        try:
            queue: Any = mp.Queue()
            users = max(1_000, int(rate * duration / 5))
            loader = mp.Process(target=_load, args=(port, rate, duration, users, queue))
            loader.start()
            generated = queue.get()["generated"]
            load_started = time.monotonic()
            while loader.is_alive() and time.monotonic() - load_started < duration + 60:
                time.sleep(sample_every)
                now = datetime.now(UTC)
                freshness = read_nrt_freshness(layout)
                samples.append(
                    {
                        "t": round(time.monotonic() - load_started, 1),
                        "data_age_s": (
                            freshness.lag_seconds(now)
                            if freshness and freshness.newest_received_at
                            else None
                        ),
                        "snapshot": freshness.snapshot_id if freshness else None,
                        "gauge_s": _gauge(port),
                    }
                )
            load = queue.get(timeout=120)
            loader.join()
            queue.close()
            queue.join_thread()
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=120)
        refresh = timed_refreshes(layout)
    steady = [s["data_age_s"] for s in samples if s["data_age_s"] is not None]
    first = next((s["t"] for s in samples if s["data_age_s"] is not None), None)
    snapshots = [s["snapshot"] for s in samples if s["snapshot"]]
    gauge = [s["gauge_s"] for s in samples if s["gauge_s"] is not None and s["gauge_s"] >= 0]
    ages = _summary(steady)
    return {
        "benchmark": "nrt",
        "machine": machine(),
        "date_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "rate_events_per_s": rate,
        "duration_s": duration,
        "nrt_interval_s": interval,
        "sample_every_s": sample_every,
        "load": {
            **load,
            "events_per_s": round(load["sent"] / load["seconds"]),
            "distinct_lines": generated,
        },
        "first_snapshot_after_s": first,
        "snapshots_seen": len(set(snapshots)),
        "data_age_s": ages,
        "snapshot_age_gauge_s": _summary(gauge),
        "target_data_age_s": TARGET_FRESHNESS_S,
        "meets_target": bool(steady) and ages["max"] <= TARGET_FRESHNESS_S,
        "refresh_after_load": refresh,
        "samples": samples,
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=3_000.0, help="events per second")
    parser.add_argument("--duration", type=float, default=90.0, help="seconds of load")
    parser.add_argument("--interval", type=float, default=10.0, help="serve --nrt-interval")
    parser.add_argument("--sample-every", type=float, default=2.0, help="seconds")
    args = parser.parse_args()
    result = run(args.rate, args.duration, args.interval, args.sample_every)
    print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
