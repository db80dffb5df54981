from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator

import orjson
import pytest

from rastup_data.collector.body import parse_body, read_body
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.ingest.limits import IngestLimits

LIMITS = IngestLimits(max_body_bytes=1000, max_decompressed_bytes=4000, max_events_per_request=5)


async def _chunks(data: bytes, size: int = 100) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


def _read(data: bytes, encoding: str | None = None, length: str | None = None) -> bytes:
    return asyncio.run(
        read_body(_chunks(data), content_length=length, content_encoding=encoding, limits=LIMITS)
    )


def _code(fn: object, *args: object) -> ErrorCode:
    with pytest.raises(RastupError) as info:
        fn(*args)  # type: ignore[operator]
    return info.value.code


def test_plain_and_gzip_bodies_read_back() -> None:
    assert _read(b"abc") == b"abc"
    assert _read(gzip.compress(b"x" * 3000), "gzip") == b"x" * 3000


def test_body_over_limit_is_413_code() -> None:
    assert _code(_read, b"x" * 1001) is ErrorCode.BODY_TOO_LARGE
    assert _code(_read, b"x", None, "5000") is ErrorCode.BODY_TOO_LARGE


def test_gzip_bomb_stops_at_the_decompressed_limit() -> None:
    bomb = gzip.compress(b"\0" * 100_000_000)
    limits = IngestLimits(max_body_bytes=len(bomb) + 1, max_decompressed_bytes=4000)
    with pytest.raises(RastupError) as info:
        asyncio.run(
            read_body(
                _chunks(bomb, 65536), content_length=None, content_encoding="gzip", limits=limits
            )
        )
    assert info.value.code is ErrorCode.BODY_TOO_LARGE


def test_bad_gzip_and_unknown_encoding() -> None:
    assert _code(_read, b"not gzip", "gzip") is ErrorCode.BODY_MALFORMED
    assert _code(_read, gzip.compress(b"abc")[:-6], "gzip") is ErrorCode.BODY_MALFORMED
    assert _code(_read, b"abc", "br") is ErrorCode.UNSUPPORTED_MEDIA_TYPE
    assert ErrorCode.UNSUPPORTED_MEDIA_TYPE.info.http_status == 415


def test_parse_array_and_ndjson() -> None:
    assert parse_body(orjson.dumps([{"a": 1}, {"b": 2}]), LIMITS).items == [{"a": 1}, {"b": 2}]
    parsed = parse_body(b'{"a":1}\n\n  {"b":2}  \n{oops\n', LIMITS)
    assert parsed.lines == [b'{"a":1}', b'{"b":2}', b"{oops"]


@pytest.mark.parametrize("body", [b"", b"   \n", b"[1,", b"[1]x"])
def test_malformed_bodies(body: bytes) -> None:
    assert _code(parse_body, body, LIMITS) is ErrorCode.BODY_MALFORMED


def test_too_many_events() -> None:
    assert _code(parse_body, orjson.dumps([{}] * 6), LIMITS) is ErrorCode.BATCH_TOO_LARGE
    assert _code(parse_body, b"{}\n" * 6, LIMITS) is ErrorCode.BATCH_TOO_LARGE
