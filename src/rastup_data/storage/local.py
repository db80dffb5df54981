"""Storage on a local (or mounted) folder: temp name + fsync + rename + folder fsync.

Every key is a file under ``root``. Puts write a hidden temporary sibling and rename it into
place, so readers see the old file or the new one, whole, and a crash leaves at most a
dot-file that listings ignore. Folder swaps use ``renameat2(RENAME_EXCHANGE)`` where the
kernel offers it. Locks are ``flock`` on files under ``root/_locks``, so they hold among the
processes of one machine (and of machines sharing the folder over a filesystem with working
``flock``).
"""

from __future__ import annotations

import errno
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from rastup_data.storage.base import ObjectInfo, check_key, get_pointer, put_pointer
from rastup_data.storage.posix import (
    FdLock,
    atomic_write,
    exchange_paths,
    fsync_path,
    replacing,
    try_flock,
    unflock,
)

__all__ = ["LOCKS_PREFIX", "LocalStorage"]

#: The folder (under the root) holding lock files; never listed as data.
LOCKS_PREFIX = "_locks"


@dataclass(frozen=True, slots=True)
class LocalStorage:
    """A :class:`~rastup_data.storage.base.Storage` on the folder ``root``.

    Creating one touches nothing on disk; folders appear as keys are written.
    """

    root: Path

    def path(self, key: str = "") -> Path:
        """The local path of ``key`` (local stores only: node-local work files use it)."""
        return self.root / check_key(key, allow_root=True) if key else self.root

    # -- reading ---------------------------------------------------------------------

    def uri(self, key: str = "") -> str:
        return str(self.path(key))

    def arrow_filesystem(self) -> tuple[Any, str]:
        from pyarrow import fs

        return fs.LocalFileSystem(), str(self.root)

    def register_duckdb(self, conn: Any) -> None:
        return None

    @contextmanager
    def open_read(self, key: str) -> Iterator[BinaryIO]:
        with open(self.path(key), "rb") as handle:
            yield handle

    def read_bytes(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def get_file(self, key: str, dest: Path) -> None:
        shutil.copyfile(self.path(key), dest)

    def stat(self, key: str) -> ObjectInfo | None:
        try:
            st = self.path(key).stat()
        except FileNotFoundError:
            return None
        return ObjectInfo(key, st.st_size, st.st_mtime)

    def exists(self, key: str) -> bool:
        return self.path(key).exists()

    def list_keys(self, prefix: str = "") -> list[str]:
        base = self.path(prefix)
        found: list[str] = []
        for folder, dirs, files in os.walk(base):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            rel = Path(folder).relative_to(self.root).as_posix()
            stem = "" if rel == "." else rel + "/"
            found.extend(stem + name for name in files if not name.startswith("."))
        return sorted(found)

    # -- writing ---------------------------------------------------------------------

    def put_bytes(self, key: str, data: bytes) -> int:
        return atomic_write(self.path(key), data)

    def put_file(self, key: str, source: Path, *, move: bool = False) -> int:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        if move:
            fsync_path(source)
            try:
                os.replace(source, target)
            except OSError as exc:
                if exc.errno != errno.EXDEV:  # another filesystem: copy instead
                    raise
            else:
                fsync_path(target.parent)
                return target.stat().st_size
        with self.writing(key) as tmp:
            shutil.copyfile(source, tmp)
            shutil.copymode(source, tmp)
        if move:
            source.unlink()
        return target.stat().st_size

    @contextmanager
    def writing(self, key: str) -> Iterator[Path]:
        with replacing(self.path(key)) as tmp:
            yield tmp

    def delete(self, key: str) -> bool:
        try:
            self.path(key).unlink()
        except FileNotFoundError:
            return False
        return True

    def delete_prefix(self, prefix: str) -> int:
        base = self.path(check_key(prefix))
        count = len(self.list_keys(prefix))
        shutil.rmtree(base, ignore_errors=True)
        return count

    def copy(self, src: str, dst: str) -> None:
        source, target = self.path(src), self.path(dst)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, target)  # immutable files: a hard link is a free copy
        except FileExistsError:
            target.unlink()
            os.link(source, target)
        except OSError:
            self.put_file(dst, source)
            return
        fsync_path(target.parent)

    def swap_prefix(self, staged: str, prefix: str) -> None:
        new, old = self.path(check_key(staged)), self.path(check_key(prefix))
        fsync_path(new)
        if not old.exists():
            old.parent.mkdir(parents=True, exist_ok=True)
            os.replace(new, old)
            fsync_path(old.parent)
            return
        if not exchange_paths(new, old):
            aside = old.with_name(f".{old.name}.old-{uuid.uuid4().hex[:8]}")
            os.replace(old, aside)
            os.replace(new, old)
            fsync_path(old.parent)
            new = aside
        shutil.rmtree(new, ignore_errors=True)

    # -- pointers, logs, locks -------------------------------------------------------

    def write_pointer(self, key: str, value: str) -> None:
        put_pointer(self, key, value)

    def read_pointer(self, key: str) -> str | None:
        return get_pointer(self, key)

    def append_line(self, key: str, line: bytes) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        record = line if line.endswith(b"\n") else line + b"\n"
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, record)
            os.fsync(fd)
        finally:
            os.close(fd)

    def iter_lines(self, key: str) -> Iterator[bytes]:
        path = self.path(key)
        if not path.exists():
            return
        with open(path, "rb") as handle:
            for line in handle:
                if line.endswith(b"\n"):  # a torn last line is an unfinished append
                    yield line

    @contextmanager
    def lock(self, name: str) -> Iterator[None]:
        with self._lock_file(name) as fd, FdLock(fd):
            yield

    @contextmanager
    def try_lock(self, name: str) -> Iterator[bool]:
        with self._lock_file(name) as fd:
            held = try_flock(fd)
            try:
                yield held
            finally:
                if held:
                    unflock(fd)

    @contextmanager
    def _lock_file(self, name: str) -> Iterator[int]:
        """The open descriptor of the lock ``name``'s file (made on first use)."""
        path = self.path(f"{LOCKS_PREFIX}/{check_key(name)}.lock")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            yield fd
        finally:
            os.close(fd)
