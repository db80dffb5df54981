"""Keeps a value read from the state database current on a thread of its own.

:class:`StatePoller` is the base of such a value's keeper: it runs the subclass's
:meth:`~StatePoller.check` once at :meth:`~StatePoller.start` (so a restarted process acts on
the stored value from its first request), then every ``interval_s``. A ``check`` reads a
cheap fingerprint and acts only when it changed. A failing ``check`` (the
database busy or briefly unreachable) is logged and retried on the next tick: the last good
value stays in force.
"""

from __future__ import annotations

import logging
import threading

from rastup_data.state.database import StateDB
from rastup_data.state.open import open_state

__all__ = ["StatePoller"]

log = logging.getLogger(__name__)


class StatePoller:
    """Calls :meth:`check` with the open state database at start and every ``interval_s``;
    ``name`` names its thread and its log lines."""

    def __init__(self, state_url: str, *, interval_s: float, name: str) -> None:
        self.state_url = state_url
        self.interval_s = interval_s
        self.name = name
        self._db: StateDB | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._db = open_state(self.state_url)
        self.poll()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._db is not None:
            self._db.close()
            self._db = None

    def check(self, db: StateDB) -> None:
        """Read the value from ``db`` and act on a change (the subclass's part)."""
        raise NotImplementedError

    def poll(self) -> None:
        """One ``check`` now (nothing before :meth:`start` or after :meth:`stop`)."""
        if self._db is not None:
            self.check(self._db)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.poll()
            except Exception:  # the state database may be busy or briefly unreachable
                log.exception(
                    "%s: reading the state database failed; keeping the last value", self.name
                )
