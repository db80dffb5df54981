"""Read a request body within limits, by its Content-Type, and split it into events.

``application/json`` bodies are one JSON array of envelopes; ``application/x-ndjson``
bodies are one envelope per line, each with its own verdict (a line that is not JSON is
rejected alone with ``EVENT_MALFORMED_JSON``). Either may be gzip (``Content-Encoding:
gzip``; every member of a multi-member stream is read, anything after the last member is
refused). Limits are enforced while reading: a body that is too large, or that inflates
past the decompressed limit (a gzip bomb), stops early; the decompressed bytes a process
holds at once are bounded by a :class:`MemoryBudget`.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from typing import Any

import orjson
from starlette.requests import Request

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.ingest.limits import IngestLimits

__all__ = [
    "BodyKind",
    "MemoryBudget",
    "ParsedBody",
    "body_kind",
    "parse_body",
    "read_body",
    "read_request_body",
]

_GZIP = 31  # zlib wbits: a gzip header and trailer, nothing else (no zlib, no raw deflate)


class BodyKind(Enum):
    """How a body's bytes are split into events."""

    JSON_ARRAY = "application/json"
    NDJSON = "application/x-ndjson"


_MEDIA_TYPES = {
    "application/json": BodyKind.JSON_ARRAY,
    "application/x-ndjson": BodyKind.NDJSON,
    "application/ndjson": BodyKind.NDJSON,
}


def body_kind(content_type: str | None) -> BodyKind:
    """The body kind a Content-Type names, or UNSUPPORTED_MEDIA_TYPE saying what to send."""
    media, _, params = (content_type or "").partition(";")
    kind = _MEDIA_TYPES.get(media.strip().lower())
    if kind is None:
        shown = f"Content-Type {media.strip()[:60]!r}" if media.strip() else "no Content-Type"
        raise RastupError(
            ErrorCode.UNSUPPORTED_MEDIA_TYPE,
            f"{shown} is not accepted; send a JSON array as application/json or one event "
            "per line as application/x-ndjson",
        )
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in (
            "utf-8",
            "utf8",
        ):
            raise RastupError(
                ErrorCode.UNSUPPORTED_MEDIA_TYPE,
                f"charset {value.strip()[:30]!r} is not accepted; events are UTF-8",
            )
    return kind


class MemoryBudget:
    """Decompressed body bytes a process may hold at once; past it, requests are refused
    with INGEST_OVERLOADED (and retried by clients) instead of growing memory."""

    def __init__(self, limit_bytes: int) -> None:
        self.limit = limit_bytes
        self.used = 0

    @contextmanager
    def claim(self) -> Iterator[_Claim]:
        claim = _Claim(self)
        try:
            yield claim
        finally:
            self.used -= claim.held


class _Claim:
    def __init__(self, budget: MemoryBudget) -> None:
        self.budget = budget
        self.held = 0

    def grow(self, size: int) -> None:
        extra = size - self.held
        if extra <= 0:
            return
        if self.budget.used + extra > self.budget.limit:
            raise RastupError(
                ErrorCode.INGEST_OVERLOADED,
                "this collector process is reading too many large bodies at once; retry later",
            )
        self.budget.used += extra
        self.held = size


@dataclass(frozen=True, slots=True)
class ParsedBody:
    """Either NDJSON lines (raw bytes each) or the elements of a JSON array."""

    lines: list[bytes] | None = None
    items: list[Any] | None = None

    def __len__(self) -> int:
        return len(self.lines if self.lines is not None else self.items or [])


async def read_request_body(
    request: Request, limits: IngestLimits, claim: _Claim | None = None
) -> bytes:
    """The decompressed body of a request (refusing an Upgrade the collector cannot honour)."""
    upgrade = request.headers.get("upgrade")
    if upgrade is not None:
        raise RastupError(
            ErrorCode.REQUEST_MALFORMED,
            f"Upgrade: {upgrade[:40]} is not supported here and its body was not read; "
            "send plain HTTP/1.1 without an Upgrade header",
        )
    return await read_body(
        request.stream(),
        content_length=request.headers.get("content-length"),
        content_encoding=request.headers.get("content-encoding"),
        limits=limits,
        claim=claim,
    )


