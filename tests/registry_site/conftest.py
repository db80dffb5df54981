"""A real collector on loopback serving a copy of the shared built lake."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from rastup_data.collector.app import create_app
from rastup_data.collector.runtime import CollectorConfig, CollectorRuntime
from rastup_data.spool.spool import SpoolConfig


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served_lake(built_lake: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of `serve` over a copy of the built lake (its build generated the site)."""
    lake = tmp_path_factory.mktemp("served") / "lake"
    shutil.copytree(built_lake.root, lake)
    runtime = CollectorRuntime(
        CollectorConfig(lake=lake, validation_workers=0, spool=SpoolConfig(rotate_s=0.1))
    )
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "collector did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def site_pages(root: Path) -> list[Path]:
    return sorted(root.rglob("*.html"))
