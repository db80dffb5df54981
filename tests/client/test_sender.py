"""send_file / send_lines end to end against the stub collector."""

from __future__ import annotations

import gzip
import io
import json
import math
import threading
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from rich.console import Console

from rastup_data.client import RetryPolicy, send_file, send_lines
from rastup_data.errors import ErrorCode, RastupError

FAST = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02)


def write_mixed_file(path: Path, kit: ModuleType) -> dict[str, Any]:
    """A file with good events, blanks, malformed lines, a schema-invalid event and repeats."""
    good = kit.ndjson_lines(40)
    bad_schema = json.dumps(kit.make_event(1000, name="bad.event")).encode()
    lines: list[bytes] = []
    for i, line in enumerate(good):
        lines.append(line)
        if i % 10 == 0:
            lines.append(b"")  # blank
    lines += [b"{oops", bad_schema, good[0], good[1], good[2], b"   ", b"not json at all"]
    path.write_bytes(b"\n".join(lines) + b"\n")
    malformed_line_numbers = [
        i + 1 for i, line in enumerate(lines) if line in (b"{oops", b"not json at all")
    ]
    return {
        "events": sum(1 for line in lines if line.strip()),
        "accepted": 40,
        "duplicates": 3,
        "rejected": {"EVENT_MALFORMED_JSON": 2, "EVENT_SCHEMA_INVALID": 1},
        "malformed_lines": malformed_line_numbers,
    }


def test_summary_counts_match_the_file(tmp_path: Path, stub: Any, kit: ModuleType) -> None:
    expected = write_mixed_file(tmp_path / "events.ndjson", kit)
    summary = send_file(
        tmp_path / "events.ndjson",
        url=stub.url,
        key=stub.key,
        batch=7,
        concurrency=1,
        retry=FAST,
        progress=False,
    )
    assert summary.events_read == expected["events"]
    assert summary.sent == expected["events"]
    assert summary.accepted == expected["accepted"]
    assert summary.duplicates == expected["duplicates"]
    assert summary.rejected_by_code == expected["rejected"]
    assert summary.rejected == sum(expected["rejected"].values())
    assert summary.failed_batches == 0
    assert summary.failed_events == 0
    assert summary.ok
    assert summary.exit_code == 0
    assert summary.batches == math.ceil(expected["events"] / 7) == summary.requests
    malformed = [r.line for r in summary.rejections if r.code == "EVENT_MALFORMED_JSON"]
    assert malformed == expected["malformed_lines"]
    assert summary.bytes_read == (tmp_path / "events.ndjson").stat().st_size
    assert summary.bytes_sent == sum(len(r.raw_body) for r in stub.requests)
    assert summary.elapsed_s > 0
    assert summary.events_per_s > 0


def test_batching_caps_and_every_line_sent_once(tmp_path: Path, stub: Any, kit: ModuleType) -> None:
    lines = kit.ndjson_lines(230)
    path = tmp_path / "e.ndjson"
    path.write_bytes(b"\n".join(lines) + b"\n")
    summary = send_file(
        path, url=stub.url, key=stub.key, batch=50, concurrency=3, retry=FAST, progress=False
    )
    sizes = sorted(len(r.lines) for r in stub.requests)
    assert sizes == [30, 50, 50, 50, 50]
    assert sorted(line for r in stub.requests for line in r.lines) == sorted(lines)
    assert summary.accepted == 230


def test_byte_cap_limits_body_size(stub: Any, kit: ModuleType) -> None:
    lines = kit.ndjson_lines(100)
    cap = 10 * len(lines[0]) + 5
    summary = send_lines(
        lines, url=stub.url, key=stub.key, batch=1000, max_body_bytes=cap, retry=FAST
    )
    assert summary.accepted == 100
    assert all(len(r.body) <= cap for r in stub.requests)
    assert len(stub.requests) >= 10


def test_requests_run_concurrently(stub: Any, kit: ModuleType) -> None:
    active = 0
    peak = 0
    lock = threading.Lock()
    original = stub._answer

    def counting(headers: dict[str, str], raw: bytes) -> Any:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        try:
            threading.Event().wait(0.1)
            return original(headers, raw)
        finally:
            with lock:
                active -= 1

    stub._answer = counting
    summary = send_lines(
        kit.ndjson_lines(80), url=stub.url, key=stub.key, batch=10, concurrency=4, retry=FAST
    )
    assert summary.accepted == 80
    assert 2 <= peak <= 4


