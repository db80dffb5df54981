"""The build log: one record per build or backfill, published or failed, in the lake.

An append log per UTC day, ``warehouse/runs/builds-YYYY-MM-DD.ndjson`` (written through
:meth:`Storage.append_line`), read by operations: when the daily marts were published (the
marts-on-time SLO), build compute seconds per day (the Glue DPU-hours budget), build
failures (``CTAS_FAILURE``, ``QUALITY_CHECK_FAILED``) and the quality alerts a build raised.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson

from rastup_data.lake.layout import WAREHOUSE, LakeLayout

__all__ = ["BuildRun", "append_build_run", "build_runs"]

_PREFIX = f"{WAREHOUSE}/runs"


@dataclass(frozen=True, slots=True)
class BuildRun:
    """One build's outcome. ``status`` is ``published`` or ``failed`` (then ``code``)."""

    kind: str  # "build" | "backfill"
    started_at: str
    finished_at: str
    seconds: float
    status: str
    build_id: str | None = None
    code: str | None = None
    bronze_from: str | None = None
    bronze_to: str | None = None
    alerts: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def published(self) -> bool:
        return self.status == "published"

    @property
    def finished(self) -> datetime:
        return datetime.fromisoformat(self.finished_at)

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self))

    @classmethod
    def from_json(cls, line: bytes) -> BuildRun:
        raw = orjson.loads(line)
        raw["alerts"] = tuple(raw.get("alerts", ()))
        raw["warnings"] = tuple(raw.get("warnings", ()))
        return cls(**raw)


def append_build_run(layout: LakeLayout, run: BuildRun) -> None:
    """Record ``run`` durably in the log of its finishing day (UTC)."""
    layout.lake.append_line(f"{_PREFIX}/builds-{run.finished_at[:10]}.ndjson", run.to_json())


def build_runs(layout: LakeLayout, since: date, until: date | None = None) -> Iterator[BuildRun]:
    """Records of the UTC days ``since`` … ``until`` (default: today), oldest first."""
    day = since
    last = until or datetime.now(UTC).date()
    while day <= last:
        key = f"{_PREFIX}/builds-{day.isoformat()}.ndjson"
        if layout.lake.exists(key):
            for line in layout.lake.iter_lines(key):
                try:
                    yield BuildRun.from_json(line)
                except (orjson.JSONDecodeError, TypeError):
                    continue  # a record from a newer release: skip it
        day += timedelta(days=1)
