"""The hostile-input fuzzer against a real `serve` (two worker processes and a supervisor).

`make test` sends a bounded number of seeded requests (``--fuzz-requests``, 600 by default);
`make fuzz` sends 100,000. Asserted: no 5xx, every refusal carries a registered code, every
event the collector acknowledged is in Bronze exactly once, nothing it did not acknowledge
is, every rejected event is in quarantine, and the serve process tree stays under
``MEMORY_BOUND_MIB``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import httpx
import orjson
import pytest
from benchmarks._common import RssSampler
from tests.waiting import start_serve_process

from rastup_data.errors import ErrorCode

from .conftest import free_port
from .hostile import KEY, Attack, Fuzzer

#: The serve process tree (supervisor, two workers, lander) must stay below this.
MEMORY_BOUND_MIB = 1024
THREADS = 4
CODES = {code.value for code in ErrorCode}

CONFIG = f"""
[collector]
ingest_keys = ["{KEY}"]

[collector.http]
idle_timeout_s = 2.0
header_timeout_s = 2.0
body_timeout_s = 2.0
"""


@dataclass
class Tally:
    """What the collector answered, over the whole run."""

    statuses: Counter[int] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    told_accepted: set[str] = field(default_factory=set)
    not_stored: set[str] = field(default_factory=set)
    rejected: int = 0
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, attack: Attack, answers: list[tuple[int, Any]]) -> None:
        with self.lock:
            self.kinds[attack.kind] += 1
            told = False
            for status, body in answers:
                self.statuses[status] += 1
                if status >= 500 and status != 503:
                    self.problems.append(f"{attack.kind}: {status} {body!r:.300}")
                if status >= 400 and not _coded(body):
                    self.problems.append(f"{attack.kind}: uncoded {status} {body!r:.300}")
                if status == 202 and not told:
                    told = True
                    self._verdicts(attack, body)
            if not told:
                self.not_stored.update(i for i in attack.ids if i)
            if attack.expect_answer and not answers:
                self.problems.append(f"{attack.kind}: no answer")

    def _verdicts(self, attack: Attack, body: dict[str, Any]) -> None:
        results = {r["index"]: r for r in body["results"]}
        count = body["accepted"] + body["duplicates"] + body["rejected"]
        if count != len(attack.ids) and attack.kind != "short_length":
            self.problems.append(f"{attack.kind}: verdicts for {count} of {len(attack.ids)}")
        self.rejected += body["rejected"]
        for index in range(count):
            event_id = attack.ids[index] if index < len(attack.ids) else None
            verdict = results.get(index)
            if verdict is None:
                if event_id is None:
                    self.problems.append(f"{attack.kind}: index {index} accepted without an id")
                else:
                    self.told_accepted.add(event_id)
            elif verdict["status"] == "rejected" and event_id:
                self.not_stored.add(event_id)
        for event_id in attack.ids[count:]:
            if event_id:
                self.not_stored.add(event_id)


def _coded(body: Any) -> bool:
    return isinstance(body, dict) and body.get("error", {}).get("code") in CODES


def _answers(raw: bytes) -> list[tuple[int, Any]]:
    out: list[tuple[int, Any]] = []
    while raw.startswith(b"HTTP/1.1 "):
        head, _, rest = raw.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        headers = dict(line.lower().split(b": ", 1) for line in lines[1:] if b": " in line)
        length = int(headers.get(b"content-length", b"0"))
        try:
            body = orjson.loads(rest[:length])
        except orjson.JSONDecodeError:
            body = rest[:length]
        out.append((status, body))
        raw = rest[length:]
    return out


def _send(port: int, attack: Attack) -> list[tuple[int, Any]]:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        data = attack.data
        try:
            if attack.hang_up_after is not None:
                sock.sendall(data[: attack.hang_up_after])
                return []
            if attack.trickle_s:
                for start in range(0, len(data), 16):
                    sock.sendall(data[start : start + 16])
                    time.sleep(attack.trickle_s)
            else:
                sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused mid-send: read what it said
        chunks = []
        while True:
            try:
                chunk = sock.recv(1 << 16)
            except (ConnectionResetError, TimeoutError):
                break
            if not chunk:
                break
            chunks.append(chunk)
    return _answers(b"".join(chunks))


def _serve(lake: Path, port: int) -> subprocess.Popen[bytes]:
    config = lake.parent / "fuzz.toml"
    lake.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(CONFIG)
    env = {k: v for k, v in os.environ.items() if k != "RASTUP_INGEST_KEYS"}
    arguments = [
        "--lake", str(lake), "--workers", "2", "--nrt-interval", "0", "--log-level", "error",
        "--config", str(config),
    ]  # fmt: skip
    return start_serve_process(port, arguments, env=env)


def _stored(lake: Path) -> tuple[list[str], int]:
    conn = duckdb.connect()
    events = (
        [
            row[0]
            for row in conn.execute(
                f"SELECT event_id FROM read_parquet('{lake}/bronze/events/**/*.parquet')"
            ).fetchall()
        ]
        if list(lake.glob("bronze/events/**/*.parquet"))
        else []
    )
    bad = (
        conn.execute(
            f"SELECT count(*) FROM read_parquet('{lake}/bronze/_bad/**/*.parquet')"
        ).fetchone()
        if list(lake.glob("bronze/_bad/**/*.parquet"))
        else (0,)
    )
    conn.close()
    return events, int(bad[0]) if bad else 0


def test_hostile_requests_cost_nothing_and_lose_nothing(
    tmp_path: Path, pytestconfig: pytest.Config
) -> None:
    requests = int(pytestconfig.getoption("--fuzz-requests"))
    fuzzer = Fuzzer(int(pytestconfig.getoption("--fuzz-seed")))
    lake = tmp_path / "lake"
    port = free_port()
    proc = _serve(lake, port)
    tally = Tally()
    generate = threading.Lock()
    sent = [0]
    started = time.monotonic()

    def run() -> None:
        while True:
            with generate:
                if sent[0] >= requests:
                    return
                sent[0] += 1
                if sent[0] % 10_000 == 0:
                    print(f"fuzz: {sent[0]:,} of {requests:,} requests sent", flush=True)
                attack = fuzzer.next()
                del fuzzer.accepted_batches[:-200]
            try:
                tally.record(attack, _send(port, attack))
            except Exception as exc:  # a broken fuzzer must fail the test, not stop quietly
                with tally.lock:
                    tally.problems.append(f"{attack.kind}: fuzzer error {exc!r}")

    try:
        with RssSampler(proc.pid) as rss:
            threads = [threading.Thread(target=run) for _ in range(THREADS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            alive = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).json()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # lands everything spooled, then exits
        proc.wait(timeout=180)
    seconds = time.monotonic() - started
    stored, quarantined = _stored(lake)
    summary = {
        "requests": requests,
        "seed": pytestconfig.getoption("--fuzz-seed"),
        "seconds": round(seconds, 1),
        "statuses": dict(sorted(tally.statuses.items())),
        "kinds": dict(sorted(tally.kinds.items())),
        "acknowledged_events": len(tally.told_accepted),
        "stored_events": len(stored),
        "distinct_stored": len(set(stored)),
        "rejected_verdicts": tally.rejected,
        "quarantined": quarantined,
        "peak_rss_mib": round(rss.peak / 2**20, 1),
        "health_at_end": alive["status"],
    }
    print("\nfuzz summary: " + orjson.dumps(summary, option=orjson.OPT_NON_STR_KEYS).decode())
    assert tally.problems == [], tally.problems[:20]
    assert not [s for s in tally.statuses if s >= 500 and s != 503], summary
    assert len(stored) == len(set(stored)), "an event was stored twice"
    assert set(stored) - tally.told_accepted == set(), "stored without being acknowledged"
    assert tally.told_accepted - set(stored) == set(), "acknowledged but not stored"
    assert not (tally.not_stored - tally.told_accepted) & set(stored)
    assert quarantined == tally.rejected
    assert rss.peak < MEMORY_BOUND_MIB * 2**20, summary
    assert proc.returncode == 0
