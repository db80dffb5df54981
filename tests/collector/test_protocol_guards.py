"""The HTTP protocol's guards, over raw sockets: timeouts, the connection cap, broken
framing, Upgrade, and client hang-ups — each refusal coded, nothing refused stored."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from tests.waiting import wait_until

from rastup_data.collector.protocol import HttpLimits

from .conftest import KEY, LiveCollector, fresh_events, start_collector

FAST = HttpLimits(idle_timeout_s=0.5, header_timeout_s=0.5, body_timeout_s=0.5, max_connections=3)


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[LiveCollector]:
    live, server = start_collector(tmp_path / "lake", http=FAST)
    try:
        yield live
    finally:
        live.client.close()
        server.stop()


def _connect(live: LiveCollector) -> socket.socket:
    host, port = live.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=5)
    return sock


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def _responses(raw: bytes) -> list[tuple[int, dict[str, object]]]:
    """(status, JSON body) of each response in a raw HTTP/1.1 byte stream."""
    out = []
    while raw:
        head, _, rest = raw.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        headers = dict(line.lower().split(b": ", 1) for line in lines[1:])
        length = int(headers[b"content-length"])
        out.append((status, orjson.loads(rest[:length])))
        raw = rest[length:]
    return out


def _request(body: bytes, *, length: int | None = None, extra: bytes = b"") -> bytes:
    return (
        b"POST /v1/events HTTP/1.1\r\nHost: x\r\n"
        + f"Authorization: Bearer {KEY}\r\n".encode()
        + b"Content-Type: application/x-ndjson\r\n"
        + extra
        + b"Content-Length: %d\r\n\r\n" % (len(body) if length is None else length)
        + body
    )


def _stored_ids(live: LiveCollector) -> set[str]:
    live.wait_idle()
    if not any(live.layout.bronze_events.glob("**/*.parquet")):
        return set()
    return {row[0] for row in live.bronze("SELECT event_id FROM t")}


def test_a_content_length_shorter_than_the_body_never_stores_what_was_refused(
    guarded: LiveCollector,
) -> None:
    events = fresh_events(3)
    lines = [orjson.dumps(e) + b"\n" for e in events]
    body = b"".join(lines)
    cases = [len(lines[0]), len(lines[0]) // 2]  # a whole first line, then half of one
    told_accepted: set[str] = set()
    for length in cases:
        sock = _connect(guarded)
        sock.sendall(_request(body, length=length))
        answers = _responses(_read_all(sock))
        sock.close()
        assert answers[-1][0] == 400
        assert answers[-1][1]["error"]["code"] == "REQUEST_MALFORMED"  # type: ignore[index]
        for status, answer in answers[:-1]:
            assert status == 202
            assert answer["accepted"] == (1 if length == len(lines[0]) else 0)
            if answer["accepted"]:
                told_accepted.add(events[0]["ids"]["event_id"])
    time.sleep(0.3)
    assert _stored_ids(guarded) == told_accepted


def test_idle_slow_header_and_slow_body_connections_are_cut(guarded: LiveCollector) -> None:
    started = time.monotonic()
    idle = _connect(guarded)
    assert _read_all(idle) == b""  # closed without a word: it never asked anything
    assert time.monotonic() - started < 3
    idle.close()

    slow_headers = _connect(guarded)
    slow_headers.sendall(b"POST /v1/events HTTP/1.1\r\nHost: x\r\n")
    ((status, answer),) = _responses(_read_all(slow_headers))
    slow_headers.close()
    assert (status, answer["error"]["code"]) == (408, "REQUEST_TIMEOUT")  # type: ignore[index]

    event = fresh_events(1)[0]
    line = orjson.dumps(event) + b"\n"
    slow_body = _connect(guarded)
    slow_body.sendall(_request(line, length=len(line) + 50))  # 50 bytes never come
    ((status, answer),) = _responses(_read_all(slow_body))
    slow_body.close()
    assert (status, answer["error"]["code"]) == (408, "REQUEST_TIMEOUT")  # type: ignore[index]
    assert event["ids"]["event_id"] not in _stored_ids(guarded)
    metrics = guarded.client.get("/metrics").text
    assert 'rastup_errors_total{code="REQUEST_TIMEOUT",component="collector"' in metrics
    assert 'rastup_http_requests_total{route="/v1/events",status="408"} 1.0' in metrics
    assert "rastup_client_aborts_total{" not in metrics
    assert 'code="INTERNAL_ERROR",component="collector",env="dev",severity="critical"} 0.0' in (
        metrics
    )


def test_connections_past_the_cap_are_refused_with_a_code(guarded: LiveCollector) -> None:
    held = [_connect(guarded) for _ in range(3)]
    time.sleep(0.1)
    extra = _connect(guarded)
    ((status, answer),) = _responses(_read_all(extra))
    extra.close()
    assert (status, answer["error"]["code"]) == (503, "INGEST_OVERLOADED")  # type: ignore[index]
    for sock in held:
        sock.close()


def test_an_h2c_upgrade_is_refused_and_says_why(guarded: LiveCollector) -> None:
    line = orjson.dumps(fresh_events(1)[0]) + b"\n"
    sock = _connect(guarded)
    sock.sendall(
        _request(
            line,
            extra=b"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
            b"HTTP2-Settings: AAMAAABkAAQAAP__\r\n",
        )
    )
    ((status, answer),) = _responses(_read_all(sock))
    sock.close()
    assert status == 400
    assert answer["error"]["code"] == "REQUEST_MALFORMED"  # type: ignore[index]
    assert "Upgrade" in answer["error"]["message"]  # type: ignore[index]


def test_a_client_hanging_up_mid_body_is_a_client_abort_not_an_error(
    guarded: LiveCollector,
) -> None:
    line = orjson.dumps(fresh_events(1)[0]) + b"\n"
    for _ in range(3):
        sock = _connect(guarded)
        sock.sendall(_request(line, length=len(line) + 100)[: -len(line) // 2])
        time.sleep(0.05)
        sock.close()
    aborts = 'rastup_client_aborts_total{route="/v1/events"} 3.0'
    with contextlib.suppress(AssertionError):  # the assertion below shows the counters
        wait_until(lambda: aborts in guarded.client.get("/metrics").text, "three aborts counted")
    metrics = guarded.client.get("/metrics").text
    assert aborts in metrics, [
        line for line in metrics.splitlines() if "abort" in line or "http_requests_total" in line
    ]
    assert 'rastup_http_requests_total{route="/v1/events",status="499"} 3.0' in metrics
    for code in ("EVENT_PUT_FAILED", "INTERNAL_ERROR"):
        assert f'code="{code}",component="collector",env="dev",severity="critical"}} 0.0' in (
            metrics
        )
