"""Applies the lander buffers operators set (``rastup-data lander buffers``) to a running
collector: a thread reads the controls every two seconds and hands changes to the runtime."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from rastup_data.lander.buffers import Buffers, read_buffers
from rastup_data.state import OpsControls, StateDB, open_state

__all__ = ["BufferWatcher"]

log = logging.getLogger(__name__)


class BufferWatcher:
    """Calls ``apply`` with the operators' buffers at start and whenever they change."""

    def __init__(
        self, state_url: str, apply: Callable[[Buffers], None], *, interval_s: float = 2.0
    ) -> None:
        self.state_url = state_url
        self.apply = apply
        self.interval_s = interval_s
        self._current = Buffers()
        self._db: StateDB | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._db = open_state(self.state_url)
        self.refresh()
        self._thread = threading.Thread(target=self._run, name="lander-buffers", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._db is not None:
            self._db.close()
            self._db = None

    def refresh(self) -> None:
        if self._db is None:
            return
        wanted = read_buffers(OpsControls(self._db))
        if wanted != self._current:
            log.warning("lander buffers: %s", wanted.describe())
            self.apply(wanted)
            self._current = wanted

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.refresh()
            except Exception:  # the state database may be busy: keep the buffers in force
                log.exception("reading the lander buffers failed; keeping the current ones")
