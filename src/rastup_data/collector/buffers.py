"""Applies the lander buffers operators set (``rastup-data lander buffers``) to a running
collector: a thread reads the controls every two seconds and hands changes to the runtime."""

from __future__ import annotations

import logging
from collections.abc import Callable

from rastup_data.lander.buffers import Buffers, read_buffers
from rastup_data.state import OpsControls, StateDB
from rastup_data.state.poller import StatePoller

__all__ = ["BufferWatcher"]

log = logging.getLogger(__name__)


class BufferWatcher(StatePoller):
    """Calls ``apply`` with the operators' buffers at start and whenever they change."""

    def __init__(
        self, state_url: str, apply: Callable[[Buffers], None], *, interval_s: float = 2.0
    ) -> None:
        super().__init__(state_url, interval_s=interval_s, name="lander-buffers")
        self.apply = apply
        self._current = Buffers()

    def check(self, db: StateDB) -> None:
        wanted = read_buffers(OpsControls(db))
        if wanted != self._current:
            log.warning("lander buffers: %s", wanted.describe())
            self.apply(wanted)
            self._current = wanted
