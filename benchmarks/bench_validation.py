"""Benchmark of the collector's hot path: ``EventValidator.check`` on orjson-parsed events.

Prints one JSON object, e.g. ``{"events_per_s": 260000, ...}``. The events are the
registry's examples of every event type with fresh ids, user ids and timestamps, so the
PII prefilter sees realistic variety. Events are parsed and checked in batches of 1,000
as the collector does (keeping every parsed dict alive would measure the garbage
collector instead). Run: ``python benchmarks/bench_validation.py``.
"""

from __future__ import annotations

import argparse
import copy
import random
import statistics
import sys
import time
import uuid
from typing import Any

import orjson

from rastup_data.contracts import load_registry, load_validator


def typical_events(count: int, seed: int = 7) -> list[bytes]:
    """``count`` valid events as JSON lines, cycling through every registered event type."""
    rng = random.Random(seed)
    registry = load_registry()
    templates = [dict(schema.examples[0]) for schema in registry.latest()]
    lines = []
    for index in range(count):
        event: dict[str, Any] = copy.deepcopy(templates[index % len(templates)])
        event["ids"]["event_id"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        event["user_id"] = f"u_{rng.getrandbits(40):010x}"
        event["anon_id"] = f"a_{rng.getrandbits(40):010x}"
        second = rng.randrange(86_400)
        event["occurred_at"] = (
            f"2026-11-20T{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}."
            f"{rng.randrange(1000):03d}Z"
        )
        event["received_at"] = event["occurred_at"]
        lines.append(orjson.dumps(event))
    return lines


def run(count: int, rounds: int, batch: int = 1000) -> dict[str, Any]:
    """Median rates over ``rounds``; events are parsed and checked in collector-sized batches.

    Rates are per CPU second of this (single-threaded) process, i.e. per core, so other
    work on a shared machine does not distort them; wall-clock rates are reported beside.
    """
    validator = load_validator()
    lines = typical_events(count)
    batches = [lines[start : start + batch] for start in range(0, count, batch)]
    check = validator.check
    rates: dict[str, list[float]] = {"check": [], "check_wall": [], "parse": []}
    for _ in range(rounds):
        started = time.process_time()
        for chunk in batches:
            [orjson.loads(line) for line in chunk]
        rates["parse"].append(count / (time.process_time() - started))
        cpu = wall = 0.0
        rejected = 0
        for chunk in batches:
            events = [orjson.loads(line) for line in chunk]
            started, started_wall = time.process_time(), time.perf_counter()
            for event in events:
                if check(event) is not None:
                    rejected += 1
            cpu += time.process_time() - started
            wall += time.perf_counter() - started_wall
        rates["check"].append(count / cpu)
        rates["check_wall"].append(count / wall)
        if rejected:
            raise SystemExit(f"{rejected} typical events were rejected; the benchmark is invalid")
    return {
        "benchmark": "contracts.validation",
        "events_per_s": round(statistics.median(rates["check"])),
        "wall_clock_events_per_s": round(statistics.median(rates["check_wall"])),
        # Bare orjson parsing of the same lines, for scale.
        "orjson_parse_events_per_s": round(statistics.median(rates["parse"])),
        "clock": "process CPU time (one core)",
        "events": count,
        "batch": batch,
        "rounds": rounds,
        "event_types": len(load_registry().latest()),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    sys.stdout.write(orjson.dumps(run(args.events, args.rounds)).decode() + "\n")


if __name__ == "__main__":
    main()
