"""The gate's cache of secure sessions: one per principal scope and version of the lake.

A session is keyed by its :class:`~rastup_data.governance.session.SessionSpec` (the published
warehouse and NRT files, their version, the erasure list's digest, the pinned BI snapshots,
the role and cities) and, for a scoped principal, its name. A new build, file, erasure or
snapshot makes a new key: the session it supersedes for the same scope is dropped (its
in-flight cursors keep it alive until they finish), and at most ``MAX_SESSIONS`` are kept.
"""

from __future__ import annotations

from rastup_data.governance.memo import BoundedCache
from rastup_data.governance.policy import Policy
from rastup_data.governance.principals import Principal
from rastup_data.governance.session import (
    SNAPSHOT_POINTER,
    ErasedSubjects,
    SecureSession,
    SessionSpec,
    files_version,
)
from rastup_data.governance.tags import load_column_tags
from rastup_data.lake.files import has_parquet
from rastup_data.lake.layout import LakeLayout
from rastup_data.transform.manifest import current_manifest_path
from rastup_data.transform.published import published_files

__all__ = ["MAX_SESSIONS", "SessionCache"]

MAX_SESSIONS = 32

_Key = tuple[SessionSpec, str]


class SessionCache:
    """The secure sessions of one gate (thread-safe)."""

    def __init__(
        self,
        layout: LakeLayout,
        *,
        policy: Policy,
        mask_key: str,
    ) -> None:
        self.layout = layout
        self.policy = policy
        self._mask_key = mask_key
        # Past MAX_SESSIONS the least recently used goes (in-flight cursors keep theirs alive).
        self._sessions: BoundedCache[_Key, SecureSession] = BoundedCache(MAX_SESSIONS)

    def get(self, principal: Principal, erased: ErasedSubjects) -> SecureSession:
        """The session ``principal`` reads the lake as it is now through, with the subjects
        ``erased`` now left out (made on a miss)."""
        published = published_files(self.layout)
        spec = SessionSpec(
            lake=self.layout,
            warehouse=published.warehouse,
            nrt=published.nrt,
            principal_role=principal.role,
            cities=principal.cities,
            erased_digest=erased.digest,
            files_version=files_version(published.warehouse, published.nrt),
            snapshots=self._snapshots(),
        )
        key = (spec, principal.name if principal.scoped else "")
        session = self._sessions.get(key)
        if session is not None:
            return session
        tags = (
            load_column_tags(current_manifest_path(self.layout)) if self._needs_tags(spec) else {}
        )
        session = SecureSession(
            spec,
            policy=self.policy,
            principal=principal,
            tags=tags,
            mask_key=self._mask_key,
            erased=erased,
        )
        # The sessions this one supersedes (an older build, file or erasure list for the same
        # scope) are dropped, so their files are released once their in-flight cursors finish.
        self._sessions.put(key, session, replacing=lambda old: _same_scope(old, key))
        return session

    def cached(self) -> list[SecureSession]:
        """The sessions kept now, least recently used first."""
        return self._sessions.values()

    def close(self) -> None:
        for session in self._sessions.clear():
            session.close()

    def _snapshots(self) -> tuple[tuple[str, str], ...]:
        """The snapshot each pointer-published Parquet folder names now (BI extracts)."""
        store = self.layout.lake
        found = []
        for folder in sorted(set(self.policy.parquet_relations.values())):
            snapshot = store.read_pointer(f"{folder}/{SNAPSHOT_POINTER}")
            if snapshot and "/" not in snapshot and not snapshot.startswith("."):
                found.append((folder, snapshot))
        return tuple(found)

    def _needs_tags(self, spec: SessionSpec) -> bool:
        has_data = spec.warehouse is not None or spec.nrt is not None
        return has_data or any(
            has_parquet(self.layout.lake, folder)
            for folder in self.policy.parquet_relations.values()
        )


def _same_scope(a: _Key, b: _Key) -> bool:
    """Whether two cached sessions serve the same principal scope (role, cities, name)."""
    return (a[0].principal_role, a[0].cities, a[1]) == (b[0].principal_role, b[0].cities, b[1])
