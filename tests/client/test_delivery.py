"""One batch against a real HTTP server: retries, no-retries, 413 splitting, gzip, verdicts."""

from __future__ import annotations

import gzip
import socket
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import httpx
import pytest

from rastup_data.client.delivery import BatchDeliverer
from rastup_data.client.retry import RetryPolicy

FAST = RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.05)


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5.0) as client:
        yield client


def deliverer(http: httpx.Client, stub: Any, **kwargs: Any) -> BatchDeliverer:
    kwargs.setdefault("retry", FAST)
    return BatchDeliverer(http, stub.url, stub.key, **kwargs)


def test_all_accepted_in_one_request(http: httpx.Client, stub: Any, kit: ModuleType) -> None:
    lines = kit.ndjson_lines(10)
    result = deliverer(http, stub).deliver(lines)
    assert (result.accepted, result.duplicates, result.rejected, result.failures) == (10, 0, 0, ())
    assert result.requests == 1
    assert len(stub.requests) == 1
    assert stub.requests[0].headers["authorization"] == "Bearer test-key"
    assert stub.requests[0].headers["content-type"] == "application/x-ndjson"


def test_gzip_body_is_gzip_and_decodes_to_the_lines(
    http: httpx.Client, stub: Any, kit: ModuleType
) -> None:
    lines = [*kit.ndjson_lines(50), b"{not json"]
    result = deliverer(http, stub).deliver(lines)
    (request,) = stub.requests
    assert request.headers["content-encoding"] == "gzip"
    assert request.raw_body[:2] == b"\x1f\x8b"
    assert gzip.decompress(request.raw_body) == b"".join(line + b"\n" for line in lines)
    assert len(request.raw_body) < len(request.body) / 3
    assert result.bytes_sent == len(request.raw_body)
    assert (result.accepted, result.rejected) == (50, 1)


def test_no_gzip_sends_plain_ndjson(http: httpx.Client, stub: Any, kit: ModuleType) -> None:
    lines = kit.ndjson_lines(3)
    deliverer(http, stub, gzip_bodies=False).deliver(lines)
    (request,) = stub.requests
    assert "content-encoding" not in request.headers
    assert request.raw_body == b"".join(line + b"\n" for line in lines)


def test_retry_on_429_honours_retry_after(http: httpx.Client, stub: Any, kit: ModuleType) -> None:
    stub.push(
        kit.Reply(
            429,
            {"error": {"code": "INGEST_OVERLOADED", "message": "slow down"}},
            {"Retry-After": "1"},
        )
    )
    lines = kit.ndjson_lines(5)
    result = deliverer(http, stub).deliver(lines)
    assert result.answered
    assert result.accepted == 5
    assert result.requests == 2
    first, second = stub.requests
    assert second.at - first.at >= 1.0
    assert first.raw_body == second.raw_body


def test_retry_on_503_until_success(http: httpx.Client, stub: Any, kit: ModuleType) -> None:
    overloaded = kit.Reply(
        503, {"error": {"code": "INGEST_OVERLOADED", "message": "full"}}, {"Retry-After": "0"}
    )
    stub.push(overloaded, overloaded)
    result = deliverer(http, stub).deliver(kit.ndjson_lines(4))
    assert result.answered
    assert result.accepted == 4
    assert result.requests == 3
    assert len({r.raw_body for r in stub.requests}) == 1


def test_retry_after_connection_reset(http: httpx.Client, stub: Any, kit: ModuleType) -> None:
    stub.push(kit.Reply(reset=True))
    result = deliverer(http, stub).deliver(kit.ndjson_lines(6))
    assert result.answered
    assert result.accepted == 6
    assert result.requests == 2
    assert len(stub.stored) == 6


def test_lost_answer_retried_is_idempotent(stub: Any, kit: ModuleType) -> None:
    # The first answer arrives after the client gave up waiting: the events were stored,
    # the retry resends the same event_ids and they come back as duplicates, not twice.
    stub.push(kit.Reply(202, None, delay=1.5))
    with httpx.Client(timeout=0.5) as http:
        result = deliverer(http, stub).deliver(kit.ndjson_lines(3))
    assert result.answered
    assert result.requests >= 2
    assert (result.accepted, result.duplicates) == (0, 3)
    assert len(stub.stored) == 3


