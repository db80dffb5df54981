"""Helpers shared by the benchmarks: machine facts, events, a live collector process."""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import duckdb
import httpx
import orjson

REGISTRY = Path(__file__).parents[1] / "src" / "rastup_data" / "contracts" / "registry"


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "ram_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
    }


def cpu_seconds() -> float:
    """User + system CPU seconds of this process so far (DuckDB's threads included)."""
    times = os.times()
    return times.user + times.system


def catalogue_events(n: int) -> list[bytes]:
    """``n`` valid NDJSON envelopes cycling through the catalogue, each with a new event_id."""
    examples = []
    for path in sorted(REGISTRY.glob("events/*/v*.json")):
        example = orjson.loads(path.read_bytes())["examples"][0]
        example.pop("received_at", None)
        examples.append(example)
    out = []
    for i in range(n):
        event = examples[i % len(examples)]
        event["ids"]["event_id"] = str(uuid.uuid4())
        out.append(orjson.dumps(event))
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_serve(
    lake: Path,
    port: int,
    key: str,
    *extra: str,
    environ: Mapping[str, str] | None = None,
    log: IO[bytes] | None = None,
) -> subprocess.Popen[bytes]:
    """``rastup-data serve`` on loopback, once /healthz answers; ``environ`` adds variables,
    ``log`` takes its output (else it shares the benchmark's)."""
    env = dict(os.environ, RASTUP_INGEST_KEYS=key, **(environ or {}))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rastup_data.cli",
            "serve",
            "--lake",
            str(lake),
            "--port",
            str(port),
            "--log-level",
            "warning",
            *extra,
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT if log is not None else None,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("serve did not start")


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of a process and all its descendants, from /proc."""
    total = 0
    page = os.sysconf("SC_PAGE_SIZE")
    for current in _tree_pids(pid):
        try:
            with open(f"/proc/{current}/statm") as handle:
                total += int(handle.read().split()[1]) * page
        except (OSError, ValueError):
            continue
    return total


def _tree_pids(pid: int) -> list[int]:
    """A process and all its live descendants, from /proc."""
    out: list[int] = []
    stack = [pid]
    while stack:
        current = stack.pop()
        out.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                children = Path(f"/proc/{current}/task/{task}/children").read_text()
                stack.extend(int(c) for c in children.split())
        except (OSError, ValueError):
            continue
    return out


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process tree, finished children included.

    Each live process counts its own time and that of the children it has reaped
    (``cutime``/``cstime``), so a build child that came and went is not lost.
    """
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for current in _tree_pids(pid):
        try:
            with open(f"/proc/{current}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(f) for f in fields[11:15])
    return total / tick


def bronze_lag(lake: Path, since: float = 0.0) -> dict[str, float]:
    """Per event landed by a collector: landed (manifest time of its file) minus received_at.

    Only events received at or after ``since`` (epoch seconds). Also the worst p95 of any
    minute of receipt (``worst_minute_p95_s``).
    """
    conn = duckdb.connect()
    conn.execute("SET TimeZone='UTC'")
    conn.execute(
        f"""
        CREATE TEMP TABLE lag AS
        WITH landed AS (
            SELECT f.path AS path, epoch(CAST(m.at AS TIMESTAMPTZ)) AS landed_at
            FROM read_json('{lake}/_manifest/landings-*.ndjson') m, unnest(m.files) t(f)
            WHERE m.kind = 'landing'
        ), ev AS (
            SELECT filename, epoch(received_at) AS received
            FROM read_parquet('{lake}/bronze/events/**/*.parquet', filename=true)
        )
        SELECT ev.received AS received, l.landed_at - ev.received AS lag
        FROM ev JOIN landed l ON ev.filename = '{lake}/' || l.path
        WHERE ev.received >= {float(since)}
        """
    )
    row = conn.execute(
        "SELECT quantile_cont(lag, [0.5, 0.95, 0.99]), max(lag), count(*) FROM lag"
    ).fetchall()[0]
    worst = conn.execute(
        "SELECT max(p95) FROM (SELECT quantile_cont(lag, 0.95) AS p95 FROM lag "
        "GROUP BY floor(received / 60))"
    ).fetchall()[0][0]
    p50, p95, p99 = row[0] or (None, None, None)
    return {
        "p50_s": p50,
        "p95_s": p95,
        "p99_s": p99,
        "max_s": row[1],
        "worst_minute_p95_s": worst,
        "events": row[2],
    }


class RssSampler:
    """Samples the serve process tree's resident memory every ``every`` s; keeps the peak."""

    def __init__(self, pid: int, every: float = 0.05) -> None:
        self.pid = pid
        self.every = every
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.peak = max(self.peak, tree_rss_bytes(self.pid))

    def __enter__(self) -> RssSampler:
        self.peak = tree_rss_bytes(self.pid)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
