"""Segment's ``POST /v1/batch`` against the native ``POST /v1/events``, in one invocation.

The same catalogue events, as JSON arrays of 500 to ``/v1/events`` and as Segment batches of
500 track messages to ``/v1/batch`` (what the SDKs send), in interleaved pairs (the order
alternating) so both sides meet the same machine load: durable throughput of a live
``rastup-data serve`` (``bench_ingest``) and, unless ``--no-cpu``, collector CPU per event
in one process (``bench_ingest_cpu``), which the machine's load distorts less. The
target: ``/v1/batch`` throughput at least 0.9 × the native one (median of the per-pair
ratios). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from typing import Any

import orjson

from benchmarks import bench_ingest, bench_ingest_cpu
from benchmarks._common import machine

TARGET_RATIO = 0.9
SIDES = ("json", "segment")


def _pair_order(index: int) -> tuple[str, ...]:
    return SIDES if index % 2 == 0 else SIDES[::-1]


def _progress(kind: str, pair: dict[str, Any]) -> None:
    """Each pair as it finishes, on stderr (a long run shows where it is)."""
    print(
        f"{kind} pair: {orjson.dumps(pair, option=orjson.OPT_NON_STR_KEYS).decode()}",
        file=sys.stderr,
        flush=True,
    )


def throughput_pairs(runs: int, events: int, workers: int | None) -> list[dict[str, Any]]:
    """``runs`` interleaved pairs of live-serve runs (NRT refresh off, as in RESULTS.md)."""
    pairs = []
    for index in range(runs):
        pair: dict[str, Any] = {}
        for body in _pair_order(index):
            result = bench_ingest.run(events, 500, 8, workers, body, 0.0)
            pair[body] = {
                "events_per_s": result["throughput_events_per_s"],
                "accepted": result["accepted"],
                "landed": result["landed"],
                "statuses": result["statuses"],
                "cpu_us_per_event": result["cpu_us_per_event"],
                "load_average_1m": result["load_average_1m"],
            }
        pair["ratio"] = round(pair["segment"]["events_per_s"] / pair["json"]["events_per_s"], 4)
        _progress("throughput", pair)
        pairs.append(pair)
    return pairs


def cpu_pairs(runs: int, events: int) -> list[dict[str, Any]]:
    """``runs`` interleaved pairs of the in-process CPU-per-event measurement."""
    pairs = []
    for index in range(runs):
        pair: dict[str, Any] = {}
        for body in _pair_order(index):
            result = bench_ingest_cpu.run(events, 500, body)
            pair[body] = {
                "cpu_us_per_event": result["cpu_us_per_event"],
                "load_average_1m": result["load_average_1m"],
            }
        pair["ratio"] = round(
            pair["segment"]["cpu_us_per_event"] / pair["json"]["cpu_us_per_event"], 4
        )
        _progress("cpu", pair)
        pairs.append(pair)
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="interleaved pairs of each kind")
    parser.add_argument("--events", type=int, default=200_000, help="events per serve run")
    parser.add_argument("--cpu-events", type=int, default=50_000, help="events per CPU run")
    parser.add_argument(
        "--workers", type=int, default=None, help="serve --workers (default: one per core)"
    )
    parser.add_argument("--no-cpu", action="store_true", help="skip the CPU-per-event pairs")
    args = parser.parse_args()
    load_before = round(os.getloadavg()[0], 2)
    pairs = throughput_pairs(args.runs, args.events, args.workers)
    ratios = [pair["ratio"] for pair in pairs]
    out: dict[str, Any] = {
        "benchmark": "segment",
        "machine": machine(),
        "load_average_1m_before": load_before,
        "throughput_pairs": pairs,
        "throughput_ratio_median": statistics.median(ratios),
        "throughput_ratio_range": [min(ratios), max(ratios)],
        "target_ratio": TARGET_RATIO,
        "target_met": statistics.median(ratios) >= TARGET_RATIO,
    }
    if not args.no_cpu:
        cpu = cpu_pairs(args.runs, args.cpu_events)
        out["cpu_pairs"] = cpu
        out["cpu_ratio_median"] = statistics.median(pair["ratio"] for pair in cpu)
    out["load_average_1m_after"] = round(os.getloadavg()[0], 2)
    print(orjson.dumps(out, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode())


if __name__ == "__main__":
    main()
