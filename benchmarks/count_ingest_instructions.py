"""Instructions per event of a request's pool work (or of its whole request path), counted
by valgrind's cachegrind.

The work a validation worker does for one request (``BodyValidation`` of a JSON array for
``/v1/events``, ``SegmentBody`` of a Segment batch for ``/v1/batch``: parse, map, validate,
PII guard; the result freed), on the same catalogue events in bodies of ``--batch``. Each
kind runs twice under ``valgrind --tool=cachegrind``, with ``--bodies`` bodies and with
``--base-bodies``, so the start-up and imports cancel out of the difference; the garbage
collector is paused as in the workers' steady state. Instruction counts do not move with
the machine's load, unlike CPU seconds; the measured processes share one hash seed, so
the counts repeat. Prints one JSON object (needs ``valgrind``).

``--mapping python`` maps Segment messages with the Python mapping alone (what
``/v1/batch`` costs without the C extension).

``--path request`` counts the whole request path of the serving thread instead: the
collector app (validation inline, no lander) called through its ASGI interface with each
body delivered in 64 KiB chunks as the server hands them over, from the route's auth and
body reading through the pool work, dedupe, the spool append and the response, with no
HTTP client in the process. The lander (the same records for both endpoints) is left out
so that its timing-dependent batching cannot move the difference.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import pickle
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from benchmarks._common import catalogue_events, machine
from rastup_data.ingest.gc_pause import gc_paused

KINDS = ("json", "segment")
PATHS = ("pool", "request")
#: What the server hands the app at a time (uvicorn reads the socket 64 KiB at a time).
_CHUNK = 65536


@dataclass(frozen=True, slots=True)
class Options:
    """What is counted: the pool work or the whole request path, and which mapping."""

    path: str = "pool"
    mapping: str = "compiled"


def _tables(mapping: str) -> Any:
    """The Segment mapping's tables, mapped in C when built or (``python``) in Python."""
    from rastup_data.collector.segment import SegmentMapping, load_mapping

    tables = load_mapping()
    if mapping == "python":
        tables = SegmentMapping(tables.versions, tables.cities, compiled=False)
    return tables


def _work(kind: str, mapping: str, bodies: list[bytes]) -> list[Any]:
    """One pool work per body, built as the routes build them."""
    from rastup_data.collector.body import BodyKind
    from rastup_data.collector.segment import SegmentBody
    from rastup_data.collector.validation_pool import BodyValidation

    received_at = "2026-11-29T12:00:00.000000Z"
    if kind == "json":
        return [BodyValidation(body, BodyKind.JSON_ARRAY, received_at) for body in bodies]
    tables = _tables(mapping)
    return [SegmentBody(body, None, received_at, tables) for body in bodies]


def run_bodies(kind: str, options: Options, bodies_file: Path, count: int) -> None:
    """The measured process: the first ``count`` bodies of ``bodies_file`` (made outside
    the count), each result let go at once."""
    from rastup_data.contracts import load_validator
    from rastup_data.ingest.limits import IngestLimits

    bodies = pickle.loads(bodies_file.read_bytes())[:count]
    if options.path == "request":
        asyncio.run(_serve_bodies(kind, options.mapping, bodies))
        return
    works = _work(kind, options.mapping, bodies)
    validator, limits = load_validator(), IngestLimits()
    gc.collect()
    with gc_paused():
        for work in works:
            result = work(validator, limits)
            pre = result if kind == "json" else getattr(result, "pre", result)
            if isinstance(pre, tuple) or pre.rejected:  # every event must be accepted
                raise SystemExit(f"not every event was accepted: {pre}"[:300])
            del result, pre


async def _serve_bodies(kind: str, mapping: str, bodies: list[bytes]) -> None:
    """The whole request path: each body posted to the app's ASGI interface in turn."""
    from benchmarks.bench_ingest import KEY, target
    from rastup_data.collector.app import create_app
    from rastup_data.collector.runtime import CollectorConfig, CollectorRuntime

    to = target("segment" if kind == "segment" else "json")
    headers = [(k.lower().encode(), v.encode()) for k, v in to.headers.items()]
    with tempfile.TemporaryDirectory(prefix="rastup-cg-lake-") as tmp:
        config = CollectorConfig(lake=Path(tmp) / "lake", keys=frozenset({KEY}), land=False)
        runtime = CollectorRuntime(config)
        runtime.start()
        try:
            app = create_app(runtime, manage_lifecycle=False)
            if kind == "segment":
                app.state.segment_mapping = _tables(mapping)
            gc.collect()
            with gc_paused():
                for body in bodies:
                    status, answer = await _post(app, to.path, headers, body)
                    if status != to.stored or _not_all_stored(answer):
                        raise SystemExit(f"{to.path} answered {status} {answer[:300]!r}")
        finally:
            runtime.stop()


def _not_all_stored(answer: bytes) -> bool:
    """Whether an ingest answer tells of any event not accepted (every event must be)."""
    counts = orjson.loads(answer)
    return any(counts.get(name) for name in ("rejected", "quarantined", "duplicates", "suppressed"))


async def _post(
    app: Any, path: str, headers: list[tuple[bytes, bytes]], body: bytes
) -> tuple[int, bytes]:
    """One POST through the ASGI interface; the status and body of its answer."""
    chunks = [body[i : i + _CHUNK] for i in range(0, len(body), _CHUNK)]
    messages = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [*headers, (b"content-length", str(len(body)).encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    status, answer = 0, bytearray()

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            answer.extend(message.get("body", b""))

    await app(scope, receive, send)
    return status, bytes(answer)


def _instructions(kind: str, options: Options, bodies_file: Path, count: int) -> int:
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
        options.mapping,
        "--path",
        options.path,
        "--bodies-file",
        str(bodies_file),
        "--bodies",
        str(count),
    ]
    # One hash seed for every measured process: the probes of each dict lookup follow the
    # strings' hashes, which otherwise move the count by ~1k an event from run to run.
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if found is None:
        raise RuntimeError(f"no instruction count in valgrind's output: {done.stderr[-500:]}")
    return int(found.group(1).replace(",", ""))


def count(bodies: int, base: int, batch: int, options: Options) -> dict[str, Any]:
    from benchmarks.bench_ingest import request_bodies

    lines = catalogue_events(bodies * batch)
    per_event: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="rastup-cg-") as tmp:
        for kind in KINDS:
            print(f"counting {kind} ({base} and {bodies} bodies)…", file=sys.stderr, flush=True)
            bodies_file = Path(tmp) / f"{kind}.pickle"
            bodies_file.write_bytes(pickle.dumps(request_bodies(lines, batch, kind)))
            small = _instructions(kind, options, bodies_file, base)
            large = _instructions(kind, options, bodies_file, bodies)
            per_event[kind] = (large - small) / ((bodies - base) * batch)
    return {
        "benchmark": "count_ingest_instructions",
        "machine": machine(),
        "bodies": bodies,
        "base_bodies": base,
        "batch": batch,
        "path": options.path,
        "segment_mapping": options.mapping,
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
    parser.add_argument(
        "--path",
        choices=PATHS,
        default="pool",
        help="count the pool work alone, or the whole request path of the serving thread",
    )
    parser.add_argument("--measured", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--bodies-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    options = Options(path=args.path, mapping=args.mapping)
    if args.measured is not None:
        run_bodies(args.measured, options, args.bodies_file, args.bodies)
        return
    result = count(args.bodies, args.base_bodies, args.batch, options)
    print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
