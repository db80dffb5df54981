"""StatePoller on a real SQLite state database: a check at start, on every tick, and past
a failing one."""

from __future__ import annotations

import threading
from pathlib import Path

from rastup_data.state import StateDB, sqlite_url
from rastup_data.state.poller import StatePoller


def test_checks_at_start_then_every_tick_and_survives_a_failing_check(tmp_path: Path) -> None:
    calls: list[str] = []
    third = threading.Event()

    def check(db: StateDB) -> None:
        calls.append(db.url)
        if len(calls) == 2:
            raise RuntimeError("database is locked")
        if len(calls) >= 3:
            third.set()

    url = sqlite_url(tmp_path / "state.db")
    poller = StatePoller(url, check, interval_s=0.01, name="test-poller")
    poller.poll()  # not started: nothing to check
    assert calls == []
    poller.start()
    try:
        assert calls[:1] == [url]  # the first check runs before start returns
        assert third.wait(5), "the tick after a failing check did not come"
    finally:
        poller.stop()
    settled = len(calls)
    poller.poll()  # stopped: the database is closed, nothing more is checked
    assert len(calls) == settled
