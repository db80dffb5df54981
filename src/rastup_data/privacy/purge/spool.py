"""Purge this node's spool: sealed segments waiting to be landed lose the subjects' lines.

A sealed segment (``.events.ndjson`` / ``.bad.ndjson``) that names a subject is written
again without those lines (temporary sibling, fsync, rename) while the lake lock is held, so
the lander is never half-way through landing it. Segments still open are being appended by a
running collector: they are reported as pending (they seal within seconds; a rerun purges
them, or their rows, once landed, in Bronze). The spool is node-local: run the purge on every
node that runs a collector.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rastup_data.lake.layout import LAKE_LOCK
from rastup_data.privacy.purge.base import PurgeRun, StoreOutcome
from rastup_data.storage.posix import atomic_write

__all__ = ["SpoolStep", "spool_files", "spool_segments"]

_SEALED = (".events.ndjson", ".bad.ndjson")
_OPEN = (".events.open", ".bad.open")


def spool_files(spool: Path) -> list[Path]:
    """Every segment file of a spool folder and its per-worker folders, oldest first."""
    if not spool.is_dir():
        return []
    found = [p for p in spool.rglob("*") if p.is_file() and p.name.endswith(_SEALED + _OPEN)]
    return sorted(found)


def spool_segments(paths: Iterable[Path]) -> Iterator[tuple[Path, bytes]]:
    """Each segment of ``paths`` that is still there, with its bytes (one landed meanwhile
    is passed over: Bronze has its rows)."""
    for path in paths:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            continue
        yield path, data


@dataclass(frozen=True, slots=True)
class SpoolStep:
    """Purges the sealed segments of this node's spool."""

    name: str = "spool"

    def purge(self, run: PurgeRun) -> StoreOutcome:
        outcome = StoreOutcome(self.name)
        spool = run.ctx.layout.spool
        store = run.ctx.layout.lake
        for path, data in spool_segments(spool_files(spool)):
            outcome.files_scanned += 1
            outcome.bytes_scanned += len(data)
            hits = set(run.matcher.lines(data))
            if not hits:
                continue
            key = str(path.relative_to(spool))
            if path.name.endswith(_OPEN):
                outcome.pending.append(key)
                continue
            outcome.bytes_before += len(data)
            if run.dry_run:
                outcome.rewritten.append(key)
                outcome.rows_removed += len(hits)
                continue
            with store.lock(LAKE_LOCK):
                if not path.exists():
                    continue
                kept = _without_lines(path.read_bytes(), run)
                atomic_write(path, kept)
            outcome.rewritten.append(key)
            outcome.files_rewritten += 1
            outcome.rows_removed += len(hits)
            outcome.bytes_after += len(kept)
            run.say(f"spool: {key} −{len(hits)} line(s)")
        return outcome


def _without_lines(data: bytes, run: PurgeRun) -> bytes:
    hits = set(run.matcher.lines(data))
    lines = data.splitlines(keepends=True)
    return b"".join(line for i, line in enumerate(lines) if i not in hits)
