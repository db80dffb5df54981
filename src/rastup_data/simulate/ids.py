"""Deterministic opaque ids: prefixed entity ids and UUID4-formatted event ids.

Entity ids are a keyed bijection of a per-prefix counter written in base 32, so they are
unique, stable for a seed, and never hold long digit runs that look like phone numbers.
"""

from __future__ import annotations

import random

__all__ = ["IdFactory", "uuid4_from_bits"]

_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
_BITS = 40
_MASK = (1 << _BITS) - 1
_MULTIPLIER = 0x9E3779B97 | 1  # odd, so multiplication is a bijection modulo 2**40
_UUID_CLEAR = ~((0xF << 76) | (0x3 << 62))
_UUID_SET = (0x4 << 76) | (0x2 << 62)


def uuid4_from_bits(bits: int) -> str:
    """Format 128 random bits as a version-4, RFC 4122 variant UUID string."""
    h = f"{(bits & _UUID_CLEAR) | _UUID_SET:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


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
