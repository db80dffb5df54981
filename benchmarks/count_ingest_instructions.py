"""Instructions per event of a request's pool work, counted by valgrind's cachegrind.

The work a validation worker does for one request (``BodyValidation`` of a JSON array for
``/v1/events``, ``SegmentBody`` of a Segment batch for ``/v1/batch``: parse, map, validate,
PII guard; the result freed), on the same catalogue events in bodies of ``--batch``. Each
kind runs twice under ``valgrind --tool=cachegrind``, with ``--bodies`` bodies and with
``--base-bodies``, so the start-up and imports cancel out of the difference; the garbage
collector is paused as in the workers' steady state. Instruction counts do not move with
the machine's load, unlike CPU seconds. Prints one JSON object (needs ``valgrind``).

``--mapping python`` maps Segment messages with the Python mapping alone (what
``/v1/batch`` costs without the C extension).
"""

from __future__ import annotations

import argparse
import gc
import pickle
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import orjson

from benchmarks._common import catalogue_events, machine

KINDS = ("json", "segment")


def _work(kind: str, mapping: str, bodies: list[bytes]) -> list[Any]:
    """One pool work per body, built as the routes build them."""
    from rastup_data.collector.body import BodyKind
    from rastup_data.collector.segment import SegmentBody, SegmentMapping, load_mapping
    from rastup_data.collector.validation_pool import BodyValidation

    received_at = "2026-11-29T12:00:00.000000Z"
    if kind == "json":
        return [BodyValidation(body, BodyKind.JSON_ARRAY, received_at) for body in bodies]
    tables = load_mapping()
    if mapping == "python":
        tables = SegmentMapping(tables.versions, tables.cities, compiled=False)
    return [SegmentBody(body, None, received_at, tables) for body in bodies]


def run_bodies(kind: str, mapping: str, bodies_file: Path, count: int) -> None:
    """The measured process: the first ``count`` bodies of ``bodies_file`` (made outside
    the count), each result let go at once."""
    from rastup_data.contracts import load_validator
    from rastup_data.ingest.limits import IngestLimits

    bodies = pickle.loads(bodies_file.read_bytes())[:count]
    works = _work(kind, mapping, bodies)
    validator, limits = load_validator(), IngestLimits()
    gc.collect()
    gc.disable()
    for work in works:
        result = work(validator, limits)
        pre = result if kind == "json" else getattr(result, "pre", result)
        if isinstance(pre, tuple) or pre.rejected:  # every event must be accepted
            raise SystemExit(f"not every event was accepted: {pre}"[:300])
        del result, pre


def _instructions(kind: str, mapping: str, bodies_file: Path, count: int) -> int:
    """Instructions of one measured process under cachegrind."""
    out = bodies_file.with_name(f"cachegrind-{kind}-{count}.out")
    command = [
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        f"--cachegrind-out-file={out}",
        sys.executable,
        "-m",
        "benchmarks.count_ingest_instructions",
        "--measured",
        kind,
        "--mapping",
        mapping,
        "--bodies-file",
        str(bodies_file),
        "--bodies",
        str(count),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if found is None:
        raise RuntimeError(f"no instruction count in valgrind's output: {done.stderr[-500:]}")
    return int(found.group(1).replace(",", ""))


def count(bodies: int, base: int, batch: int, mapping: str) -> dict[str, Any]:
    from benchmarks.bench_ingest import request_bodies

    lines = catalogue_events(bodies * batch)
    per_event: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="rastup-cg-") as tmp:
        for kind in KINDS:
            print(f"counting {kind} ({base} and {bodies} bodies)…", file=sys.stderr, flush=True)
            bodies_file = Path(tmp) / f"{kind}.pickle"
            bodies_file.write_bytes(pickle.dumps(request_bodies(lines, batch, kind)))
            small = _instructions(kind, mapping, bodies_file, base)
            large = _instructions(kind, mapping, bodies_file, bodies)
            per_event[kind] = (large - small) / ((bodies - base) * batch)
    return {
        "benchmark": "count_ingest_instructions",
        "machine": machine(),
        "bodies": bodies,
        "base_bodies": base,
        "batch": batch,
        "segment_mapping": mapping,
        "instructions_per_event": {k: round(v) for k, v in per_event.items()},
        "ratio_segment_to_json": round(per_event["segment"] / per_event["json"], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bodies", type=int, default=24, help="bodies in the larger run")
    parser.add_argument("--base-bodies", type=int, default=4, help="bodies in the smaller run")
    parser.add_argument("--batch", type=int, default=500, help="events a body")
    parser.add_argument(
        "--mapping",
        choices=["compiled", "python"],
        default="compiled",
        help="the Segment mapping: as installed (the C extension when built) or Python only",
    )
    parser.add_argument("--measured", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--bodies-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measured is not None:
        run_bodies(args.measured, args.mapping, args.bodies_file, args.bodies)
        return
    result = count(args.bodies, args.base_bodies, args.batch, args.mapping)
    print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
