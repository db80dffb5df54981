"""Ingest benchmark: durable throughput, request latency, ingest → Bronze lag, vs orjson.

One run on loopback: a `rastup-data serve` process with its own lake (its defaults: one
collector process per core, NRT refresh every 30 s), a load generator in another process
posting pre-built batches of 500 (JSON arrays, as a plain HTTP client sends them, NDJSON,
or the same events as Segment track messages to ``POST /v1/batch``) over 8 keep-alive
connections, and, as the baseline in the same run, bare `orjson.loads` of
the same events on one core. The resident memory of the serve process tree is sampled
throughout. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import multiprocessing as mp
import os
import signal
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import orjson

from benchmarks._common import (
    RssSampler,
    bronze_lag,
    catalogue_events,
    free_port,
    machine,
    start_serve,
    tree_rss_bytes,
)
from rastup_data.collector.segment.mapping import track_message

KEY = "bench-key"


@dataclass(frozen=True, slots=True)
class Target:
    """Where the load generator posts, with what headers, and the status that means stored."""

    path: str
    headers: dict[str, str]
    stored: int


def target(body: str) -> Target:
    """``json``/``ndjson``: ``POST /v1/events``; ``segment``: Segment's ``POST /v1/batch``
    with the key as HTTP Basic user, as the SDKs send it."""
    if body == "segment":
        basic = base64.b64encode(f"{KEY}:".encode()).decode()
        headers = {"Authorization": f"Basic {basic}", "Content-Type": "application/json"}
        return Target("/v1/batch", headers, 200)
    kind = "application/json" if body == "json" else "application/x-ndjson"
    return Target("/v1/events", {"Authorization": f"Bearer {KEY}", "Content-Type": kind}, 202)


def orjson_baseline(lines: list[bytes]) -> float:
    """Events per second for bare ``orjson.loads`` of each line, best of three."""
    best = 0.0
    for _ in range(3):
        started = time.perf_counter()
        for line in lines:
            orjson.loads(line)
        best = max(best, len(lines) / (time.perf_counter() - started))
    return best


def _load(port: int, bodies: list[bytes], to: Target, threads: int, out: Any) -> None:
    latencies: list[float] = []
    accepted = 0
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    cursor = iter(range(len(bodies)))

    def worker() -> None:
        nonlocal accepted
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                index = next(cursor, None)
            if index is None:
                break
            started = time.perf_counter()
            conn.request("POST", to.path, bodies[index], to.headers)
            response = conn.getresponse()
            data = response.read()
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                statuses[response.status] = statuses.get(response.status, 0) + 1
                if response.status == to.stored:
                    accepted += orjson.loads(data)["accepted"]
        conn.close()

    started = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    out.put(
        {
            "seconds": time.perf_counter() - started,
            "latencies": latencies,
            "accepted": accepted,
            "statuses": statuses,
        }
    )


def _cpu_seconds(pid: int) -> dict[str, float]:
    """User+system CPU seconds of a process and of each of its children, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}

    def read(p: int) -> tuple[str, float]:
        with open(f"/proc/{p}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        with open(f"/proc/{p}/cmdline", "rb") as handle:
            cmd = handle.read().replace(b"\0", b" ").decode(errors="replace")
        return cmd, (int(fields[11]) + int(fields[12])) / tick

    try:
        _, out["server"] = read(pid)
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return out
    for index, child in enumerate(children):
        try:
            cmd, seconds = read(int(child))
        except OSError:
            continue
        kind = "spawned" if "multiprocessing" in cmd else "child"
        out[f"{kind}_{index}"] = seconds
    return out


def _quantile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 1000) - 1]


def request_bodies(lines: list[bytes], batch: int, body: str) -> list[bytes]:
    """The events as request bodies of ``batch`` events each, in the ``body`` form."""
    chunks = [lines[i : i + batch] for i in range(0, len(lines), batch)]
    if body == "json":
        return [b"[" + b",".join(chunk) + b"]" for chunk in chunks]
    if body == "segment":
        sent_at = "2026-11-29T12:00:00.000Z"
        return [
            orjson.dumps(
                {"batch": [track_message(orjson.loads(e)) for e in chunk], "sentAt": sent_at}
            )
            for chunk in chunks
        ]
    return [b"\n".join(chunk) + b"\n" for chunk in chunks]