def test_gives_up_after_max_attempts(http: httpx.Client, stub: Any, kit: ModuleType) -> None:
    overloaded = kit.Reply(503, {"error": {"code": "INGEST_OVERLOADED", "message": "full"}})
    stub.push(*[overloaded] * 10)
    result = deliverer(http, stub).deliver(kit.ndjson_lines(4))
    (failure,) = result.failures
    assert failure.code == "INGEST_OVERLOADED"
    assert failure.status == 503
    assert failure.attempts == FAST.max_attempts
    assert failure.events == 4
    assert "gave up after 4 attempts" in failure.message
    assert len(stub.requests) == FAST.max_attempts
    assert result.accepted == 0


def test_unreachable_collector(http: httpx.Client, kit: ModuleType) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = BatchDeliverer(http, f"http://127.0.0.1:{port}", "k", retry=FAST).deliver(
        kit.ndjson_lines(2)
    )
    (failure,) = result.failures
    assert failure.code == "COLLECTOR_UNREACHABLE"
    assert failure.status is None
    assert failure.attempts == 4


@pytest.mark.parametrize(
    ("status", "code"), [(400, "BODY_MALFORMED"), (401, "AUTH_FAILED"), (404, "HTTP_404")]
)
def test_client_errors_are_not_retried(
    http: httpx.Client, stub: Any, kit: ModuleType, status: int, code: str
) -> None:
    body = None if code.startswith("HTTP_") else {"error": {"code": code, "message": "no"}}
    stub.push(kit.Reply(status, body))
    result = deliverer(http, stub).deliver(kit.ndjson_lines(3))
    (failure,) = result.failures
    assert (failure.status, failure.code, failure.attempts) == (status, code, 1)
    assert len(stub.requests) == 1


def test_wrong_key_answered_401(http: httpx.Client, stub: Any, kit: ModuleType) -> None:
    result = BatchDeliverer(http, stub.url, "wrong", retry=FAST).deliver(kit.ndjson_lines(2))
    assert [f.code for f in result.failures] == ["AUTH_FAILED"]
    assert len(stub.requests) == 1


def test_413_splits_into_halves_once(http: httpx.Client, kit: ModuleType) -> None:
    with kit.running_stub(max_events=3) as stub:
        lines = kit.ndjson_lines(5)
        result = deliverer(http, stub).deliver(lines)
        assert result.answered
        assert result.accepted == 5
        assert [len(r.lines) for r in stub.requests] == [5, 2, 3]
        assert result.requests == 3
        assert sorted(stub.stored.values()) == sorted(lines)


def test_413_halves_that_still_fail_are_not_split_again(
    http: httpx.Client, kit: ModuleType
) -> None:
    with kit.running_stub(max_events=1) as stub:
        result = deliverer(http, stub).deliver(kit.ndjson_lines(4))
        assert [len(r.lines) for r in stub.requests] == [4, 2, 2]
        assert [(f.first_index, f.events, f.code) for f in result.failures] == [
            (0, 2, "BATCH_TOO_LARGE"),
            (2, 2, "BATCH_TOO_LARGE"),
        ]
        assert result.failed_events == 4


def test_verdict_indices_map_back_after_a_split(http: httpx.Client, kit: ModuleType) -> None:
    with kit.running_stub(max_events=3) as stub:
        lines = kit.ndjson_lines(4)
        lines[3] = b"{broken"
        result = deliverer(http, stub).deliver(lines)
        assert [(v.index, v.code) for v in result.verdicts] == [(3, "EVENT_MALFORMED_JSON")]
        assert (result.accepted, result.rejected) == (3, 1)


def test_duplicates_and_rejections_counted(http: httpx.Client, stub: Any, kit: ModuleType) -> None:
    first = kit.ndjson_lines(3)
    deliverer(http, stub).deliver(first)
    bad = kit.make_event(99, name="bad.event")
    lines = [*first[:2], kit.json.dumps(bad).encode(), b"[1, 2"]
    result = deliverer(http, stub).deliver(lines)
    assert (result.accepted, result.duplicates, result.rejected) == (0, 2, 2)
    assert sorted((v.index, v.status, v.code) for v in result.verdicts) == [
        (0, "duplicate", "EVENT_DUPLICATE"),
        (1, "duplicate", "EVENT_DUPLICATE"),
        (2, "rejected", "EVENT_SCHEMA_INVALID"),
        (3, "rejected", "EVENT_MALFORMED_JSON"),
    ]
