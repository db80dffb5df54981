"""The read-time erasure hook: which subjects the secure views exclude, on every read.

:class:`ExclusionSource` is the seam for privacy: anything with ``erased_subjects()`` can
be handed to the gate. The default reads the state database: the users and anonymous ids in
``tombstones`` (privacy files them, raw until the erasure is verified) and the anonymous ids
that ``identity_links`` ties to those users (a table that does not exist yet means nobody is
erased). Each query reads the current list, so an erasure takes effect at
once on Bronze, Silver, Gold, NRT and extracts alike.
"""

from __future__ import annotations

from typing import Protocol

from rastup_data.governance.session import ErasedSubjects
from rastup_data.state import StateDB

__all__ = ["ErasedSubjects", "ExclusionSource", "StateTombstones"]


class ExclusionSource(Protocol):
    """Supplies the subjects every secure view must exclude right now."""

    def erased_subjects(self) -> ErasedSubjects: ...


class StateTombstones:
    """Erased subjects from the state database's ``tombstones`` and ``identity_links``."""

    def __init__(self, db: StateDB) -> None:
        self.db = db

    def erased_subjects(self) -> ErasedSubjects:
        users = frozenset(
            str(r[0])
            for r in self._rows("SELECT DISTINCT user_id FROM tombstones WHERE user_id IS NOT NULL")
        )
        anons = frozenset(
            str(r[0])
            for r in self._rows(
                "SELECT anon_id FROM tombstones WHERE anon_id IS NOT NULL "
                "UNION SELECT l.anon_id FROM identity_links AS l "
                "JOIN tombstones AS t ON t.user_id = l.user_id"
            )
        )
        return ErasedSubjects(users=users, anons=anons)

    def _rows(self, sql: str) -> list[tuple[object, ...]]:
        try:
            return self.db.fetchall(sql)
        except Exception as exc:  # driver error classes differ; a missing table is "none"
            if "no such table" in str(exc) or "does not exist" in str(exc):
                return []
            raise
