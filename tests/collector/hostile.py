"""A seeded generator of hostile requests for the collector, and what each must lead to.

Every request is raw bytes for one TCP connection (so framing, headers and slow clients
can be wrong too), with the event ids it carries and whether they are fresh. The fuzzer
(`test_fuzz.py`) sends them to a real `serve` and checks the promises: no 5xx, every
refusal coded, every acknowledged event stored exactly once, nothing refused stored.
"""

from __future__ import annotations

import gzip
import random
import re
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from .conftest import registry_examples

KEY = "fuzz-key-0123456789"


@dataclass
class Attack:
    """One request: its bytes, how to send them, and the event ids in its body by index."""

    kind: str
    data: bytes
    ids: list[str | None] = field(default_factory=list)  # event id at each body index
    #: Send the bytes slowly (seconds between pieces) or stop after part of them.
    trickle_s: float = 0.0
    hang_up_after: int | None = None
    expect_answer: bool = True


@dataclass
class Fuzzer:
    seed: int
    examples: list[dict[str, Any]] = field(default_factory=registry_examples)
    accepted_batches: list[list[dict[str, Any]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self._kinds: list[tuple[float, Callable[[], Attack]]] = [
            (30, self.valid_batch),
            (25, self.mixed_batch),
            (6, self.resend),
            (10, self.broken_body),
            (7, self.gzip_games),
            (6, self.bad_headers),
            (6, self.auth_variants),
            (7, self.framing),
            (1, self.slow_client),
            (2, self.other_paths),
        ]
        self._total = sum(w for w, _ in self._kinds)

    # -- events ----------------------------------------------------------------------

    def fresh_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def valid_event(self) -> dict[str, Any]:
        event = orjson.loads(orjson.dumps(self.rng.choice(self.examples)))
        event.pop("received_at", None)
        event["ids"]["event_id"] = self.fresh_id()
        if self.rng.random() < 0.1:
            event["ids"]["event_id"] = event["ids"]["event_id"].upper()
        if self.rng.random() < 0.1:
            event["occurred_at"] = self.rng.choice(
                ["2026-12-31T23:59:60Z", "2026-11-29t17:04:58z", "2026-11-29T17:04:58.5+05:30"]
            )
        return event

    def hostile_event(self) -> Any:
        event = self.valid_event()
        rng = self.rng
        field_name = rng.choice(
            ["event", "v", "occurred_at", "context", "ids", "payload", "user_id"]
        )
        value = rng.choice(
            [
                None,
                True,
                0,
                -1,
                2**63,
                1.5e308,
                "",
                "x" * rng.randint(1, 300),
                "\u0000nul",
                "\U0001f600 emoji",
                "0000-01-01T00:00:00Z",
                "2026-02-30T00:00:00Z",
                "9999-12-31T23:59:59-01:00",
                [],
                {},
                {"nested": {"deeper": [1, 2, {"x": None}]}},
                self._deep(rng.choice([5, 33, 100, 300, 700])),
                "jane.doe@example.com",
            ]
        )
        if field_name == "ids":
            event["ids"] = rng.choice(
                [value, {"event_id": value}, {"event_id": event["ids"]["event_id"], "k": value}]
            )
        else:
            event[field_name] = value
        if rng.random() < 0.1:
            return rng.choice([None, 1, "event", [event], self._deep(300)])
        return event

    def _deep(self, depth: int) -> str:
        """A placeholder that :func:`_dumps` writes as ``depth`` nested arrays/objects."""
        return f"__DEEP_{depth}_{self.rng.getrandbits(32)}__"

    # -- bodies and requests ---------------------------------------------------------

    def encode(self, items: list[Any], *, kind: str | None = None) -> tuple[bytes, str]:
        kind = kind or self.rng.choice(["json", "ndjson"])
        if kind == "json":
            return b"[" + b",".join(_dumps(i) for i in items) + b"]", "application/json"
        return b"\n".join(_dumps(i) for i in items) + b"\n", "application/x-ndjson"

    def request(
        self,
        body: bytes,
        content_type: str | None,
        *,
        path: str = "/v1/events",
        auth: str | None = None,
        extra: list[tuple[str, str]] | None = None,
        gzip_body: bool | None = None,
        length: int | None = None,
    ) -> bytes:
        headers = [("Host", "collector"), ("Connection", "close")]
        if auth is None:
            auth = f"Bearer {KEY}"
        if auth:
            headers.append(("Authorization", auth))
        if content_type is not None:
            headers.append(("Content-Type", content_type))
        if gzip_body if gzip_body is not None else self.rng.random() < 0.3:
            body = gzip.compress(body, compresslevel=1)
            headers.append(("Content-Encoding", "gzip"))
        headers += extra or []
        headers.append(("Content-Length", str(len(body) if length is None else length)))
        head = f"POST {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
        return head.encode("utf-8", "surrogateescape") + b"\r\n" + body

    def events_request(self, items: list[Any], kind: str = "") -> Attack:
        body, content_type = self.encode(items)
        ids = [_event_id(i) for i in items]
        return Attack(kind or "events", self.request(body, content_type), ids)

    # -- attack kinds ----------------------------------------------------------------

    def next(self) -> Attack:
        pick = self.rng.uniform(0, self._total)
        for weight, make in self._kinds:
            pick -= weight
            if pick <= 0:
                return make()
        return self._kinds[0][1]()

    def valid_batch(self) -> Attack:
        events = [self.valid_event() for _ in range(self.rng.choice([1, 5, 50, 200]))]
        self.accepted_batches.append(events)
        return self.events_request(events, "valid")

    def mixed_batch(self) -> Attack:
        items = [
            self.hostile_event() if self.rng.random() < 0.4 else self.valid_event()
            for _ in range(self.rng.randint(1, 60))
        ]
        if self.rng.random() < 0.3:  # NDJSON with broken lines among good ones
            lines = [_dumps(i) for i in items]
            for _ in range(self.rng.randint(1, 3)):
                index = self.rng.randrange(len(lines))
                lines[index] = lines[index][: self.rng.randint(0, len(lines[index]))]
                if not lines[index].strip():
                    lines[index] = b"{"
            if self.rng.random() < 0.3:  # escapes JSON allows but UTF-8 cannot hold
                lines[self.rng.randrange(len(lines))] = b'{"event":"\\ud800","v":1}'

            body = b"\n".join(lines) + b"\n"
            ids = [_event_id(i) for i in items]
            return Attack("mixed", self.request(body, "application/x-ndjson"), ids)
        return self.events_request(items, "mixed")

    def resend(self) -> Attack:
        if not self.accepted_batches:
            return self.valid_batch()
        events = orjson.loads(orjson.dumps(self.rng.choice(self.accepted_batches)))
        for event in events:
            if self.rng.random() < 0.5:
                event["ids"]["event_id"] = event["ids"]["event_id"].swapcase()
        return self.events_request(events, "resend")

    def broken_body(self) -> Attack:
        events = [self.valid_event() for _ in range(self.rng.randint(1, 20))]
        body, _ = self.encode(events, kind="json")
        choice = self.rng.randrange(6)
        if choice == 0:
            body = body[: self.rng.randrange(len(body))]
        elif choice == 1:
            body = self.rng.randbytes(self.rng.randint(0, 3000))
        elif choice == 2:
            body = body[1:-1]  # objects separated by commas: not one array
        elif choice == 3:
            body = b"[" * 1500 + b"]" * 1500
        elif choice == 4:
            body = b""
        else:
            body = orjson.dumps([{}] * 1001)
        return Attack("broken_body", self.request(body, "application/json"), _refused(events))

    def gzip_games(self) -> Attack:
        events = [self.valid_event() for _ in range(self.rng.randint(1, 20))]
        body, content_type = self.encode(events, kind="ndjson")
        choice = self.rng.randrange(6)
        if choice == 0:  # several members: all read, all accepted
            cut = self.rng.randrange(len(body))
            data = gzip.compress(body[:cut]) + gzip.compress(body[cut:])
            ids = [_event_id(e) for e in events]
            headers = [("Content-Encoding", "gzip")]
            raw = self.request(data, content_type, gzip_body=False, extra=headers)
            self.accepted_batches.append(events)
            return Attack("gzip_members", raw, ids)
        if choice == 1:
            data = gzip.compress(body) + self.rng.randbytes(self.rng.randint(1, 64))
        elif choice == 2:
            data = zlib.compress(body)
        elif choice == 3:
            data = gzip.compress(body)[: -self.rng.randint(1, 12)]
        elif choice == 4:  # a bomb: 17 MiB of zeros in ~17 KiB
            data = gzip.compress(b"\n" * (17 * 1024 * 1024), compresslevel=9)
        else:
            data = gzip.compress(body)
            extra = [("Content-Encoding", self.rng.choice(["br", "deflate", "gzip, br", "zstd"]))]
            return Attack(
                "gzip_bad_encoding",
                self.request(data, content_type, gzip_body=False, extra=extra),
                _refused(events),
            )
        extra = [("Content-Encoding", "gzip")]
        raw = self.request(data, content_type, gzip_body=False, extra=extra)
        return Attack("gzip_broken", raw, _refused(events))

    def bad_headers(self) -> Attack:
        events = [self.valid_event() for _ in range(self.rng.randint(1, 10))]
        body, _ = self.encode(events, kind="json")
        content_type = self.rng.choice(
            [
                None,
                "text/plain",
                "multipart/form-data; boundary=xyz",
                "application/x-www-form-urlencoded",
                "application/json; charset=latin-1",
                "application/xml",
                "",
            ]
        )
        return Attack("bad_content_type", self.request(body, content_type), _refused(events))

    def auth_variants(self) -> Attack:
        events = [self.valid_event() for _ in range(self.rng.randint(1, 5))]
        body, content_type = self.encode(events)
        good = self.rng.random() < 0.3
        if good:
            auth = self.rng.choice([f"bearer {KEY}", f"Bearer  {KEY} ", f"BEARER {KEY}"])
            self.accepted_batches.append(events)
            ids = [_event_id(e) for e in events]
        else:
            auth = self.rng.choice(
                [
                    "",
                    "Bearer",
                    "Bearer ",
                    f"Basic {KEY}",
                    f"Bearer {KEY}x",
                    f"Bearer {KEY[:-1]}",
                    "Bearer " + "k" * 8000,
                    "Bearer \udcff\udcfe",
                    f"Token {KEY}",
                ]
            )
            ids = _refused(events)
        return Attack("auth", self.request(body, content_type, auth=auth), ids)

    def framing(self) -> Attack:
        events = [self.valid_event() for _ in range(self.rng.randint(2, 10))]
        body, content_type = self.encode(events, kind="ndjson")
        choice = self.rng.randrange(6)
        if choice == 0:  # Content-Length shorter than the body
            raw = self.request(body, content_type, gzip_body=False, length=len(body) // 2)
            return Attack("short_length", raw, [_event_id(e) for e in events])
        if choice == 1:  # hang up part-way through the body
            raw = self.request(body, content_type, gzip_body=False)
            cut = len(raw) - self.rng.randint(1, len(body))
            return Attack("hang_up", raw, _refused(events), hang_up_after=cut, expect_answer=False)
        if choice == 2:
            extra = [("Connection", "Upgrade, HTTP2-Settings"), ("Upgrade", "h2c")]
            raw = self.request(body, content_type, gzip_body=False, extra=extra)
            return Attack("h2c", raw, _refused(events))
        if choice == 3:  # Content-Length and Transfer-Encoding together
            raw = self.request(
                body, content_type, gzip_body=False, extra=[("Transfer-Encoding", "chunked")]
            )
            return Attack("cl_te", raw, _refused(events))
        if choice == 4:
            junk = self.rng.choice(
                [b"GARBAGE\r\n\r\n", b"POST / HTTP/9.9\r\n\r\n", b"\x16\x03\x01"]
            )
            return Attack("garbage", junk + self.rng.randbytes(20), [], expect_answer=False)
        raw = self.request(body, content_type, gzip_body=False, extra=[("X-Big", "h" * 70000)])
        return Attack("big_header", raw, _refused(events), expect_answer=False)

    def slow_client(self) -> Attack:
        events = [self.valid_event() for _ in range(2)]
        body, content_type = self.encode(events, kind="ndjson")
        raw = self.request(body, content_type, gzip_body=False)
        cut = len(raw) - len(body) // 2 if self.rng.random() < 0.5 else 20
        return Attack("slow", raw[:cut], _refused(events), trickle_s=0.25, expect_answer=False)

    def other_paths(self) -> Attack:
        path = self.rng.choice(["/", "/docs", "/v1/events/../healthz", "/experiments/%00", "/v2/x"])
        return Attack("paths", self.request(b"{}", "application/json", path=path), [])


_DEEP = re.compile(rb'"__DEEP_(\d+)_(\d+)__"')


def _dumps(item: Any) -> bytes:
    """JSON of ``item``, deep placeholders written out as nesting (orjson stops at 255)."""
    return _DEEP.sub(_nesting, orjson.dumps(item))


def _nesting(match: re.Match[bytes]) -> bytes:
    rng = random.Random(int(match[2]))
    kinds = [rng.random() < 0.5 for _ in range(int(match[1]))]
    opening = b"".join(b"[" if is_list else b'{"k":' for is_list in kinds)
    closing = b"".join(b"]" if is_list else b"}" for is_list in reversed(kinds))
    return opening + b'"leaf"' + closing


def _event_id(item: Any) -> str | None:
    if isinstance(item, dict) and isinstance(item.get("ids"), dict):
        value = item["ids"].get("event_id")
        if isinstance(value, str):
            return value.lower()
    return None


def _refused(events: list[dict[str, Any]]) -> list[str | None]:
    """Ids of a request that must be refused whole (never stored, never a verdict)."""
    return [_event_id(e) for e in events]
