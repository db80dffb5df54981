"""The landing manifest: an append-only record of what was landed when.

One append log per UTC day under ``<lake>/_manifest/`` (``landings-YYYY-MM-DD.ndjson``, written
through :meth:`Storage.append_line`); each record is one landing (a spool segment turned into
Bronze files), one replay or one compaction. A segment listed here is never landed again,
which is what makes re-landing after a crash safe.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from rastup_data.lake.layout import MANIFEST, LakeLayout

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
        self.store = layout.lake

    @staticmethod
    def _key_for(day: str) -> str:
        return f"{MANIFEST}/landings-{day}.ndjson"

    def append(self, record: Landing) -> None:
        """Add one record durably (fsync'd before this returns)."""
        self.store.append_line(self._key_for(record.at[:10]), record.to_json())

    def days(self) -> list[str]:
        """The UTC days that have records, oldest first."""
        prefix = f"{MANIFEST}/"
        names = {k.removeprefix(prefix).split("/")[0] for k in self.store.list_keys(MANIFEST)}
        return sorted(
            n.removeprefix("landings-").removesuffix(".ndjson")
            for n in names
            if n.startswith("landings-") and n.endswith(".ndjson")
        )

    def records(self, *, since: datetime | None = None) -> Iterator[Landing]:
        """All records, oldest first; ``since`` limits to the days from that date on."""
        first = since.date().isoformat() if since else ""
        for day in self.days():
            if day >= first:
                for line in self.store.iter_lines(self._key_for(day)):
                    yield Landing.from_json(line)

    def landed_names(self, *, days: int = 2) -> set[str]:
        since = datetime.now(UTC) - timedelta(days=days)
        return {r.name for r in self.records(since=since) if r.kind == "landing"}
