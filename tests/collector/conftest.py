"""A real collector on a loopback port, with the real registry, for integration tests."""

from __future__ import annotations

import contextlib
import gzip
import os
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import httpx
import orjson
import pytest
from tests.waiting import start_serve_process, wait_until

from rastup_data.collector.protocol import HttpLimits
from rastup_data.collector.runtime import CollectorConfig, CollectorRuntime
from rastup_data.collector.server import CollectorServer, ServerOptions
from rastup_data.governance.principals import TokenStore
from rastup_data.lake.layout import LakeLayout
from rastup_data.spool.spool import SpoolConfig
from rastup_data.state import open_state

REGISTRY = Path(__file__).parents[2] / "src" / "rastup_data" / "contracts" / "registry"
KEY = "test-key-0123456789"


def registry_examples() -> list[dict[str, Any]]:
    """One complete example envelope per registered event, from the registry files."""
    out = []
    for path in sorted(REGISTRY.glob("events/*/v*.json")):
        out.append(orjson.loads(path.read_bytes())["examples"][0])
    return out


def fresh_events(n: int) -> list[dict[str, Any]]:
    """``n`` valid events cycling through the catalogue, each with a new event_id."""
    examples = registry_examples()
    events = []
    for i in range(n):
        event = orjson.loads(orjson.dumps(examples[i % len(examples)]))
        event.pop("received_at", None)
        event["ids"]["event_id"] = str(uuid.uuid4())
        events.append(event)
    return events


Batch = list[dict[str, Any]]


class BatchLoad:
    """Four clients posting the batches until stopped, batch ``i`` to ``urls[i % len(urls)]``
    (round-robin, as behind a load balancer): which events were acknowledged (202), which
    batches each url acknowledged, which were not (an error or any other answer)."""

    def __init__(self, urls: list[str], batches: list[Batch], *, timeout: float = 5.0) -> None:
        self.urls = urls
        self.headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
        self.batches = batches
        self.timeout = timeout
        self.acked: set[str] = set()
        self.acked_at: list[list[Batch]] = [[] for _ in urls]
        self.unacked: list[Batch] = []
        self.errors: list[str] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self._cursor = iter(range(len(batches)))
        self._threads = [threading.Thread(target=self._post) for _ in range(4)]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def join(self) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join()

    def ack(self, batch: Batch) -> None:
        self.acked.update(str(e["ids"]["event_id"]) for e in batch)

    def _post(self) -> None:
        with httpx.Client(timeout=self.timeout) as client:
            while not self.stop.is_set():
                with self.lock:
                    index = next(self._cursor, None)
                if index is None:
                    return
                self._send(client, index)

    def _send(self, client: httpx.Client, index: int) -> None:
        batch, url = self.batches[index], index % len(self.urls)
        try:
            response = client.post(
                self.urls[url], content=orjson.dumps(batch), headers=self.headers
            )
        except httpx.HTTPError as exc:
            with self.lock:
                self.unacked.append(batch)
                self.errors.append(repr(exc))
            return
        with self.lock:
            if response.status_code == 202:
                self.ack(batch)
                self.acked_at[url].append(batch)
            else:
                self.unacked.append(batch)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveCollector:
    url: str
    layout: LakeLayout
    runtime: CollectorRuntime
    client: httpx.Client

    def post(self, body: bytes, **headers: str) -> httpx.Response:
        """POST to /v1/events; without a ``content_type`` a body starting with ``[`` goes
        as application/json, any other as application/x-ndjson."""
        hdrs = {"Authorization": f"Bearer {KEY}"}
        if "content_type" not in headers:
            plain = body
            if headers.get("content_encoding") == "gzip":
                try:
                    plain = gzip.decompress(body)
                except (OSError, EOFError):
                    plain = b""
            is_array = plain.lstrip()[:1] == b"["
            hdrs["Content-Type"] = "application/json" if is_array else "application/x-ndjson"
        hdrs.update({k.replace("_", "-"): v for k, v in headers.items()})
        return self.client.post("/v1/events", content=body, headers=hdrs)

    def bronze(self, sql: str = "SELECT count(*) FROM t") -> list[tuple[Any, ...]]:
        if not any(self.layout.bronze_events.glob("**/*.parquet")):
            return duckdb.sql(sql.replace("FROM t", "FROM (SELECT 1 WHERE false)")).fetchall()
        conn = duckdb.connect()
        conn.execute(
            f"CREATE VIEW t AS SELECT * FROM read_parquet('{self.layout.events_glob}', "
            "hive_partitioning=true)"
        )
        return conn.execute(sql).fetchall()

    def bad(self) -> list[tuple[Any, ...]]:
        if not any(self.layout.bronze_bad.glob("**/*.parquet")):
            return []
        return duckdb.sql(
            f"SELECT code, event_id, raw FROM read_parquet('{self.layout.bad_glob}') ORDER BY code"
        ).fetchall()

    def wait_landed(self, events: int) -> None:
        wait_until(lambda: self.bronze()[0][0] >= events, f"{events} events landed")

    def wait_idle(self) -> None:
        """Until the spool holds nothing unlanded."""
        wait_until(self._spool_drained, "the spool drained")

    def _spool_drained(self) -> bool:
        status = self.runtime.lander.status()
        open_bytes = sum(p.stat().st_size for p in self.layout.spool.glob("*.open") if p.exists())
        return (
            status.backlog_segments == 0
            and open_bytes == 0
            and not list(self.layout.spool.glob("*.ndjson"))
        )


