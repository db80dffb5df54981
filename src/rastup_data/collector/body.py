"""Read a request body within limits and split it into events.

The body is a JSON array of envelopes or NDJSON, optionally gzip-compressed. Limits are
enforced while reading: a body that is too large, or that inflates past the decompressed
limit (a gzip bomb), stops early without being held in memory whole.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.ingest.limits import IngestLimits

__all__ = ["ParsedBody", "parse_body", "read_body"]


@dataclass(frozen=True, slots=True)
class ParsedBody:
    """Either NDJSON lines (raw bytes each) or the elements of a JSON array."""

    lines: list[bytes] | None = None
    items: list[Any] | None = None

    def __len__(self) -> int:
        return len(self.lines if self.lines is not None else self.items or [])


async def read_body(
    stream: AsyncIterator[bytes],
    *,
    content_length: str | None,
    content_encoding: str | None,
    limits: IngestLimits,
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
            f"Content-Encoding {encoding!r} is not supported; use gzip or none",
        )
    inflater = zlib.decompressobj(wbits=47) if encoding != "identity" else None
    received = 0
    out = bytearray()
    async for chunk in stream:
        received += len(chunk)
        if received > limits.max_body_bytes:
            raise _too_large(received, limits.max_body_bytes)
        if inflater is None:
            out += chunk
            continue
        try:
            room = limits.max_decompressed_bytes - len(out) + 1
            out += inflater.decompress(chunk, room)
            if inflater.unconsumed_tail:
                raise _inflated_too_large(limits)
        except zlib.error as exc:
            raise RastupError(ErrorCode.BODY_MALFORMED, f"body is not valid gzip: {exc}") from None
        if len(out) > limits.max_decompressed_bytes:
            raise _inflated_too_large(limits)
    if inflater is not None:
        try:
            out += inflater.flush()
        except zlib.error as exc:
            raise RastupError(ErrorCode.BODY_MALFORMED, f"body is not valid gzip: {exc}") from None
        if not inflater.eof:
            raise RastupError(ErrorCode.BODY_MALFORMED, "gzip body is truncated")
        if len(out) > limits.max_decompressed_bytes:
            raise _inflated_too_large(limits)
    return bytes(out)


def _too_large(size: int, limit: int) -> RastupError:
    return RastupError(
        ErrorCode.BODY_TOO_LARGE, f"body is {size}+ bytes; the limit is {limit} bytes"
    )


def _inflated_too_large(limits: IngestLimits) -> RastupError:
    return RastupError(
        ErrorCode.BODY_TOO_LARGE,
        f"body inflates past the decompressed limit of {limits.max_decompressed_bytes} bytes",
    )


def parse_body(body: bytes, limits: IngestLimits) -> ParsedBody:
    """Split a body into events; NDJSON lines stay raw so each gets its own verdict."""
    start = body.lstrip()[:1]
    if not start:
        raise RastupError(ErrorCode.BODY_MALFORMED, "body is empty; send a JSON array or NDJSON")
    if start == b"[":
        try:
            items = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise RastupError(
                ErrorCode.BODY_MALFORMED, f"body starts like a JSON array but is not JSON: {exc}"
            ) from None
        if not isinstance(items, list):
            raise RastupError(ErrorCode.BODY_MALFORMED, "body must be a JSON array of events")
        _check_count(len(items), limits)
        return ParsedBody(items=items)
    lines = [line for line in body.split(b"\n") if line.strip()]
    _check_count(len(lines), limits)
    return ParsedBody(lines=[line.strip() for line in lines])


def _check_count(count: int, limits: IngestLimits) -> None:
    if count > limits.max_events_per_request:
        raise RastupError(
            ErrorCode.BATCH_TOO_LARGE,
            f"{count} events in one request; the limit is {limits.max_events_per_request}",
        )
