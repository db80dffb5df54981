"""Which Bronze files an NRT refresh reads, and whether it folds them into the kept state.

The NRT state file (private to the refresher) remembers every Bronze file folded in so far
(path, size, modification time) and which users were erased when it was built. A refresh
reads only the files it has not folded in; it rebuilds the state from all of Bronze when
the state cannot be trusted to describe Bronze any more:

- there is no state yet, or the previous refresh did not finish, or the state is of an
  older format;
- the erased users changed (rows already folded in may belong to a newly erased subject);
- a file folded in earlier changed or disappeared and the manifest does not explain it.
  Compaction (files merged into one new file, late files copied over) and purges (files
  rewritten without erased subjects, whose rows the state never held) are explained: the
  new or rewritten files are read like any new file, their rows are known copies.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path

import duckdb

from rastup_data.lake.layout import BRONZE_EVENTS, LakeLayout
from rastup_data.lake.manifest import Manifest

__all__ = [
    "STATE_VERSION",
    "BronzeFile",
    "FoldedState",
    "NrtMode",
    "NrtPlan",
    "digest",
    "list_bronze_files",
    "plan_refresh",
    "read_folded_state",
]

#: Bumped whenever the state tables change shape; an older state is rebuilt.
STATE_VERSION = "1"


class NrtMode(StrEnum):
    """How a refresh used the kept state."""

    FULL = "full"
    INCREMENTAL = "incremental"


@dataclass(frozen=True, slots=True)
class BronzeFile:
    """One visible Bronze events file: its lake key, size and modification time."""

    path: str
    bytes: int
    modified: float

    @property
    def signature(self) -> tuple[int, float]:
        return (self.bytes, self.modified)


@dataclass(frozen=True, slots=True)
class FoldedState:
    """What the state file says it holds."""

    version: str
    complete: bool
    tombstones_digest: str
    erased_digest: str
    refreshed_at: datetime | None
    files: dict[str, tuple[int, float]]


@dataclass(frozen=True, slots=True)
class NrtPlan:
    """The files one refresh reads and the folded-in files it forgets."""

    mode: NrtMode
    reason: str
    files: tuple[BronzeFile, ...]
    forget: tuple[str, ...] = ()


def digest(values: Iterable[str]) -> str:
    """A stable fingerprint of a set of ids (the ids themselves are not kept)."""
    hasher = hashlib.sha256()
    for value in sorted(set(values)):
        hasher.update(value.encode())
        hasher.update(b"\0")
    return hasher.hexdigest()


def list_bronze_files(layout: LakeLayout) -> tuple[BronzeFile, ...]:
    """Every visible Parquet file of Bronze events, by key."""
    store = layout.lake
    found = []
    for key in store.list_keys(BRONZE_EVENTS):
        if not key.endswith(".parquet"):
            continue
        info = store.stat(key)
        if info is not None:  # None: compacted away while listing
            found.append(BronzeFile(key, info.size, info.mtime))
    return tuple(found)


def read_folded_state(path: Path) -> FoldedState | None:
    """The state file's record of itself, or None when there is no usable one."""
    if not path.exists():
        return None
    try:
        with duckdb.connect(str(path), read_only=True) as conn:
            meta = dict(conn.execute("SELECT key, value FROM internal.nrt_state").fetchall())
            rows = conn.execute(
                "SELECT path, bytes, modified FROM internal.nrt_bronze_files"
            ).fetchall()
    except duckdb.Error:
        return None
    refreshed = meta.get("refreshed_at")
    return FoldedState(
        version=str(meta.get("version", "")),
        complete=meta.get("complete") == "true",
        tombstones_digest=str(meta.get("tombstones_digest", "")),
        erased_digest=str(meta.get("erased_digest", "")),
        refreshed_at=datetime.fromisoformat(refreshed) if refreshed else None,
        files={str(p): (int(b), float(m)) for p, b, m in rows},
    )


def plan_refresh(
    layout: LakeLayout,
    state: FoldedState | None,
    *,
    tombstones_digest: str,
    current: Sequence[BronzeFile],
) -> NrtPlan:
    """Fold the new files into ``state``, or read everything when ``state`` is not usable."""
    reason = _rebuild_reason(state, tombstones_digest)
    if reason is not None or state is None:
        return NrtPlan(NrtMode.FULL, reason or "no NRT state yet", tuple(current))
    present = {f.path: f.signature for f in current}
    gone = sorted(p for p, sig in state.files.items() if present.get(p) != sig)
    unexplained = _unexplained(layout, gone, state.refreshed_at, present) if gone else set()
    if unexplained:
        return NrtPlan(
            NrtMode.FULL,
            f"{len(unexplained)} Bronze file(s) read earlier changed or disappeared",
            tuple(current),
        )
    new = tuple(f for f in current if state.files.get(f.path) != f.signature)
    forget = tuple(p for p in gone if p not in present)
    return NrtPlan(NrtMode.INCREMENTAL, f"{len(new)} new Bronze file(s)", new, forget)


def _rebuild_reason(state: FoldedState | None, tombstones_digest: str) -> str | None:
    if state is None:
        return "no NRT state yet"
    if state.version != STATE_VERSION:
        return "the NRT state is of an older format"
    if not state.complete:
        return "the previous NRT refresh did not finish"
    if state.tombstones_digest != tombstones_digest:
        return "the erased users changed"
    return None


def _unexplained(
    layout: LakeLayout,
    gone: Sequence[str],
    since: datetime | None,
    present: dict[str, tuple[int, float]],
) -> set[str]:
    """The changed or vanished files that no compaction or purge since ``since`` explains.

    A compaction names the files it merged (``inputs``, within the partition ``name``) and
    copies files landed meanwhile into the new partition (same key, new file); a purge
    names the file it rewrote or deleted (``inputs``, whole keys).
    """
    start = since - timedelta(days=1) if since is not None else None
    merged: set[str] = set()
    compacted: set[str] = set()
    for record in Manifest(layout).records(since=start):
        if record.kind == "compaction":
            compacted.add(record.name)
            merged.update(f"{record.name}/{name}" for name in record.inputs)
        elif record.kind == "purge":
            merged.update(record.inputs)
    return {
        key
        for key in gone
        if key not in merged and not (key in present and key.rsplit("/", 1)[0] in compacted)
    }
