"""One thread that stops queries running past their deadline (cheaper than a Timer each).

Arming never wakes the thread (waking it costs the query a thread switch): it looks at the
deadlines every quarter second, which is precise enough for limits of seconds.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable

__all__ = ["Watchdog"]

_TICK = 0.25


class Watchdog:
    """Calls a query's stop callback when its deadline passes, unless it was disarmed."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._armed: set[int] = set()
        self._ids = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False

    def arm(self, seconds: float, callback: Callable[[], None]) -> int:
        handle = next(self._ids)
        with self._cond:
            heapq.heappush(self._heap, (time.monotonic() + seconds, handle, callback))
            self._armed.add(handle)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="gate-watchdog", daemon=True
                )
                self._thread.start()
        return handle

    def disarm(self, handle: int) -> None:
        with self._cond:
            self._armed.discard(handle)

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        with self._cond:
            while not self._stopping:
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
