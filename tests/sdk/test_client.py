"""The SDK Client against a real HTTP server: batching, flush, close, drops, retries, stats."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from types import ModuleType
from typing import Any

import pytest
from tests.waiting import wait_until

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.sdk import Client, ClientStats, DeliveryProblem


def make_client(stub: Any, **kwargs: Any) -> Client:
    kwargs.setdefault("retry_base_delay", 0.01)
    return Client(stub.url, stub.key, **kwargs)


def stored_ids(stub: Any) -> set[str]:
    return set(stub.stored)


def test_flush_delivers_everything_in_capped_batches(stub: Any) -> None:
    with make_client(stub, batch_size=100, flush_interval=30.0) as client:
        ids = [
            client.track("session.started", {"entry": "direct"}, anon_id=f"a_{i}")
            for i in range(1234)
        ]
        assert client.flush(timeout=10.0)
        assert stored_ids(stub) == set(ids)
        assert all(len(r.lines) <= 100 for r in stub.requests)
        assert client.stats == ClientStats(
            queued=0, sent=1234, accepted=1234, duplicates=0, rejected=0, dropped=0, failed=0
        )
    first = json.loads(stub.requests[0].lines[0])
    assert first["event"] == "session.started"
    assert first["ids"]["event_id"] == ids[0]


def test_flush_interval_sends_without_flush(stub: Any) -> None:
    with make_client(stub, flush_interval=0.1) as client:
        event_id = client.track("session.started", {"entry": "ads"})
        wait_until(lambda: event_id in stub.stored, "the event sent without a flush")
        wait_until(lambda: client.stats.accepted == 1, "the event counted as accepted")
        assert client.stats.queued == 0


def test_close_flushes_and_later_tracks_are_dropped(
    stub: Any, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client(stub, flush_interval=60.0)
    ids = [client.track("session.started", {"entry": "direct"}) for _ in range(50)]
    assert client.close(timeout=10.0)
    assert stored_ids(stub) == set(ids)
    with caplog.at_level(logging.WARNING, logger="rastup_data.sdk"):
        client.track("session.started", {"entry": "direct"})
    assert client.stats.dropped == 1
    assert "after close" in caplog.text
    assert client.close() is True  # idempotent


def test_full_queue_drops_are_counted_and_logged(
    stub: Any, kit: ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    stub.push(kit.Reply(202, None, delay=0.5))  # holds the first request
    client = make_client(stub, batch_size=10, max_queue=10, flush_interval=60.0)
    with caplog.at_level(logging.WARNING, logger="rastup_data.sdk"):
        client.track("session.started", {"entry": "direct"})
        client.flush(timeout=0)
        wait_until(lambda: len(stub.requests) == 1, "the first request held by the server")
        for _ in range(25):
            client.track("session.started", {"entry": "direct"})
        assert client.stats.dropped == 15
        assert "queue full" in caplog.text
        assert client.flush(timeout=10.0)
        assert client.stats == ClientStats(
            queued=0, sent=11, accepted=11, duplicates=0, rejected=0, dropped=15, failed=0
        )
        client.close()
    assert len(stub.stored) == 11
    assert "15 events dropped" in caplog.text


def test_retries_then_success(stub: Any, kit: ModuleType) -> None:
    overloaded = kit.Reply(
        503, {"error": {"code": "INGEST_OVERLOADED", "message": "busy"}}, {"Retry-After": "0"}
    )
    stub.push(overloaded, kit.Reply(reset=True))
    with make_client(stub) as client:
        ids = [client.track("session.started", {"entry": "direct"}) for _ in range(5)]
        assert client.flush(timeout=10.0)
        assert client.stats.accepted == 5
        assert client.stats.failed == 0
    assert len(stub.requests) == 3
    assert stored_ids(stub) == set(ids)


def test_failed_batches_reported_to_on_error(stub: Any) -> None:
    problems: list[DeliveryProblem] = []
    client = Client(stub.url, "wrong-key", on_error=problems.append, retry_base_delay=0.01)
    ids = [client.track("session.started", {"entry": "direct"}) for _ in range(3)]
    assert client.flush(timeout=10.0)
    client.close()
    assert client.stats.failed == 3
    assert client.stats.sent == 0
    (problem,) = problems
    assert problem.kind == "failed"
    assert problem.code == "AUTH_FAILED"
    assert problem.event_ids == tuple(ids)
    assert len(stub.requests) == 1  # 401 is not retried


def test_rejections_and_duplicates_counted(stub: Any) -> None:
    problems: list[DeliveryProblem] = []
    with make_client(stub, on_error=problems.append) as client:
        good = client.track("session.started", {"entry": "direct"})
        client.flush(timeout=10.0)
        client.track("session.started", {"entry": "direct"}, ids={"event_id": good})
        bad = client.track("bad.event", {"x": 1})
        assert client.flush(timeout=10.0)
        assert client.stats == ClientStats(
            queued=0, sent=3, accepted=1, duplicates=1, rejected=1, dropped=0, failed=0
        )
    assert [(p.kind, p.code, p.event_ids) for p in problems] == [
        ("rejected", "EVENT_SCHEMA_INVALID", (bad,))
    ]


def test_many_threads_track_safely(stub: Any) -> None:
    collected: list[str] = []
    lock = threading.Lock()
    with make_client(stub, batch_size=200, flush_interval=0.05) as client:

        def worker(n: int) -> None:
            mine = [
                client.track("session.started", {"entry": "direct"}, anon_id=f"a_{n}")
                for _ in range(400)
            ]
            with lock:
                collected.extend(mine)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert client.flush(timeout=20.0)
        assert client.stats.accepted == 3200
    assert len(set(collected)) == 3200
    assert stored_ids(stub) == set(collected)


def test_close_gives_up_at_its_timeout_when_unreachable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = Client(f"http://127.0.0.1:{port}", "k", max_retries=50, retry_base_delay=0.2)
    for _ in range(7):
        client.track("session.started", {"entry": "direct"})
    started = time.monotonic()
    assert client.close(timeout=0.5) is False
    assert time.monotonic() - started < 4.0
    stats = client.stats
    assert stats.failed == 7
    assert stats.queued == 0


def test_unserialisable_payload_is_refused(stub: Any) -> None:
    with make_client(stub) as client:
        with pytest.raises(RastupError) as info:
            client.track("session.started", {"when": object()})
        assert info.value.code is ErrorCode.EVENT_ENVELOPE_INVALID
        assert client.stats.queued == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"batch_size": 0},
        {"batch_size": 5000},
        {"max_queue": 0},
        {"flush_interval": 0},
        {"max_retries": -1},
    ],
)
def test_bad_options_are_config_errors(stub: Any, kwargs: dict[str, Any]) -> None:
    with pytest.raises(RastupError) as info:
        Client(stub.url, stub.key, **kwargs)
    assert info.value.code is ErrorCode.CONFIG_INVALID


def test_missing_key_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RASTUP_KEY", raising=False)
    with pytest.raises(RastupError) as info:
        Client("http://127.0.0.1:9")
    assert "RASTUP_KEY" in info.value.message


def test_flush_from_on_error_does_not_deadlock(stub: Any) -> None:
    answers: list[bool] = []
    holder: list[Client] = []

    def on_error(problem: DeliveryProblem) -> None:
        answers.append(holder[0].flush(timeout=None))

    client = make_client(stub, on_error=on_error)
    holder.append(client)
    client.track("bad.event", {"x": 1})
    assert client.flush(timeout=10.0)
    client.close()
    assert answers == [False]
    assert client.stats.rejected == 1
