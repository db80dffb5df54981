"""Hashes of subjects: the keyed hash that finds them again, the salted hash that proves.

* ``subject_key`` — BLAKE2b keyed with the state database's privacy key (``governance_keys``,
  created on first use). Requests, holds, tombstones and the collector's suppression list
  match subjects by it, so none of them needs the raw id once an erasure is verified.
* ``salted_hash`` — ``sha256(salt || id)`` with a salt per request: what a certificate shows.
  Whoever knows the id (the subject, the privacy officer) can check it; nobody can read the
  id back from it, and two requests' hashes of one subject differ.
"""

from __future__ import annotations

import hashlib
import secrets

from rastup_data.ingest.suppression import subject_digest
from rastup_data.state import StateDB, stored_key

__all__ = ["KEY_NAME", "new_salt", "privacy_key", "salted_hash", "subject_key"]

#: The name of the privacy key in ``governance_keys``.
KEY_NAME = "privacy_subject_key"


def privacy_key(db: StateDB) -> bytes:
    """The state database's privacy key (32 bytes), created on first use."""
    return bytes.fromhex(stored_key(db, KEY_NAME))


def subject_key(key: bytes, subject_id: str) -> str:
    """The keyed hash of a user or anonymous id, as hex (what the state database stores)."""
    return subject_digest(key, subject_id).hex()


def new_salt() -> str:
    return secrets.token_hex(16)


def salted_hash(salt: str, subject_id: str) -> str:
    """``sha256(salt || id)`` as hex; ``salt`` is hex."""
    return hashlib.sha256(bytes.fromhex(salt) + subject_id.encode("utf-8")).hexdigest()