def start_collector(root: Path, **config: Any) -> tuple[LiveCollector, CollectorServer]:
    config.setdefault("spool", SpoolConfig(rotate_s=0.1))
    config.setdefault("validation_workers", 0)
    http = config.pop("http", HttpLimits())
    unhealthy_exit_s = config.pop("unhealthy_exit_s", ServerOptions.unhealthy_exit_s)
    runtime = CollectorRuntime(CollectorConfig(lake=root, keys=frozenset({KEY}), **config))
    options = ServerOptions(
        port=0, log_level="warning", loop="asyncio", http=http, unhealthy_exit_s=unhealthy_exit_s
    )
    server = CollectorServer(runtime, options)
    server.start(timeout=10)
    url = server.url
    return LiveCollector(url, LakeLayout(root), runtime, httpx.Client(base_url=url)), server


def gate_token(live: LiveCollector, role: str = "analyst") -> dict[str, str]:
    """Headers carrying a new query-gate token of ``role`` from the collector's state database."""
    with open_state(lake=live.layout.root) as state:
        secret, _ = TokenStore(state).create("pm", role, known_roles=(role,), created_by="test")
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[LiveCollector]:
    live, server = start_collector(tmp_path / "lake")
    try:
        yield live
    finally:
        live.client.close()
        server.stop()


def start_serve(lake: Path, port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    """`rastup-data serve` in its own process group (kill -9 takes every process), healthy."""
    arguments = [
        "--lake", str(lake), "--log-level", "warning", "--workers", str(workers),
        "--nrt-interval", "0",
    ]  # fmt: skip
    return start_serve_process(
        port,
        arguments,
        env=dict(os.environ, RASTUP_INGEST_KEYS=KEY),
        log=lake.parent / f"serve-{time.monotonic_ns()}.log",
    )


def descendants(pid: int) -> set[int]:
    """Every process below ``pid``, from /proc (the children of each of its threads)."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        for children in Path(f"/proc/{parent}/task").glob("*/children"):
            try:
                kids = {int(k) for k in children.read_text().split()}
            except OSError:
                continue
            todo.extend(kids - found)
            found |= kids
    return found


def process_state(pid: int) -> str | None:
    """The /proc state letter of ``pid`` (R, S, T: stopped, Z: zombie…); None if it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def still_running(pids: set[int]) -> set[int]:
    """The processes of ``pids`` that exist and are not zombies."""
    return {pid for pid in pids if process_state(pid) not in (None, "Z")}


def wait_gone(pids: set[int]) -> set[int]:
    """Wait until none of ``pids`` runs; the ones still running at the deadline."""
    with contextlib.suppress(AssertionError):
        wait_until(lambda: not still_running(pids), f"processes {sorted(pids)} gone")
    return still_running(pids)