def test_gzip_file_and_failed_batches(tmp_path: Path, stub: Any, kit: ModuleType) -> None:
    lines = kit.ndjson_lines(30)
    path = tmp_path / "e.ndjson.gz"
    path.write_bytes(gzip.compress(b"\n".join(lines)))
    overloaded = kit.Reply(503, {"error": {"code": "INGEST_OVERLOADED", "message": "full"}})
    stub.push(*[overloaded] * FAST.max_attempts)
    summary = send_file(
        path, url=stub.url, key=stub.key, batch=10, concurrency=1, retry=FAST, progress=False
    )
    assert summary.events_read == 30
    assert summary.failed_batches == 1
    assert summary.failed_events == 10
    assert summary.failures_by_code == {"INGEST_OVERLOADED": 10}
    assert (summary.failures[0].first_line, summary.failures[0].last_line) == (1, 10)
    assert summary.accepted == 20
    assert not summary.ok
    assert summary.exit_code == 1


def test_bad_key_stops_early(stub: Any, kit: ModuleType) -> None:
    produced = 0

    def lines() -> Any:
        nonlocal produced
        for line in kit.ndjson_lines(5000):
            produced += 1
            yield line

    summary = send_lines(lines(), url=stub.url, key="wrong", batch=10, concurrency=2, retry=FAST)
    assert summary.stopped_early is not None
    assert "401" in summary.stopped_early
    assert summary.failures_by_code.keys() == {"AUTH_FAILED"}
    assert summary.accepted == 0
    assert len(stub.requests) < 20
    assert produced < 5000
    assert summary.exit_code == 1


def test_missing_key_is_a_config_error(
    stub: Any, kit: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RASTUP_KEY", raising=False)
    with pytest.raises(RastupError) as info:
        send_lines(kit.ndjson_lines(1), url=stub.url)
    assert info.value.code is ErrorCode.CONFIG_INVALID
    assert "RASTUP_KEY" in info.value.message
    assert stub.requests == []


def test_url_and_key_default_to_environment(
    stub: Any, kit: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RASTUP_URL", stub.url)
    monkeypatch.setenv("RASTUP_KEY", stub.key)
    summary = send_lines(kit.ndjson_lines(3))
    assert summary.accepted == 3


def test_progress_bar_only_on_a_terminal(tmp_path: Path, stub: Any, kit: ModuleType) -> None:
    path = tmp_path / "e.ndjson"
    path.write_bytes(b"\n".join(kit.ndjson_lines(20)) + b"\n")
    quiet = io.StringIO()
    send_file(path, url=stub.url, key=stub.key, console=Console(file=quiet), retry=FAST)
    assert quiet.getvalue() == ""
    shown = io.StringIO()
    console = Console(file=shown, force_terminal=True, width=120)
    send_file(path, url=stub.url, key=stub.key, console=console, retry=FAST)
    assert "20 events" in shown.getvalue()
    assert "sending" in shown.getvalue()


def test_on_batch_callback_sees_every_batch(stub: Any, kit: ModuleType) -> None:
    seen: list[tuple[int, int]] = []
    lock = threading.Lock()

    def record(batch: Any, result: Any) -> None:
        with lock:
            seen.append((batch.seq, result.accepted))

    send_lines(
        kit.ndjson_lines(25), url=stub.url, key=stub.key, batch=10, on_batch=record, retry=FAST
    )
    assert sorted(seen) == [(0, 10), (1, 10), (2, 5)]


def test_a_401_also_ends_other_batches_waiting_to_retry(stub: Any, kit: ModuleType) -> None:
    overloaded = kit.Reply(
        503, {"error": {"code": "INGEST_OVERLOADED", "message": "full"}}, {"Retry-After": "30"}
    )
    stub.push(overloaded)
    started = time.monotonic()
    summary = send_lines(
        kit.ndjson_lines(20),
        url=stub.url,
        key="wrong",
        batch=10,
        concurrency=2,
        retry=RetryPolicy(max_attempts=5),
    )
    assert time.monotonic() - started < 10
    assert summary.failures_by_code == {"AUTH_FAILED": 10, "INGEST_OVERLOADED": 10}
    assert summary.stopped_early is not None
    assert len(stub.requests) == 2


def test_empty_and_blank_files_send_nothing(tmp_path: Path, stub: Any) -> None:
    for content in (b"", b"\n\n  \n"):
        path = tmp_path / "empty.ndjson"
        path.write_bytes(content)
        summary = send_file(path, url=stub.url, key=stub.key, progress=False)
        assert summary.events_read == 0
        assert summary.requests == 0
        assert summary.ok
    assert stub.requests == []
