"""Deterministic opaque ids: prefixed entity ids and UUID4 event ids.

Entity ids are a keyed bijection of a per-prefix counter written in base 32, so they are
unique, stable for a seed, and never hold long digit runs that look like phone numbers.
"""

from __future__ import annotations

import random

__all__ = ["EventIdSource", "IdFactory"]

_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
_BITS = 40
_MASK = (1 << _BITS) - 1
_MULTIPLIER = 0x9E3779B97 | 1  # odd, so multiplication is a bijection modulo 2**40


class IdFactory:
    """Hands out unique ids per prefix (``bk_``, ``lg_`` …) deterministically from a seed."""

    __slots__ = ("_counters", "_salt")

    def __init__(self, rng: random.Random) -> None:
        self._salt = rng.getrandbits(_BITS)
        self._counters: dict[str, int] = {}

    def new(self, prefix: str) -> str:
        n = self._counters.get(prefix, 0)
        self._counters[prefix] = n + 1
        value = ((n + 1) * _MULTIPLIER + self._salt) & _MASK
        chars = []
        for _ in range(8):
            chars.append(_ALPHABET[value & 31])
            value >>= 5
        return prefix + "".join(chars)


_VARIANT_NIBBLE = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}
_BLOCK_UUIDS = 4_096


class EventIdSource:
    """UUID4 strings from a seeded generator, drawn in blocks to keep the cost per id low."""

    __slots__ = ("_hex", "_next", "_rng")

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._hex = ""
        self._next = 32 * _BLOCK_UUIDS

    def new(self) -> str:
        i = self._next
        if i >= 32 * _BLOCK_UUIDS:
            self._hex = self._rng.randbytes(16 * _BLOCK_UUIDS).hex()
            i = 0
        self._next = i + 32
        h = self._hex
        return (
            f"{h[i : i + 8]}-{h[i + 8 : i + 12]}-4{h[i + 13 : i + 16]}-"
            f"{_VARIANT_NIBBLE[h[i + 16]]}{h[i + 17 : i + 20]}-{h[i + 20 : i + 32]}"
        )
