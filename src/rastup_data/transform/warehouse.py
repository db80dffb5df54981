"""Warehouse topology: immutable build files and an atomically switched pointer.

::

    <lake>/warehouse/
      builds/<build_id>.duckdb     one file per published build (never written again)
      builds/_staging.duckdb       the build in progress (private to the builder)
      CURRENT                      name of the published build file
      nrt/<snapshot_id>.duckdb     NRT ops views snapshots, nrt/CURRENT, nrt/FRESHNESS.json
      _dbt/<purpose>/              dbt target folders (manifest, partial parse)

Readers follow CURRENT and open that file read-only; writers never touch a published file,
so readers never meet DuckDB's single-writer lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rastup_data.lake.layout import LakeLayout

__all__ = [
    "KEEP_BUILDS",
    "PointerDir",
    "WarehouseDirs",
    "exclusive_lock",
    "new_snapshot_id",
    "warehouse_dirs",
    "write_atomically",
]

#: Published build files kept besides the current one's predecessors.
KEEP_BUILDS = 3

_STAGING = "_staging.duckdb"


@dataclass(frozen=True, slots=True)
class PointerDir:
    """A folder of immutable snapshot files with a CURRENT pointer naming one of them."""

    files: Path
    pointer: Path

    @property
    def staging(self) -> Path:
        return self.files / _STAGING

    def current(self) -> Path | None:
        """The published file, or None when nothing is published (or it vanished)."""
        try:
            name = self.pointer.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        if not name or "/" in name or name.startswith("."):
            return None
        path = self.files / name
        return path if path.exists() else None

    def publish(self, staged: Path, snapshot_id: str) -> Path:
        """Move a finished staging file into place and switch CURRENT to it atomically."""
        final = self.files / f"{snapshot_id}.duckdb"
        _fsync_file(staged)
        os.chmod(staged, 0o444)  # published files are never written again
        os.replace(staged, final)
        _fsync_dir(self.files)
        write_atomically(self.pointer, final.name + "\n")
        return final

    def discard_staging(self) -> None:
        for path in (self.staging, self.staging.with_name(_STAGING + ".wal")):
            path.unlink(missing_ok=True)

    def collect_garbage(self, keep: int = KEEP_BUILDS) -> list[Path]:
        """Delete old snapshot files: keep the newest ``keep`` and always the current one."""
        current = self.current()
        snapshots = sorted(
            (p for p in self.files.glob("*.duckdb") if p.name != _STAGING),
            key=lambda p: p.name,
            reverse=True,
        )
        removed: list[Path] = []
        for path in snapshots[keep:]:
            if current is not None and path.name == current.name:
                continue
            path.unlink(missing_ok=True)
            path.with_name(path.name + ".wal").unlink(missing_ok=True)
            removed.append(path)
        return removed


@dataclass(frozen=True, slots=True)
class WarehouseDirs:
    """Where builds, NRT snapshots and dbt target folders live in one lake."""

    root: Path
    builds: PointerDir
    nrt: PointerDir

    @property
    def freshness(self) -> Path:
        return self.nrt.files / "FRESHNESS.json"

    def dbt_target(self, purpose: str) -> Path:
        return self.root / "_dbt" / purpose

    def lock_file(self, purpose: str) -> Path:
        return self.root / f".{purpose}.lock"


def warehouse_dirs(layout: LakeLayout) -> WarehouseDirs:
    root = layout.warehouse
    return WarehouseDirs(
        root=root,
        builds=PointerDir(files=root / "builds", pointer=root / "CURRENT"),
        nrt=PointerDir(files=root / "nrt", pointer=root / "nrt" / "CURRENT"),
    )


def new_snapshot_id(now: datetime | None = None) -> str:
    """Sortable, unique id: UTC time to the microsecond plus a random suffix."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y%m%dT%H%M%S%fZ") + "-" + secrets.token_hex(3)


def write_atomically(path: Path, text: str) -> None:
    """Write to a temporary name, fsync, rename over ``path``, fsync the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


@contextlib.contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an advisory lock across processes (one build per lake at a time)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
