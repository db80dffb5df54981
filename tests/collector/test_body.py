from __future__ import annotations

import asyncio
import gzip
import zlib
from collections.abc import AsyncIterator

import orjson
import pytest

from rastup_data.collector.body import BodyKind, body_kind, parse_body, read_body
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


JSON, NDJSON = BodyKind.JSON_ARRAY, BodyKind.NDJSON


def test_parse_array_and_ndjson() -> None:
    body = orjson.dumps([{"a": 1}, {"b": 2}])
    assert parse_body(body, JSON, LIMITS).items == [{"a": 1}, {"b": 2}]
    parsed = parse_body(b'{"a":1}\n\n  {"b":2}  \n{oops\n', NDJSON, LIMITS)
    assert parsed.lines == [b'{"a":1}', b'{"b":2}', b"{oops"]


@pytest.mark.parametrize(
    "body", [b"", b"   \n", b"[1,", b"[1]x", b'{"not":"array"', b'{"event": "a"}']
)
def test_a_json_body_that_is_not_one_array_is_refused_whole(body: bytes) -> None:
    """application/json is one document: if it is not a JSON array, nothing is accepted
    (the client's serializer is broken); NDJSON is where each line gets its own verdict."""
    assert _code(parse_body, body, JSON, LIMITS) is ErrorCode.BODY_MALFORMED


def test_the_same_broken_text_as_ndjson_is_one_line_with_a_verdict() -> None:
    assert parse_body(b'{"not":"array"', NDJSON, LIMITS).lines == [b'{"not":"array"']


def test_too_many_events() -> None:
    assert _code(parse_body, orjson.dumps([{}] * 6), JSON, LIMITS) is ErrorCode.BATCH_TOO_LARGE
    assert _code(parse_body, b"{}\n" * 6, NDJSON, LIMITS) is ErrorCode.BATCH_TOO_LARGE


def test_every_gzip_member_is_read() -> None:
    """`gzip -c a b` writes two members; both are the body (one was silently dropped)."""
    assert _read(gzip.compress(b"abc\n") + gzip.compress(b"def\n"), "gzip") == b"abc\ndef\n"
    members = b"".join(gzip.compress(b"%d\n" % i) for i in range(30))
    assert _read(members, "gzip") == b"".join(b"%d\n" % i for i in range(30))


@pytest.mark.parametrize(
    "body",
    [
        gzip.compress(b"abc") + b"trailing garbage",
        gzip.compress(b"abc") + b"\0" * 8,
        gzip.compress(b"abc") + gzip.compress(b"def")[:-4],
        zlib.compress(b"abc"),  # zlib is not gzip
    ],
    # Named: a gzip header holds the time it was made, which differs between the workers.
    ids=["trailing-garbage", "trailing-zeros", "cut-short-member", "zlib"],
)
def test_anything_but_whole_gzip_members_is_refused(body: bytes) -> None:
    assert _code(_read, body, "gzip") is ErrorCode.BODY_MALFORMED


def test_members_together_are_held_to_the_decompressed_limit() -> None:
    members = gzip.compress(b"x" * 3000) + gzip.compress(b"y" * 3000)
    assert _code(_read, members, "gzip") is ErrorCode.BODY_TOO_LARGE


@pytest.mark.parametrize(
    ("content_type", "kind"),
    [
        ("application/json", JSON),
        ("Application/JSON; charset=utf-8", JSON),
        ("application/x-ndjson", NDJSON),
        ("application/ndjson", NDJSON),
    ],
)
def test_content_types_name_the_body_kind(content_type: str, kind: BodyKind) -> None:
    assert body_kind(content_type) is kind


@pytest.mark.parametrize(
    "content_type",
    [None, "", "text/plain", "multipart/form-data; boundary=x", "application/json; charset=latin1"],
)
def test_other_content_types_are_refused_with_415(content_type: str | None) -> None:
    assert _code(body_kind, content_type) is ErrorCode.UNSUPPORTED_MEDIA_TYPE


def test_the_process_memory_budget_refuses_past_its_limit_and_frees_on_exit() -> None:
    from rastup_data.collector.body import MemoryBudget

    budget = MemoryBudget(100)
    with budget.claim() as first:
        first.grow(60)
        with budget.claim() as second:
            second.grow(40)
            with pytest.raises(RastupError) as info, budget.claim() as third:
                third.grow(1)
            assert info.value.code is ErrorCode.INGEST_OVERLOADED
        assert budget.used == 60
    assert budget.used == 0


def test_reading_a_body_claims_what_it_inflates() -> None:
    from rastup_data.collector.body import MemoryBudget

    budget = MemoryBudget(3000)
    limits = IngestLimits(max_body_bytes=100_000, max_decompressed_bytes=100_000)
    with pytest.raises(RastupError) as info, budget.claim() as claim:
        asyncio.run(
            read_body(
                _chunks(gzip.compress(b"x" * 5000), 10),
                content_length=None,
                content_encoding="gzip",
                limits=limits,
                claim=claim,
            )
        )
    assert info.value.code is ErrorCode.INGEST_OVERLOADED
    assert budget.used == 0


def test_a_plain_body_in_one_chunk_is_that_chunk_not_a_copy() -> None:
    body = orjson.dumps([{"event": "x", "n": n} for n in range(20)])

    async def one_chunk() -> AsyncIterator[bytes]:
        yield body

    assert (
        asyncio.run(
            read_body(one_chunk(), content_length=None, content_encoding=None, limits=LIMITS)
        )
        is body
    )


def test_a_plain_body_in_many_chunks_is_claimed_as_it_arrives_and_joined_once() -> None:
    from rastup_data.collector.body import MemoryBudget

    body = bytes(range(256)) * 3
    budget = MemoryBudget(10_000)
    seen: list[int] = []

    async def watched() -> AsyncIterator[bytes]:
        async for chunk in _chunks(body, 100):
            yield chunk
            seen.append(budget.used)

    with budget.claim() as claim:
        got = asyncio.run(
            read_body(
                watched(), content_length=None, content_encoding=None, limits=LIMITS, claim=claim
            )
        )
        assert got == body
        assert type(got) is bytes
        assert budget.used == len(body)
    assert seen == [*range(100, len(body), 100), len(body)]
    assert budget.used == 0
