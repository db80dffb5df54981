"""Suppression cost on the collector's hot path: CPU per event with and without erasures.

``bench_ingest_cpu``'s measurement (one process, ``create_app`` over a runtime, JSON-array
requests of catalogue events through the ASGI app, validation inline, the lander landing
meanwhile), run in interleaved rounds: ``off`` (nobody erased: the check is skipped), ``on``
(1,000 erased users and 1,000 erased anonymous ids, none of them in the traffic: every event
pays the keyed hashes), ``hits`` (as ``on`` with 1 % of the events from erased subjects, which
are answered ``suppressed``). The ratio is on/off of the medians, from the same run. Prints
one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
from pathlib import Path
from typing import Any

import orjson

from benchmarks._common import catalogue_events, machine
from benchmarks.bench_ingest_cpu import KEY, _post_all
from rastup_data.collector.runtime import CollectorConfig, CollectorRuntime
from rastup_data.ingest.suppression import SubjectSuppression, subject_digest

ERASED = 1000


def _suppression(key: bytes) -> SubjectSuppression:
    ids = [f"u_erased{i:06d}" for i in range(ERASED)] + [f"a_erased{i:06d}" for i in range(ERASED)]
    return SubjectSuppression(key, frozenset(subject_digest(key, i) for i in ids))


def _bodies(events: int, batch: int, *, erased_share: float) -> list[bytes]:
    lines = catalogue_events(events)
    every = round(1 / erased_share) if erased_share else 0
    if every:
        for n in range(0, len(lines), every):
            event = orjson.loads(lines[n])
            event["user_id"] = f"u_erased{n % ERASED:06d}"
            lines[n] = orjson.dumps(event)
    return [b"[" + b",".join(lines[i : i + batch]) + b"]" for i in range(0, len(lines), batch)]


def _round(mode: str, bodies: list[bytes], events: int) -> float:
    with tempfile.TemporaryDirectory(prefix="rastup-bench-") as tmp:
        config = CollectorConfig(lake=Path(tmp) / "lake", keys=frozenset({KEY}))
        runtime = CollectorRuntime(config)
        runtime.start()
        try:
            if mode != "off":
                runtime.acceptor.suppression = _suppression(os.urandom(32))
            cpu = asyncio.run(_post_all(runtime, bodies))
        finally:
            runtime.stop()
    return cpu / events * 1e6


def run(events: int, batch: int, rounds: int) -> dict[str, Any]:
    plain = _bodies(events, batch, erased_share=0.0)
    with_hits = _bodies(events, batch, erased_share=0.01)
    samples: dict[str, list[float]] = {"off": [], "on": [], "hits": []}
    loads = [os.getloadavg()[0]]
    for _ in range(rounds):
        for mode in samples:
            bodies = with_hits if mode == "hits" else plain
            samples[mode].append(round(_round(mode, bodies, events), 2))
            loads.append(os.getloadavg()[0])
    medians = {mode: statistics.median(values) for mode, values in samples.items()}
    return {
        "benchmark": "suppression",
        "machine": machine(),
        "events_per_round": events,
        "batch": batch,
        "erased_ids": 2 * ERASED,
        "cpu_us_per_event": samples,
        "median_cpu_us_per_event": medians,
        "ratio_on_over_off": round(medians["on"] / medians["off"], 3),
        "ratio_hits_over_off": round(medians["hits"] / medians["off"], 3),
        "load_average_1m": {"min": round(min(loads), 2), "max": round(max(loads), 2)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(
        orjson.dumps(run(args.events, args.batch, args.rounds), option=orjson.OPT_INDENT_2).decode()
    )


if __name__ == "__main__":
    main()
