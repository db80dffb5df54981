"""A lake-wide advisory lock serialising landings with partition swaps (compaction)."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

from rastup_data.lake.layout import LakeLayout

__all__ = ["lake_lock"]


@contextmanager
def lake_lock(layout: LakeLayout) -> Iterator[None]:
    """Hold the lake's exclusive lock (blocking) for the duration of the block."""
    path = layout.manifest.parent / ".lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
