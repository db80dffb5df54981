"""Spool segment files: naming, listing, sealing and torn-tail repair.

A segment ``<collector>-<seq>`` is written as ``<name>.events.open`` / ``<name>.bad.open``
and sealed by renaming to ``.events.ndjson`` / ``.bad.ndjson`` (the events file last: its
presence means the segment is sealed and complete). A landed segment is removed the other
way round, the events file last, so a segment is never left as a bad file alone.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from rastup_data.storage.posix import fsync_path

__all__ = [
    "SegmentFiles",
    "cut_to",
    "next_sequence",
    "remove_orphaned_bad_files",
    "seal",
    "sealed_segments",
    "segment_name",
    "truncate_torn_tail",
]

_NAME = re.compile(
    r"^(?P<cid>[a-z0-9]+)-(?P<seq>\d{12})\.(?P<kind>events|bad)\.(?P<state>open|ndjson)$"
)


@dataclass(frozen=True, slots=True)
class SegmentFiles:
    """The files of one sealed segment; ``bad`` may not exist."""

    name: str
    events: Path
    bad: Path

    @classmethod
    def in_directory(cls, directory: Path, name: str) -> SegmentFiles:
        return cls(name, directory / f"{name}.events.ndjson", directory / f"{name}.bad.ndjson")

    def remove(self) -> None:
        """Delete a landed segment, its events file last: a removal cut short leaves a
        segment still listed (the lander finds it in the manifest and only deletes it)."""
        for path in (self.bad, self.events):
            path.unlink(missing_ok=True)


def segment_name(collector_id: str, seq: int) -> str:
    return f"{collector_id}-{seq:012d}"


def next_sequence(directory: Path) -> int:
    highest = 0
    for entry in os.listdir(directory):
        match = _NAME.match(entry)
        if match:
            highest = max(highest, int(match["seq"]))
    return highest + 1


def sealed_segments(directory: Path) -> list[SegmentFiles]:
    """Sealed segments, oldest first (by modification time: ids differ across restarts)."""
    if not directory.exists():
        return []
    found: list[tuple[int, str]] = []
    for entry in os.scandir(directory):
        if entry.name.endswith(".events.ndjson") and _NAME.match(entry.name):
            try:
                found.append((entry.stat().st_mtime_ns, entry.name.removesuffix(".events.ndjson")))
            except FileNotFoundError:  # landed meanwhile
                continue
    return [SegmentFiles.in_directory(directory, name) for _, name in sorted(found)]


def remove_orphaned_bad_files(directory: Path) -> list[str]:
    """Delete the sealed bad files whose segment has no events file, sealed or open; their
    names. Sealing renames the events file last and removal deletes it last, so such a file
    is what a removal cut short between its two deletes left, when it deleted the events
    file first: its segment was landed."""
    if not directory.exists():
        return []
    entries = set(os.listdir(directory))
    orphans = [
        name
        for entry in sorted(entries)
        if entry.endswith(".bad.ndjson") and _NAME.match(entry)
        if (name := entry.removesuffix(".bad.ndjson")) + ".events.ndjson" not in entries
        and name + ".events.open" not in entries
    ]
    for name in orphans:
        (directory / f"{name}.bad.ndjson").unlink(missing_ok=True)
    return orphans


def open_segments(directory: Path) -> list[str]:
    names = {
        m["cid"] + "-" + m["seq"]
        for entry in os.listdir(directory)
        if (m := _NAME.match(entry)) and m["state"] == "open"
    }
    return sorted(names)


def truncate_torn_tail(path: Path) -> int:
    """Cut a partial last line (an append that never completed); returns bytes removed.

    Only acknowledged appends are promised durable, and those were fsync'd whole, so a
    torn tail always belongs to a request that got no success answer.
    """
    size = path.stat().st_size
    if size == 0:
        return 0
    with open(path, "rb+") as handle:
        handle.seek(max(0, size - 1))
        if handle.read(1) == b"\n":
            return 0
        # Walk back to the last newline in chunks.
        pos = size
        keep = 0
        while pos > 0:
            step = min(65536, pos)
            pos -= step
            handle.seek(pos)
            chunk = handle.read(step)
            idx = chunk.rfind(b"\n")
            if idx >= 0:
                keep = pos + idx + 1
                break
        handle.truncate(keep)
        handle.flush()
        os.fsync(handle.fileno())
        return size - keep


def cut_to(directory: Path, name: str, sizes: tuple[int, int]) -> None:
    """Cut an open segment's events and bad files back to ``sizes`` (what was acknowledged):
    a write whose fsync failed may have left records no client was told were stored."""
    for kind, size in zip(("events", "bad"), sizes, strict=True):
        path = directory / f"{name}.{kind}.open"
        if path.exists() and path.stat().st_size > size:
            os.truncate(path, size)


def seal(directory: Path, name: str) -> SegmentFiles:
    """Seal an open segment (repairing torn tails); idempotent."""
    files = SegmentFiles.in_directory(directory, name)
    for kind, sealed in (("bad", files.bad), ("events", files.events)):
        opened = directory / f"{name}.{kind}.open"
        if opened.exists():
            truncate_torn_tail(opened)
            os.replace(opened, sealed)
    if not files.events.exists():
        files.events.touch()
    fsync_path(directory)
    return files
