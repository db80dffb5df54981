"""POSIX primitives behind :class:`~rastup_data.storage.local.LocalStorage`.

The one place that knows how to make a file durable on local disk: write to a hidden temporary
sibling, fsync it, rename it into place, fsync the folder. Node-local writers that are not
keyed files of a store (the spool's segments, the shared dedupe table, status files) use these
primitives directly instead of writing their own.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import fcntl
import functools
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = [
    "FdLock",
    "atomic_write",
    "exchange_paths",
    "fsync_path",
    "replacing",
    "temp_sibling",
    "try_flock",
    "unflock",
]

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_UNSUPPORTED = frozenset({errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP})


def temp_sibling(target: Path) -> Path:
    """A hidden temporary sibling of ``target`` (dot-prefixed: lake globs and listings skip
    it, and being in the same folder the final rename stays on one filesystem)."""
    return target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.tmp")


def fsync_path(path: Path) -> None:
    """Flush a written file to disk, or (for a folder) make a rename, create or delete
    inside it durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def replacing(target: Path) -> Iterator[Path]:
    """A temporary sibling to write ``target``'s new content into; on a clean exit it is
    fsync'd and renamed over ``target`` (then the folder is fsync'd), on an error deleted."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_sibling(target)
    try:
        yield tmp
        fsync_path(tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_path(target.parent)


def atomic_write(target: Path, data: bytes) -> int:
    """Write ``data`` so that readers see the old ``target`` or the new one, whole."""
    with replacing(target) as tmp:
        tmp.write_bytes(data)
    return len(data)


class FdLock:
    """An exclusive ``flock`` on an open file descriptor, as a context manager.

    A plain class rather than a generator so that the hot path (the shared dedupe table takes
    it per request) pays no more than the two system calls.
    """

    __slots__ = ("fd",)

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def __enter__(self) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_EX)

    def __exit__(self, *_: object) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_UN)


def try_flock(fd: int) -> bool:
    """Take an exclusive ``flock`` on ``fd`` if free; False at once when it is held."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def unflock(fd: int) -> None:
    fcntl.flock(fd, fcntl.LOCK_UN)


@functools.cache
def _renameat2() -> Any:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    libc = ctypes.CDLL(name, use_errno=True)
    func = getattr(libc, "renameat2", None)
    if func is None:
        return None
    func.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    func.restype = ctypes.c_int
    return func


def exchange_paths(a: Path, b: Path) -> bool:
    """Atomically swap two existing paths (``renameat2(RENAME_EXCHANGE)``).

    Returns False when the kernel or filesystem cannot do it; the caller then falls back."""
    func = _renameat2()
    if func is None:
        return False
    rc = func(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc != 0:
        err = ctypes.get_errno()
        if err in _UNSUPPORTED:
            return False
        raise OSError(err, os.strerror(err), str(a))
    fsync_path(a.parent)
    if b.parent != a.parent:
        fsync_path(b.parent)
    return True
