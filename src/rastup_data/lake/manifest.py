"""The landing manifest: an append-only record of what was landed when.

One NDJSON file per UTC day under ``<lake>/_manifest/``; each line is one landing (a spool
segment turned into Bronze files) or one compaction. A segment listed here is never landed
again, which is what makes re-landing after a crash safe.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from rastup_data.lake.layout import LakeLayout

__all__ = ["LandedFile", "Landing", "Manifest"]


@dataclass(frozen=True, slots=True)
class LandedFile:
    """One Parquet file written by a landing, relative to the lake root."""

    path: str
    dt: str
    rows: int
    bytes: int


@dataclass(frozen=True, slots=True)
class Landing:
    """One manifest record."""

    kind: str  # "landing" | "compaction" | "replay"
    name: str
    at: str
    events: int = 0
    bad: int = 0
    files: tuple[LandedFile, ...] = ()
    inputs: tuple[str, ...] = ()
    lag_p95_s: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self))

    @classmethod
    def from_json(cls, line: bytes) -> Landing:
        raw = orjson.loads(line)
        raw["files"] = tuple(LandedFile(**f) for f in raw.get("files", ()))
        raw["inputs"] = tuple(raw.get("inputs", ()))
        return cls(**raw)


class Manifest:
    """Append and read manifest records of one lake."""

    def __init__(self, layout: LakeLayout) -> None:
        self.directory = layout.manifest.parent

    def _file_for(self, day: str) -> Path:
        return self.directory / f"landings-{day}.ndjson"

    def append(self, record: Landing) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self._file_for(record.at[:10])
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, record.to_json() + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)

    def records(self, *, since: datetime | None = None) -> Iterator[Landing]:
        """All records, oldest first; ``since`` limits to the days from that date on."""
        if not self.directory.exists():
            return
        first = since.date().isoformat() if since else ""
        for path in sorted(self.directory.glob("landings-*.ndjson")):
            if path.stem.removeprefix("landings-") < first:
                continue
            with open(path, "rb") as handle:
                for line in handle:
                    if line.endswith(b"\n"):  # a torn last line is an unfinished append
                        yield Landing.from_json(line)

    def landed_names(self, *, days: int = 2) -> set[str]:
        since = datetime.now(UTC) - timedelta(days=days)
        return {r.name for r in self.records(since=since) if r.kind == "landing"}
