"""Several collectors on one lake: `serve` processes with their own ports and work folders."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

KEY = "test-key-0123456789"


@dataclass
class Serve:
    """One running `rastup-data serve` (its own process group) and how to reach it."""

    process: subprocess.Popen[bytes]
    port: int
    work: Path
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1/events"


def start_serve(lake: str, port: int, work: Path) -> Serve:
    """`serve --lake LAKE --work-dir WORK` on ``port``, once healthy."""
    work.mkdir(parents=True, exist_ok=True)
    log = work.parent / f"{work.name}-{time.monotonic_ns()}.log"
    env = dict(os.environ, RASTUP_INGEST_KEYS=KEY)
    command = [
        sys.executable, "-m", "rastup_data.cli", "serve", "--lake", lake,
        "--work-dir", str(work), "--port", str(port), "--log-level", "warning",
        "--workers", "1", "--nrt-interval", "0",
    ]  # fmt: skip
    with open(log, "wb") as stderr:
        process = subprocess.Popen(
            command, start_new_session=True, env=env, stdout=subprocess.DEVNULL, stderr=stderr
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5).status_code == 200:
                return Serve(process, port, work, log)
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            raise RuntimeError(log.read_text())
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"serve did not become healthy: {log.read_text()}")


@pytest.fixture(params=["local", "s3"])
def shared_lake(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """One lake for several collectors: a local folder, then an s3:// lake on moto."""
    if request.param == "local":
        return str(tmp_path / "lake")
    lake: str = request.getfixturevalue("s3_lake")
    return lake
