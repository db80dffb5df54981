"""A dedupe window shared by several collector processes: a hash set in a mapped file.

Two generations of open-addressing tables of 64-bit id hashes live in one file mapped by
every process (``MAP_SHARED``); an advisory lock serialises each batch. An id is
remembered for at least ``window_s`` and at most twice that: the older generation is
dropped whole when the newer one is a window old — or earlier, when the newer one is 70 %
full (the window shrinks under extreme load rather than growing without bound).
"""

from __future__ import annotations

import hashlib
import mmap
import os
import struct
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from rastup_data.storage.posix import FdLock

__all__ = ["SharedDedupe"]

_HEADER = struct.Struct("<QQdQQ")  # magic, current generation, rotated_at, count[0], count[1]
_MAGIC = 0x52415354_44454455  # "RASTDEDU"
_HEADER_SLOTS = 8  # header padded to 64 bytes (8 slots of 8 bytes)
_FILL = 0.7


def _hash(event_id: str) -> int:
    digest = hashlib.blake2b(event_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") | 1  # never 0, the empty slot


def _hashes(event_ids: Iterable[str]) -> list[int]:
    """:func:`_hash` of each id, the digests unpacked in one call (the per-batch hot path)."""
    blake2b = hashlib.blake2b
    digests = b"".join([blake2b(e.encode(), digest_size=8).digest() for e in event_ids])
    return [h | 1 for h in struct.unpack(f"<{len(digests) // 8}Q", digests)]


class SharedDedupe:
    """Event ids seen recently by any process that opened the same ``path``."""

    def __init__(
        self,
        path: Path,
        *,
        window_s: float = 3600.0,
        capacity: int = 1 << 22,
        create: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if capacity & (capacity - 1):
            raise ValueError("capacity must be a power of two")
        self.path = path
        self.window_s = window_s
        self.capacity = capacity
        self._clock = clock
        size = (_HEADER_SLOTS + 2 * capacity) * 8
        flags = os.O_RDWR | os.O_CREAT | (os.O_TRUNC if create else 0)
        self._fd = os.open(path, flags, 0o600)
        if create or os.fstat(self._fd).st_size != size:
            os.ftruncate(self._fd, 0)
            os.ftruncate(self._fd, size)
        self._map = mmap.mmap(self._fd, size, mmap.MAP_SHARED)
        self._slots = memoryview(self._map).cast("Q")
        self._mask = capacity - 1
        with self._locked():
            magic = _HEADER.unpack_from(self._map, 0)[0]
            if magic != _MAGIC:
                _HEADER.pack_into(self._map, 0, _MAGIC, 0, self._clock(), 0, 0)

    def close(self) -> None:
        self._slots.release()
        self._map.close()
        os.close(self._fd)

    # -- locking and header ----------------------------------------------------------

    def _locked(self) -> FdLock:
        return FdLock(self._fd)

    def _table_base(self, generation: int) -> int:
        return _HEADER_SLOTS + (generation & 1) * self.capacity

    def _rotate_if_due(self) -> tuple[int, list[int]]:
        _, current, rotated_at, count0, count1 = _HEADER.unpack_from(self._map, 0)
        counts = [count0, count1]
        now = self._clock()
        if now - rotated_at >= self.window_s or counts[current & 1] >= _FILL * self.capacity:
            current += 1
            base = self._table_base(current)
            self._slots[base : base + self.capacity] = memoryview(bytes(8 * self.capacity)).cast(
                "Q"
            )
            counts[current & 1] = 0
            _HEADER.pack_into(self._map, 0, _MAGIC, current, now, *counts)
        return current, counts

    def _find(self, base: int, h: int) -> int:
        """Slot index holding ``h``, or the (negative-encoded) empty slot to insert at."""
        slots, mask = self._slots, self._mask
        i = h & mask
        while True:
            value = slots[base + i]
            if value == h:
                return i
            if value == 0:
                return -1 - i
            i = (i + 1) & mask

    # -- the DedupeWindow interface --------------------------------------------------

    def __len__(self) -> int:
        _, _, _, count0, count1 = _HEADER.unpack_from(self._map, 0)
        return int(count0 + count1)

    def add_new(self, event_ids: Iterable[str]) -> list[bool]:
        """Add ids; for each, True when no process saw it within the window."""
        hashes = _hashes(event_ids)
        out: list[bool] = []
        with self._locked():
            current, counts = self._rotate_if_due()
            new_base = self._table_base(current)
            old_base = self._table_base(current + 1)
            check_old = bool(counts[(current + 1) & 1])
            slots, mask = self._slots, self._mask
            added = 0
            for h in hashes:
                # _find on the newer table, inlined: this runs once per accepted event.
                i = h & mask
                value = slots[new_base + i]
                while value != h and value:
                    i = (i + 1) & mask
                    value = slots[new_base + i]
                if value or (check_old and self._find(old_base, h) >= 0):
                    out.append(False)
                    continue
                slots[new_base + i] = h
                added += 1
                out.append(True)
            counts[current & 1] += added
            rotated_at = _HEADER.unpack_from(self._map, 0)[2]
            _HEADER.pack_into(self._map, 0, _MAGIC, current, rotated_at, *counts)
        return out

    def forget(self, event_ids: Iterable[str]) -> None:
        """Forget ids whose acceptance did not become durable (rebuilds the probe chain)."""
        targets = {_hash(e) for e in event_ids}
        if not targets:
            return
        with self._locked():
            _, current, _, _, _ = _HEADER.unpack_from(self._map, 0)
            for generation in (current, current + 1):
                base = self._table_base(generation)
                for h in targets:
                    at = self._find(base, h)
                    if at < 0:
                        continue
                    self._delete(base, at)

    def _delete(self, base: int, i: int) -> None:
        # Backward-shift deletion keeps linear probing chains intact without tombstones.
        slots, mask = self._slots, self._mask
        slots[base + i] = 0
        j = i
        while True:
            j = (j + 1) & mask
            value = slots[base + j]
            if value == 0:
                return
            home = value & mask
            if (j > i and (home <= i or home > j)) or (j < i and (home <= i and home > j)):
                slots[base + i] = value
                slots[base + j] = 0
                i = j
