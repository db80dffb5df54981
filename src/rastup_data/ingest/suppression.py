"""Suppression of erased subjects: events whose user or anonymous id was erased are not stored.

The erased ids are known only as keyed hashes (``subject_digest``: BLAKE2b keyed with the
state database's privacy key), so the list itself names nobody. Checking an event costs one
keyed hash per id it carries, and nothing at all while nobody is erased.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["SUBJECT_DIGEST_BYTES", "SubjectSuppression", "subject_digest"]

#: Bytes of a subject digest (hex in the state database: twice as many characters).
SUBJECT_DIGEST_BYTES = 16


def subject_digest(key: bytes, subject_id: str) -> bytes:
    """The keyed hash of one user or anonymous id (``blake2b(id, key=key, digest_size=16)``)."""
    return hashlib.blake2b(
        subject_id.encode("utf-8", "surrogatepass"), key=key, digest_size=SUBJECT_DIGEST_BYTES
    ).digest()


@dataclass(frozen=True, slots=True)
class SubjectSuppression:
    """The digests of every erased id, and the key they were made with."""

    key: bytes = b""
    digests: frozenset[bytes] = field(default_factory=frozenset)

    @classmethod
    def from_hex(cls, key: bytes, digests: Iterable[str]) -> SubjectSuppression:
        return cls(key, frozenset(bytes.fromhex(d) for d in digests))

    @property
    def active(self) -> bool:
        """Whether any subject is erased (when not, checking is skipped altogether)."""
        return bool(self.digests)

    def erased(self, user_id: object, anon_id: object) -> bool:
        """Whether either id of an event belongs to an erased subject (non-strings never do)."""
        digests, key = self.digests, self.key
        if type(user_id) is str and subject_digest(key, user_id) in digests:
            return True
        return type(anon_id) is str and subject_digest(key, anon_id) in digests
