"""A small real HTTP server on 127.0.0.1 that plays the collector with scripted answers.

By default it answers like the collector's contract: 401 for a wrong key, 413 over its
limits, and 202 with per-event verdicts (non-JSON line -> EVENT_MALFORMED_JSON, event_id seen
before -> duplicate, event "bad.event" -> EVENT_SCHEMA_INVALID). Tests push scripted replies
(status, headers, connection reset, delay) that are served first, one per request.
"""

from __future__ import annotations

import gzip
import json
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    status: int = 202
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    reset: bool = False
    delay: float = 0.0


@dataclass(frozen=True)
class Recorded:
    at: float
    headers: dict[str, str]
    raw_body: bytes
    body: bytes
    lines: list[bytes]


class StubCollector:
    def __init__(
        self, key: str = "test-key", max_events: int = 1000, max_body: int = 4 * 1024 * 1024
    ) -> None:
        self.key = key
        self.max_events = max_events
        self.max_body = max_body
        self.script: deque[Reply] = deque()
        self.requests: list[Recorded] = []
        self.stored: dict[str, bytes] = {}
        self.lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def push(self, *replies: Reply) -> None:
        with self.lock:
            self.script.extend(replies)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def verdicts(self, lines: list[bytes]) -> dict[str, Any]:
        results: list[dict[str, Any]] = []
        accepted = 0
        for index, line in enumerate(lines):
            try:
                event = json.loads(line)
                event_id = event["ids"]["event_id"]
            except (ValueError, KeyError, TypeError):
                results.append(
                    {
                        "index": index,
                        "event_id": None,
                        "status": "rejected",
                        "code": "EVENT_MALFORMED_JSON",
                        "message": "not an event",
                    }
                )
                continue
            if event_id in self.stored:
                results.append(
                    {
                        "index": index,
                        "event_id": event_id,
                        "status": "duplicate",
                        "code": "EVENT_DUPLICATE",
                        "message": "seen",
                    }
                )
            elif event.get("event") == "bad.event":
                results.append(
                    {
                        "index": index,
                        "event_id": event_id,
                        "status": "rejected",
                        "code": "EVENT_SCHEMA_INVALID",
                        "message": "payload wrong",
                    }
                )
            else:
                self.stored[event_id] = line
                accepted += 1
        return {
            "accepted": accepted,
            "duplicates": sum(r["status"] == "duplicate" for r in results),
            "rejected": sum(r["status"] == "rejected" for r in results),
            "results": results,
        }

    def _answer(self, headers: dict[str, str], raw: bytes) -> tuple[Reply, Recorded]:
        body = gzip.decompress(raw) if headers.get("content-encoding") == "gzip" else raw
        lines = [line for line in body.split(b"\n") if line.strip()]
        recorded = Recorded(time.monotonic(), headers, raw, body, lines)
        with self.lock:
            self.requests.append(recorded)
            if self.script:
                reply = self.script.popleft()
                if reply.status == 202 and reply.body is None and not reply.reset:
                    reply = Reply(
                        202, self.verdicts(lines), reply.headers, reset=False, delay=reply.delay
                    )
                return reply, recorded
            if headers.get("authorization") != f"Bearer {self.key}":
                return Reply(401, _error("AUTH_FAILED", "bad key")), recorded
            if len(raw) > self.max_body:
                return Reply(413, _error("BODY_TOO_LARGE", "body too large")), recorded
            if len(lines) > self.max_events:
                return Reply(413, _error("BATCH_TOO_LARGE", "too many events")), recorded
            return Reply(202, self.verdicts(lines)), recorded

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                reply, _recorded = stub._answer(headers, raw)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.reset:
                    # Abortive close: the client sees a reset, not an answer.
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                    self.close_connection = True
                    self.connection.close()
                    return
                payload = json.dumps(reply.body or {}).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    self.close_connection = True  # the client gave up waiting

        return Handler


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


@contextmanager
def running_stub(**kwargs: Any) -> Iterator[StubCollector]:
    stub = StubCollector(**kwargs)
    stub.start()
    try:
        yield stub
    finally:
        stub.stop()


def make_event(n: int, name: str = "session.started") -> dict[str, Any]:
    return {
        "event": name,
        "v": 1,
        "occurred_at": "2026-11-22T05:00:00.000Z",
        "anon_id": f"a_{n}",
        "context": {"app": "web", "city": "nyc"},
        "ids": {"event_id": f"00000000-0000-4000-8000-{n:012d}"},
        "payload": {"entry": "direct"},
    }


def ndjson_lines(count: int, start: int = 0) -> list[bytes]:
    return [json.dumps(make_event(i)).encode() for i in range(start, start + count)]
