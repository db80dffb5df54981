"""Module-level init/track/flush, the atexit flush, and no import-time side effects."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest

from rastup_data import sdk
from rastup_data.errors import ErrorCode, RastupError


@pytest.fixture(autouse=True)
def no_default_client() -> Iterator[None]:
    sdk.close()
    yield
    sdk.close()


def test_track_before_init_is_refused() -> None:
    with pytest.raises(RastupError) as info:
        sdk.track("session.started", {"entry": "direct"})
    assert info.value.code is ErrorCode.CONFIG_INVALID
    assert "init" in info.value.message


def test_init_track_flush_close(stub: Any) -> None:
    client = sdk.init(stub.url, stub.key, flush_interval=60.0)
    assert sdk.get_client() is client
    ids = [sdk.track("session.started", {"entry": "email"}, user_id="u_1") for _ in range(20)]
    assert sdk.flush(timeout=10.0)
    assert set(stub.stored) == set(ids)
    assert sdk.stats().accepted == 20
    assert sdk.close() is True
    with pytest.raises(RastupError):
        sdk.get_client()


def test_init_again_replaces_and_closes_the_old_client(stub: Any) -> None:
    first = sdk.init(stub.url, stub.key, flush_interval=60.0)
    pending = sdk.track("session.started", {"entry": "direct"})
    second = sdk.init(stub.url, stub.key)
    assert second is not first
    assert pending in stub.stored  # closing the old client flushed it
    assert first.stats.accepted == 1


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_atexit_flushes_pending_events(stub: Any) -> None:
    done = run_python(
        f"""
        from rastup_data import sdk
        sdk.init({stub.url!r}, {stub.key!r}, flush_interval=60.0)
        for i in range(7):
            sdk.track("session.started", {{"entry": "direct"}}, anon_id=f"a_{{i}}")
        """
    )
    assert done.returncode == 0, done.stderr
    assert len(stub.stored) == 7


def test_import_has_no_side_effects() -> None:
    done = run_python(
        """
        import atexit, threading, logging
        import httpx, orjson, rich.console, rich.progress, concurrent.futures
        baseline = atexit._ncallbacks()
        import rastup_data.sdk, rastup_data.client
        assert threading.active_count() == 1, threading.enumerate()
        assert atexit._ncallbacks() == baseline, atexit._ncallbacks()
        client = rastup_data.sdk.Client("http://127.0.0.1:9", "k")
        assert atexit._ncallbacks() == baseline + 1
        client.close()
        print("clean")
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "clean"


def test_closed_clients_are_not_closed_again_at_exit() -> None:
    done = run_python(
        """
        from rastup_data.sdk import Client
        Client._close_at_exit = lambda self: print("closed at exit", self.url)
        closed = Client("http://127.0.0.1:9/closed", "k")
        closed.close()
        Client("http://127.0.0.1:9/open", "k")
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["closed at exit http://127.0.0.1:9/open"]