def run(
    events: int, batch: int, threads: int, workers: int | None, body: str, nrt_interval: float
) -> dict[str, Any]:
    lines = catalogue_events(events)
    baseline = orjson_baseline(lines)
    bodies = request_bodies(lines, batch, body)
    extra = ["--nrt-interval", str(nrt_interval)]
    if workers is not None:
        extra += ["--workers", str(workers)]
    with tempfile.TemporaryDirectory(prefix="rastup-bench-") as tmp:
        lake = Path(tmp) / "lake"
        port = free_port()
        proc = start_serve(lake, port, KEY, *extra)
        try:
            rss_idle = tree_rss_bytes(proc.pid)
            cpu_before = _cpu_seconds(proc.pid)
            queue: Any = mp.Queue()
            loader = mp.Process(target=_load, args=(port, bodies, target(body), threads, queue))
            with RssSampler(proc.pid) as rss:
                loader.start()
                result = queue.get()
                loader.join()
            cpu_after = _cpu_seconds(proc.pid)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=120)
        lag = bronze_lag(lake)
        landed = duckdb.sql(
            f"SELECT count(*) FROM read_parquet('{lake}/bronze/events/**/*.parquet')"
        ).fetchall()[0][0]
    latencies = result["latencies"]
    throughput = result["accepted"] / result["seconds"]
    return {
        "benchmark": "ingest",
        "machine": machine(),
        "events": events,
        "batch": batch,
        "body": body,
        "client_threads": threads,
        "collector_processes": workers or os.cpu_count(),
        "nrt_interval_s": nrt_interval,
        "accepted": result["accepted"],
        "landed": landed,
        "statuses": result["statuses"],
        "seconds": round(result["seconds"], 3),
        "throughput_events_per_s": round(throughput),
        "orjson_baseline_events_per_s": round(baseline),
        "ratio_to_orjson": round(throughput / baseline, 4),
        "target_ratio": 0.12,
        "request_latency_ms": {
            "p50": round(_quantile(latencies, 0.5) * 1000, 2),
            "p95": round(_quantile(latencies, 0.95) * 1000, 2),
            "p99": round(_quantile(latencies, 0.99) * 1000, 2),
        },
        "ingest_to_bronze_s": {
            k: round(v, 3) if isinstance(v, float) else v for k, v in lag.items()
        },
        "target_ingest_to_bronze_p95_s": 2.0,
        "cpu_seconds_during_load": {
            k: round(v - cpu_before.get(k, 0.0), 2) for k, v in cpu_after.items()
        },
        "cpu_us_per_event": round(
            sum(v - cpu_before.get(k, 0.0) for k, v in cpu_after.items())
            / max(result["accepted"], 1)
            * 1e6,
            2,
        ),
        "serve_rss_mib": {
            "idle_before": round(rss_idle / 2**20, 1),
            "peak_under_load": round(rss.peak / 2**20, 1),
        },
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="collector processes (serve --workers; default: serve's own, one per core)",
    )
    parser.add_argument(
        "--body",
        choices=["json", "ndjson", "segment"],
        default="json",
        help="request bodies: JSON arrays (application/json) or NDJSON to /v1/events, or "
        "Segment batches of the same events to /v1/batch",
    )
    parser.add_argument(
        "--nrt-interval",
        type=float,
        default=30.0,
        help="serve --nrt-interval (default: serve's own, 30 s; 0 turns NRT refresh off)",
    )
    args = parser.parse_args()
    print(
        orjson.dumps(
            run(args.events, args.batch, args.threads, args.workers, args.body, args.nrt_interval),
            option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS,
        ).decode()
    )


if __name__ == "__main__":
    main()
