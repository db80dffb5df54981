"""StatePoller on a real SQLite state database: a check at start, on every tick, and past
a failing one."""

from __future__ import annotations

import threading
from pathlib import Path

from rastup_data.state import StateDB, sqlite_url
from rastup_data.state.poller import StatePoller


class _Counting(StatePoller):
    """Records each check; the second one fails as a busy database would."""

    def __init__(self, state_url: str) -> None:
        super().__init__(state_url, interval_s=0.01, name="test-poller")
        self.calls: list[str] = []
        self.third = threading.Event()

    def check(self, db: StateDB) -> None:
        self.calls.append(db.url)
        if len(self.calls) == 2:
            raise RuntimeError("database is locked")
        if len(self.calls) >= 3:
            self.third.set()


def test_checks_at_start_then_every_tick_and_survives_a_failing_check(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "state.db")
    poller = _Counting(url)
    poller.poll()  # not started: nothing to check
    assert poller.calls == []
    poller.start()
    try:
        assert poller.calls[:1] == [url]  # the first check runs before start returns
        assert poller.third.wait(5), "the tick after a failing check did not come"
    finally:
        poller.stop()
    settled = len(poller.calls)
    poller.poll()  # stopped: the database is closed, nothing more is checked
    assert len(poller.calls) == settled