async def read_body(
    stream: AsyncIterator[bytes],
    *,
    content_length: str | None,
    content_encoding: str | None,
    limits: IngestLimits,
    claim: _Claim | None = None,
) -> bytes:
    """The decompressed body, or a RastupError with the status-bearing code."""
    if content_length is not None:
        try:
            declared = int(content_length)
        except ValueError:
            raise RastupError(ErrorCode.BODY_MALFORMED, "Content-Length is not a number") from None
        if declared > limits.max_body_bytes:
            raise _too_large(declared, limits.max_body_bytes)
    encoding = (content_encoding or "identity").strip().lower()
    if encoding not in ("identity", "gzip", "x-gzip"):
        raise RastupError(
            ErrorCode.UNSUPPORTED_MEDIA_TYPE,
            f"Content-Encoding {encoding[:40]!r} is not supported; use gzip or none",
        )
    if encoding != "identity":
        return await _inflated(stream, limits, claim)
    # Plain bodies are kept as the chunks the server hands over and joined once at the
    # end: no buffer regrown (and copied again) per chunk, no second copy of the whole.
    chunks: list[bytes] = []
    received = 0
    async for chunk in stream:
        received += len(chunk)
        if received > limits.max_body_bytes:
            raise _too_large(received, limits.max_body_bytes)
        chunks.append(chunk)
        if claim is not None:
            claim.grow(received)
    return b"".join(chunks)


async def _inflated(
    stream: AsyncIterator[bytes], limits: IngestLimits, claim: _Claim | None
) -> bytes:
    """A gzip body inflated within the decompressed limit and the claim."""
    inflater = _GzipMembers(limits)
    received = 0
    out = bytearray()
    async for chunk in stream:
        received += len(chunk)
        if received > limits.max_body_bytes:
            raise _too_large(received, limits.max_body_bytes)
        inflater.feed(chunk, out)
        if claim is not None:
            claim.grow(len(out))
    inflater.finish()
    return bytes(out)


class _GzipMembers:
    """Inflates a gzip stream of one or more members into a bounded buffer."""

    def __init__(self, limits: IngestLimits) -> None:
        self.limit = limits.max_decompressed_bytes
        self.inflater = zlib.decompressobj(_GZIP)
        self.fed = False

    def feed(self, data: bytes, out: bytearray) -> None:
        while data:
            self.fed = True
            try:
                out += self.inflater.decompress(data, self.limit - len(out) + 1)
            except zlib.error as exc:
                raise RastupError(
                    ErrorCode.BODY_MALFORMED,
                    f"body is not valid gzip ({exc}); Content-Encoding gzip needs a gzip stream"
                    " and nothing after it",
                ) from None
            if self.inflater.unconsumed_tail or len(out) > self.limit:
                raise RastupError(
                    ErrorCode.BODY_TOO_LARGE,
                    f"body inflates past the decompressed limit of {self.limit} bytes",
                )
            if not self.inflater.eof:
                return
            # One member ended: what follows must be another member.
            data = self.inflater.unused_data
            self.inflater = zlib.decompressobj(_GZIP)
            self.fed = False

    def finish(self) -> None:
        if self.fed and not self.inflater.eof:
            raise RastupError(ErrorCode.BODY_MALFORMED, "gzip body is truncated")


def _too_large(size: int, limit: int) -> RastupError:
    return RastupError(
        ErrorCode.BODY_TOO_LARGE, f"body is {size}+ bytes; the limit is {limit} bytes"
    )


def parse_body(body: bytes, kind: BodyKind, limits: IngestLimits) -> ParsedBody:
    """Split a body into events; NDJSON lines stay raw so each gets its own verdict."""
    if not body.strip():
        raise RastupError(ErrorCode.BODY_MALFORMED, "body is empty; send at least one event")
    if kind is BodyKind.NDJSON:
        lines = [line.strip() for line in body.split(b"\n") if line.strip()]
        _check_count(len(lines), limits)
        return ParsedBody(lines=lines)
    try:
        items = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise RastupError(ErrorCode.BODY_MALFORMED, _not_json(exc, limits)) from None
    if not isinstance(items, list):
        raise RastupError(
            ErrorCode.BODY_MALFORMED,
            "an application/json body must be a JSON array of events; send one event per "
            "line as application/x-ndjson to get a verdict per line",
        )
    _check_count(len(items), limits)
    return ParsedBody(items=items)


def _not_json(exc: orjson.JSONDecodeError, limits: IngestLimits) -> str:
    if "depth" in str(exc) or "recursion" in str(exc).lower():
        return (
            "body nests arrays or objects 1024 or more levels deep and cannot be read; "
            f"events may nest at most {limits.max_depth} levels"
        )
    return (
        f"body is not valid JSON ({str(exc)[:200]}); nothing was accepted. Send one event per "
        "line as application/x-ndjson to get a verdict per line"
    )


def _check_count(count: int, limits: IngestLimits) -> None:
    if count > limits.max_events_per_request:
        raise RastupError(
            ErrorCode.BATCH_TOO_LARGE,
            f"{count} events in one request; the limit is {limits.max_events_per_request}",
        )
