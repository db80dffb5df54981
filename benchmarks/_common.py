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
from pathlib import Path
from typing import Any

import httpx
import orjson

REGISTRY = Path(__file__).parents[1] / "src" / "rastup_data" / "contracts" / "registry"


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
    }


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


def start_serve(lake: Path, port: int, key: str, *extra: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, RASTUP_INGEST_KEYS=key)
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
    stack = [pid]
    page = os.sysconf("SC_PAGE_SIZE")
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/statm") as handle:
                total += int(handle.read().split()[1]) * page
            for task in os.listdir(f"/proc/{current}/task"):
                children = Path(f"/proc/{current}/task/{task}/children").read_text()
                stack.extend(int(c) for c in children.split())
        except (OSError, ValueError):
            continue
    return total


class RssSampler:
    """Samples the serve process tree's resident memory every 50 ms; keeps the peak."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, tree_rss_bytes(self.pid))

    def __enter__(self) -> RssSampler:
        self.peak = tree_rss_bytes(self.pid)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
