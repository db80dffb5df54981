"""Collector CPU per event in one process, independent of the machine's load.

The collector app over a runtime (validation inline, the lander thread landing meanwhile)
takes requests of 500 catalogue events through its ASGI interface (JSON arrays to
``/v1/events``, or ``--body segment``: the same events as Segment batches to
``/v1/batch``); the result is the process's CPU seconds per event, which other processes on
the machine do not inflate the way they do wall-clock throughput. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

from benchmarks._common import catalogue_events, machine
from benchmarks.bench_ingest import KEY, Target, request_bodies, target
from rastup_data.collector.app import create_app
from rastup_data.collector.runtime import CollectorConfig, CollectorRuntime


async def _post_all(
    runtime: CollectorRuntime, bodies: list[bytes], to: Target
) -> tuple[float, float]:
    """CPU seconds of the whole process and of the thread serving the requests (the
    first request, which builds what a route loads once, not counted)."""
    app = create_app(runtime, manage_lifecycle=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://collector") as client:
        warm = await client.post(to.path, content=bodies[0], headers=to.headers)
        if warm.status_code != to.stored:
            raise RuntimeError(warm.text)
        started, thread_started = time.process_time(), time.thread_time()
        for body in bodies[1:]:
            response = await client.post(to.path, content=body, headers=to.headers)
            if response.status_code != to.stored:
                raise RuntimeError(response.text)
        return time.process_time() - started, time.thread_time() - thread_started


def run(events: int, batch: int, body: str = "json") -> dict[str, Any]:
    lines = catalogue_events(events + batch)
    bodies = request_bodies(lines, batch, body)
    with tempfile.TemporaryDirectory(prefix="rastup-bench-") as tmp:
        config = CollectorConfig(lake=Path(tmp) / "lake", keys=frozenset({KEY}))
        runtime = CollectorRuntime(config)
        runtime.start()
        try:
            cpu, serving = asyncio.run(_post_all(runtime, bodies, target(body)))
        finally:
            runtime.stop()
    return {
        "benchmark": "ingest_cpu",
        "machine": machine(),
        "events": events,
        "batch": batch,
        "body": body,
        "cpu_seconds": round(cpu, 3),
        "cpu_us_per_event": round(cpu / events * 1e6, 2),
        # The request-serving thread alone (HTTP, parse, validate, dedupe, spool hand-off);
        # the rest is the lander and spool writer threads of the same process.
        "serving_us_per_event": round(serving / events * 1e6, 2),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument(
        "--body",
        choices=["json", "segment"],
        default="json",
        help="JSON arrays to /v1/events, or Segment batches of the same events to /v1/batch",
    )
    args = parser.parse_args()
    result = run(args.events, args.batch, args.body)
    print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
