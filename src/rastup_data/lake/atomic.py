"""Atomic file operations: write to a temporary name, fsync, rename into place.

Readers of the lake never see a half-written file: every file appears whole, by rename.
Directory swaps use ``renameat2(RENAME_EXCHANGE)`` where the kernel offers it, so a
partition is never missing nor doubled while it is replaced.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import uuid
from pathlib import Path
from typing import Any

__all__ = ["atomic_write_bytes", "exchange_paths", "fsync_dir", "temp_path_for"]

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def temp_path_for(target: Path) -> Path:
    """A hidden temporary sibling of ``target`` (dot-prefixed so lake globs skip it)."""
    return target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.tmp")


def fsync_dir(directory: Path) -> None:
    """Make a rename or create inside ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` so that readers see the old file or the new one, whole."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path_for(target)
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, target)
    fsync_dir(target.parent)


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
    """Atomically swap two existing paths. Returns False when the OS cannot do it."""
    func = _renameat2()
    if func is None:
        return False
    rc = func(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc != 0:
        err = ctypes.get_errno()
        if err in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: not supported here
            return False
        raise OSError(err, os.strerror(err), str(a))
    fsync_dir(a.parent)
    return True
