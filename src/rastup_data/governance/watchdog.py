"""One thread that stops queries running past their deadline (cheaper than a Timer each),
or when an operator asks (``rastup-data queries kill``).

Arming never wakes the thread (waking it costs the query a thread switch): it looks at the
deadlines every quarter second, which is precise enough for limits of seconds. While
queries are armed it also asks ``kill_requests`` (every half second) which of them an
operator wants stopped, and stops those at once.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Protocol

__all__ = ["QueryInterrupt", "Watchdog"]

_TICK = 0.25
_KILL_POLL = 0.5


class Watchdog:
    """Calls a query's stop callback when its deadline passes, unless it was disarmed."""

    def __init__(self, kill_requests: Callable[[], Iterable[Hashable]] | None = None) -> None:
        """``kill_requests``: the keys (given to :meth:`arm`) operators asked to stop."""
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._armed: set[int] = set()
        self._keys: dict[Hashable, tuple[int, Callable[[], None]]] = {}
        self._kill_requests = kill_requests
        self._polled = 0.0
        self._ids = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False

    def arm(
        self,
        seconds: float,
        callback: Callable[[], None],
        key: Hashable = None,
        on_kill: Callable[[], None] | None = None,
    ) -> int:
        """Call ``callback`` after ``seconds``, or ``on_kill`` when ``key`` is asked to stop."""
        handle = next(self._ids)
        with self._cond:
            heapq.heappush(self._heap, (time.monotonic() + seconds, handle, callback))
            self._armed.add(handle)
            if key is not None:
                self._keys[key] = (handle, on_kill or callback)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="gate-watchdog", daemon=True
                )
                self._thread.start()
        return handle

    def disarm(self, handle: int) -> None:
        with self._cond:
            self._armed.discard(handle)
            for key in [k for k, (h, _) in self._keys.items() if h == handle]:
                del self._keys[key]

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _poll_kills(self) -> None:
        """Stop the armed queries an operator asked to stop (the lock is held)."""
        now = time.monotonic()
        if self._kill_requests is None or not self._keys or now - self._polled < _KILL_POLL:
            return
        self._polled = now
        try:
            wanted = set(self._kill_requests())
        except Exception:  # the state database is busy: ask again next time
            return
        for key in wanted & self._keys.keys():
            handle, callback = self._keys.pop(key)
            if handle in self._armed:
                self._armed.discard(handle)
                callback()

    def _loop(self) -> None:
        with self._cond:
            while not self._stopping:
                self._poll_kills()
                while self._heap and self._heap[0][1] not in self._armed:
                    heapq.heappop(self._heap)  # disarmed: drop it
                if not self._heap:
                    self._cond.wait(_TICK)
                    continue
                deadline, handle, callback = self._heap[0]
                wait = deadline - time.monotonic()
                if wait > 0:
                    self._cond.wait(min(wait, _TICK))
                    continue
                heapq.heappop(self._heap)
                self._armed.discard(handle)
                callback()


class _Interruptible(Protocol):
    def interrupt(self) -> None: ...


@dataclass(slots=True)
class QueryInterrupt:
    """The watchdog's two stop callbacks for one query's cursor (:meth:`timeout` when its
    time limit passes, :meth:`kill` when an operator asks); remembers which one fired."""

    cursor: _Interruptible
    reason: str | None = None

    def timeout(self) -> None:
        self.reason = "timeout"
        self.cursor.interrupt()

    def kill(self) -> None:
        self.reason = "killed"
        self.cursor.interrupt()
