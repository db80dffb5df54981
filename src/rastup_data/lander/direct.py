"""Direct loads: NDJSON envelopes into Bronze without the HTTP collector.

Every line gets the collector's verdict (validation, PII guard, dedupe within the load);
valid events land in ``bronze/events`` and the rest in quarantine. Used for bulk loads,
replays and test fixtures.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from rastup_data.errors import ErrorCode
from rastup_data.ingest.acceptance import (
    BatchOutcome,
    EventAcceptor,
    EventCheck,
    format_received_at,
)
from rastup_data.ingest.dedupe import DedupeWindow
from rastup_data.ingest.suppression import SubjectSuppression
from rastup_data.lake.layout import LakeLayout
from rastup_data.lander.landing import LandResult, land_segment, open_landing_connection
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
    #: Events of erased subjects, not landed (their code is EVENT_SUBJECT_ERASED in ``codes``).
    suppressed: int = 0


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
    suppression: SubjectSuppression | None = None,
) -> DirectLoad:
    """Validate and land NDJSON envelope lines; returns what was accepted and rejected.

    ``name`` prefixes the Bronze file names (``<name>-<chunk>.parquet``); loading the same
    lines under the same name again rewrites the same files instead of adding rows. Events of
    subjects in ``suppression`` (erased by a DSAR) are counted as suppressed, never landed.
    """
    staging = layout.spool / "_direct"
    staging.mkdir(parents=True, exist_ok=True)
    loader = _Loader(
        EventAcceptor(
            validator or _default_validator(), DedupeWindow(1e12), suppression=suppression
        ),
        format_received_at(received_at),
        staging,
        name or f"direct{secrets.token_hex(4)}",
    )
    with open_landing_connection() as conn:
        for index, chunk in enumerate(_chunks(lines)):
            loader.land(layout, conn, index, chunk)
    return loader.result()


def _chunks(lines: Iterable[bytes]) -> Iterator[list[bytes]]:
    """The non-blank lines, stripped, in lists of at most ``_CHUNK``."""
    chunk: list[bytes] = []
    for raw in lines:
        line = raw.strip()
        if line:
            chunk.append(line)
        if len(chunk) >= _CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@dataclass(slots=True)
class _Loader:
    """Judges and lands the chunks of one direct load, keeping its totals."""

    acceptor: EventAcceptor
    stamp: str
    staging: Path
    base: str
    totals: dict[str, int] = field(
        default_factory=lambda: {
            "lines": 0,
            "accepted": 0,
            "duplicates": 0,
            "rejected": 0,
            "suppressed": 0,
        }
    )
    codes: dict[str, int] = field(default_factory=dict)
    landings: list[LandResult] = field(default_factory=list)

    def land(
        self, layout: LakeLayout, conn: duckdb.DuckDBPyConnection, index: int, chunk: list[bytes]
    ) -> None:
        outcome = self.acceptor.accept_lines(chunk, self.stamp)
        self._tally(outcome, len(chunk))
        segment = SegmentFiles.in_directory(self.staging, f"{self.base}-{index:06d}")
        segment.events.write_bytes(outcome.events)
        segment.bad.write_bytes(outcome.bad)
        self.landings.append(land_segment(layout, segment, conn=conn))

    def _tally(self, outcome: BatchOutcome, n: int) -> None:
        self.totals["lines"] += n
        self.totals["accepted"] += outcome.accepted
        self.totals["duplicates"] += outcome.duplicates
        self.totals["rejected"] += outcome.rejected
        self.totals["suppressed"] += outcome.suppressed
        if outcome.suppressed:
            erased = ErrorCode.EVENT_SUBJECT_ERASED.value
            self.codes[erased] = self.codes.get(erased, 0) + outcome.suppressed
        for code, count in outcome.codes.items():
            self.codes[code] = self.codes.get(code, 0) + count

    def result(self) -> DirectLoad:
        return DirectLoad(
            self.totals["lines"],
            self.totals["accepted"],
            self.totals["duplicates"],
            self.totals["rejected"],
            self.codes,
            tuple(self.landings),
            suppressed=self.totals["suppressed"],
        )
