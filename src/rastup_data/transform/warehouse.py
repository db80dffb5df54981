"""Warehouse topology: immutable build files and an atomically switched pointer.

::

    <lake>/warehouse/                   shared (lake storage)
      builds/<build_id>.duckdb            one file per published build (never written again)
      CURRENT                             pointer: name of the published build file
      nrt/<snapshot_id>.duckdb            NRT ops views snapshots, nrt/CURRENT, nrt/FRESHNESS.json
    <work>/warehouse/                   node-local (work storage)
      builds/_staging.duckdb              the build in progress (private to the builder)
      nrt/_staging.duckdb                 the NRT snapshot in progress
      _dbt/<purpose>/                     dbt target folders (manifest, partial parse)
      _published/{builds,nrt}/            local copies of published files (lake on S3 only:
                                          DuckDB attaches local files)

Readers follow CURRENT and open that file read-only; writers never touch a published file,
so readers never meet DuckDB's single-writer lock. Builders take the lake lock of their
purpose (``build``, ``nrt``), so one build per lake runs at a time.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rastup_data.lake.layout import WAREHOUSE, LakeLayout
from rastup_data.storage import LocalStorage, Storage

__all__ = [
    "KEEP_BUILDS",
    "PointerDir",
    "WarehouseDirs",
    "attached_copy",
    "new_snapshot_id",
    "warehouse_dirs",
]

#: Published build files kept besides the current one's predecessors.
KEEP_BUILDS = 3

_STAGING = "_staging.duckdb"
_SUFFIX = ".duckdb"


@dataclass(frozen=True, slots=True)
class PointerDir:
    """Immutable snapshot files under ``files`` with a pointer key naming one of them;
    the next snapshot is built in the node-local file ``staging``."""

    store: Storage
    files: str
    pointer: str
    staging: Path
    #: A node-local folder holding copies of published files, for a store DuckDB cannot
    #: attach from (an object store); None attaches them where they are.
    cache: Path | None = None

    def current_key(self) -> str | None:
        """The key of the published file, or None when nothing is published (or it vanished)."""
        name = self.store.read_pointer(self.pointer)
        if not name or "/" in name or name.startswith(".") or not name.endswith(_SUFFIX):
            return None
        key = f"{self.files}/{name}"
        return key if self.store.exists(key) else None

    def ever_published(self) -> bool:
        """Whether the pointer was ever written (its file may since have vanished)."""
        return self.store.read_pointer(self.pointer) is not None

    def current(self) -> str | None:
        """Where DuckDB can attach the published file (a path or URL), or None."""
        key = self.current_key()
        return self.attachable(key) if key is not None else None

    def attachable(self, key: str) -> str:
        """Where DuckDB can attach the published file ``key``: its URI on local disk, else
        a node-local copy."""
        return self.store.uri(key) if self.cache is None else str(self._cached(key))

    def _cached(self, key: str) -> Path:
        """A local copy of the immutable published file ``key`` (fetched once per node)."""
        assert self.cache is not None
        local = self.cache / key.rsplit("/", 1)[-1]
        if not local.exists():
            local.parent.mkdir(parents=True, exist_ok=True)
            self.store.get_file(key, local)
            local.chmod(0o444)
            self._trim_cache(keep=local)
        return local

    def _trim_cache(self, *, keep: Path) -> None:
        assert self.cache is not None
        copies = sorted((p for p in self.cache.glob(f"*{_SUFFIX}") if p != keep), reverse=True)
        for old in copies[KEEP_BUILDS:]:
            old.unlink(missing_ok=True)

    def fetch_current(self, dest: Path) -> str | None:
        """Copy the published file to ``dest`` (a writable copy); its key, or None."""
        key = self.current_key()
        if key is not None:
            self.store.get_file(key, dest)
            dest.chmod(0o644)
        return key

    def publish(self, staged: Path, snapshot_id: str) -> str:
        """Store a finished staging file as ``<snapshot_id>.duckdb`` (consuming it) and switch
        the pointer to it; returns its URI."""
        name = f"{snapshot_id}{_SUFFIX}"
        os.chmod(staged, 0o444)  # published files are never written again
        self.store.put_file(f"{self.files}/{name}", staged, move=True)
        self.store.write_pointer(self.pointer, name)
        return self.store.uri(f"{self.files}/{name}")

    def discard_staging(self) -> None:
        for path in (self.staging, self.staging.with_name(self.staging.name + ".wal")):
            path.unlink(missing_ok=True)

    def collect_garbage(self, keep: int = KEEP_BUILDS) -> list[str]:
        """Delete old snapshot files: keep the newest ``keep`` and always the current one."""
        current = self.current_key()
        depth = self.files.count("/") + 1
        snapshots = sorted(
            (
                k
                for k in self.store.list_keys(self.files)
                if k.endswith(_SUFFIX) and k.count("/") == depth and not k.endswith(_STAGING)
            ),
            reverse=True,
        )
        removed: list[str] = []
        for key in snapshots[keep:]:
            if key == current:
                continue
            self.store.delete(key)
            self.store.delete(key + ".wal")
            removed.append(key)
        return removed


@dataclass(frozen=True, slots=True)
class WarehouseDirs:
    """Where builds, NRT snapshots and dbt target folders live for one lake and node."""

    store: Storage
    work: LocalStorage
    builds: PointerDir
    nrt: PointerDir

    @property
    def freshness(self) -> str:
        """The key of the NRT freshness record (JSON)."""
        return f"{self.nrt.files}/FRESHNESS.json"

    def dbt_target(self, purpose: str) -> Path:
        return self.work.path(f"{WAREHOUSE}/_dbt/{purpose}")

    def prepare_staging(self, pointer: PointerDir) -> Path:
        """Make room for a new staging file (discarding an abandoned one); its path."""
        pointer.staging.parent.mkdir(parents=True, exist_ok=True)
        pointer.discard_staging()
        return pointer.staging


def warehouse_dirs(layout: LakeLayout) -> WarehouseDirs:
    store, work = layout.lake, layout.work
    cache = work.path(f"{WAREHOUSE}/_published") if layout.is_remote else None
    return WarehouseDirs(
        store=store,
        work=work,
        builds=PointerDir(
            store,
            f"{WAREHOUSE}/builds",
            f"{WAREHOUSE}/CURRENT",
            work.path(f"{WAREHOUSE}/builds/{_STAGING}"),
            cache and cache / "builds",
        ),
        nrt=PointerDir(
            store,
            f"{WAREHOUSE}/nrt",
            f"{WAREHOUSE}/nrt/CURRENT",
            work.path(f"{WAREHOUSE}/nrt/{_STAGING}"),
            cache and cache / "nrt",
        ),
    )


def new_snapshot_id(now: datetime | None = None) -> str:
    """Sortable, unique id: UTC time to the microsecond plus a random suffix."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y%m%dT%H%M%S%fZ") + "-" + secrets.token_hex(3)


@contextmanager
def attached_copy(store: Storage, key: str) -> Iterator[str]:
    """A path DuckDB can ATTACH for the warehouse file ``key``: the file itself on local disk,
    a temporary local copy (deleted afterwards) on an object store."""
    if isinstance(store, LocalStorage):
        yield store.uri(key)
        return
    folder = Path(tempfile.mkdtemp(prefix="rastup-attach-"))
    try:
        local = folder / key.rsplit("/", 1)[-1]
        store.get_file(key, local)
        yield str(local)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
