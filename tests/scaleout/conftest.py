"""Several collectors on one lake: `serve` processes with their own ports and work folders."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.waiting import start_serve_process, stop_group

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
    arguments = [
        "--lake", lake, "--work-dir", str(work), "--log-level", "warning",
        "--workers", "1", "--nrt-interval", "0",
    ]  # fmt: skip
    env = dict(os.environ, RASTUP_INGEST_KEYS=KEY)
    process = start_serve_process(port, arguments, env=env, log=log)
    return Serve(process, port, work, log)


@pytest.fixture(params=["local", "s3"])
def shared_lake(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """One lake for several collectors: a local folder, then an s3:// lake on moto."""
    if request.param == "local":
        return str(tmp_path / "lake")
    lake: str = request.getfixturevalue("s3_lake")
    return lake


@pytest.fixture
def serves() -> Iterator[Callable[[str, int, Path], Serve]]:
    """``start_serve`` for a test; whatever still runs when the test ends is killed with its
    process group, so a failing test leaves no collector behind."""
    started: list[Serve] = []

    def start(lake: str, port: int, work: Path) -> Serve:
        serve = start_serve(lake, port, work)
        started.append(serve)
        return serve

    yield start
    for serve in started:
        if serve.process.poll() is None:
            stop_group(serve.process)
