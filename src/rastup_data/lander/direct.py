"""Direct loads: NDJSON envelopes into Bronze without the HTTP collector.

Every line gets the collector's verdict (validation, PII guard, dedupe within the load);
valid events land in ``bronze/events`` and the rest in quarantine. Used for bulk loads,
replays and test fixtures.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import duckdb

from rastup_data.ingest.acceptance import (
    BatchOutcome,
    EventAcceptor,
    EventCheck,
    format_received_at,
)
from rastup_data.ingest.dedupe import DedupeWindow
from rastup_data.lake.layout import LakeLayout
from rastup_data.lander.landing import LandResult, land_segment
from rastup_data.spool.segments import SegmentFiles

__all__ = ["DirectLoad", "land_ndjson"]

_CHUNK = 50_000


@dataclass(frozen=True, slots=True)
class DirectLoad:
    """Totals of one direct load."""

    lines: int
    accepted: int
    duplicates: int
    rejected: int
    codes: dict[str, int]
    landings: tuple[LandResult, ...]


def _default_validator() -> EventCheck:
    from rastup_data.contracts import load_validator

    validator: EventCheck = load_validator()
    return validator


def land_ndjson(
    layout: LakeLayout,
    lines: Iterable[bytes],
    *,
    name: str | None = None,
    received_at: datetime | None = None,
    validator: EventCheck | None = None,
    dedupe: DedupeWindow | None = None,
    conn: duckdb.DuckDBPyConnection | None = None,
) -> DirectLoad:
    """Validate and land NDJSON envelope lines; returns what was accepted and rejected.

    ``name`` prefixes the Bronze file names (``<name>-<chunk>.parquet``); loading the same
    lines under the same name again rewrites the same files instead of adding rows.
    """
    acceptor = EventAcceptor(validator or _default_validator(), dedupe or DedupeWindow(1e12))
    stamp = format_received_at(received_at)
    base = name or f"direct{secrets.token_hex(4)}"
    staging = layout.spool / "_direct"
    staging.mkdir(parents=True, exist_ok=True)
    totals = {"lines": 0, "accepted": 0, "duplicates": 0, "rejected": 0}
    codes: dict[str, int] = {}
    landings: list[LandResult] = []
    chunk: list[bytes] = []

    def flush(index: int) -> None:
        outcome = acceptor.accept_lines(chunk, stamp)
        _tally(outcome, totals, codes, len(chunk))
        segment = SegmentFiles.in_directory(staging, f"{base}-{index:06d}")
        segment.events.write_bytes(outcome.events)
        segment.bad.write_bytes(outcome.bad)
        landings.append(land_segment(layout, segment, conn=conn))
        chunk.clear()

    index = 0
    for raw in lines:
        line = raw.strip()
        if line:
            chunk.append(line)
        if len(chunk) >= _CHUNK:
            flush(index)
            index += 1
    if chunk:
        flush(index)
    return DirectLoad(
        totals["lines"],
        totals["accepted"],
        totals["duplicates"],
        totals["rejected"],
        codes,
        tuple(landings),
    )


def _tally(outcome: BatchOutcome, totals: dict[str, int], codes: dict[str, int], n: int) -> None:
    totals["lines"] += n
    totals["accepted"] += outcome.accepted
    totals["duplicates"] += outcome.duplicates
    totals["rejected"] += outcome.rejected
    for code, count in outcome.codes.items():
        codes[code] = codes.get(code, 0) + count
