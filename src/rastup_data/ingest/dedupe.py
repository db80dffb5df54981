"""The dedupe window: event ids seen recently, expired by age and bounded in size.

Ids live in one dict for O(1) membership and in time buckets for O(1) amortised expiry.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Protocol

__all__ = ["Dedupe", "DedupeWindow"]


class Dedupe(Protocol):
    """What acceptance needs from a dedupe store (in-process or shared between processes)."""

    def add_new(self, event_ids: Iterable[str]) -> list[bool]: ...

    def forget(self, event_ids: Iterable[str]) -> None: ...

    def __len__(self) -> int: ...


class DedupeWindow:
    """Remember event ids for ``window_s`` seconds, at most ``max_ids`` (oldest leave first)."""

    def __init__(
        self,
        window_s: float = 3600.0,
        max_ids: int = 5_000_000,
        *,
        bucket_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window_s = window_s
        self.max_ids = max_ids
        self._bucket_s = bucket_s
        self._clock = clock
        self._seen: dict[str, int] = {}
        self._buckets: deque[tuple[int, list[str]]] = deque()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._seen)

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._seen

    def _bucket(self) -> tuple[int, list[str]]:
        key = int(self._clock() // self._bucket_s)
        if not self._buckets or self._buckets[-1][0] != key:
            self._buckets.append((key, []))
        return self._buckets[-1]

    def _expire(self) -> None:
        oldest_key = int((self._clock() - self.window_s) // self._bucket_s)
        seen = self._seen
        while self._buckets and (self._buckets[0][0] < oldest_key or len(seen) > self.max_ids):
            key, ids = self._buckets.popleft()
            for event_id in ids:
                if seen.get(event_id) == key:
                    del seen[event_id]

    def add_new(self, event_ids: Iterable[str]) -> list[bool]:
        """Add ids; for each, True when it was new (not seen within the window)."""
        with self._lock:
            self._expire()
            key, bucket = self._bucket()
            seen = self._seen
            out: list[bool] = []
            for event_id in event_ids:
                if event_id in seen:
                    out.append(False)
                else:
                    seen[event_id] = key
                    bucket.append(event_id)
                    out.append(True)
            return out

    def forget(self, event_ids: Iterable[str]) -> None:
        """Remove ids whose acceptance did not become durable, so a retry is not a duplicate."""
        with self._lock:
            for event_id in event_ids:
                self._seen.pop(event_id, None)
