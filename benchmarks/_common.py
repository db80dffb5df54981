"""Helpers shared by the benchmarks: machine facts, events, a live collector process."""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
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
