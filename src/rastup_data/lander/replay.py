"""Replay: give quarantined events another verdict (e.g. after a schema fix).

Quarantine is immutable. Replay reads it, skips events already in Bronze (by event_id),
upgrades old versions through the adapters (``contracts/adapters/``), runs the rest through
the same acceptance as the collector, and lands those that now pass
as a new Bronze file stamped with a fresh ``received_at``. Events still rejected stay
where they are and are counted by code; nothing is written to quarantine twice. Events of
a subject erased since (a DSAR's suppression list) are counted and never landed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb

from rastup_data.contracts.adapter import Adapters
from rastup_data.errors import ErrorCode
from rastup_data.ingest.acceptance import EventAcceptor, EventCheck, format_received_at
from rastup_data.ingest.dedupe import DedupeWindow
from rastup_data.ingest.suppression import SubjectSuppression
from rastup_data.lake.files import has_files
from rastup_data.lake.layout import BRONZE_BAD, BRONZE_EVENTS, LakeLayout
from rastup_data.lander.landing import land_segment
from rastup_data.spool.segments import SegmentFiles

__all__ = ["ReplayReport", "ReplayScope", "replay_quarantine"]


@dataclass(frozen=True, slots=True)
class ReplayScope:
    """Which quarantined events to consider: only these codes, only partitions from a day."""

    codes: frozenset[str] | None = None
    since: date | None = None


@dataclass(frozen=True, slots=True)
class ReplayReport:
    """What a replay found and did."""

    candidates: int
    landed: int
    already_landed: int
    still_rejected: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False
    suppressed: int = 0


def replay_quarantine(
    layout: LakeLayout,
    *,
    validator: EventCheck | None = None,
    scope: ReplayScope | None = None,
    dry_run: bool = False,
    suppression: SubjectSuppression | None = None,
    adapters: Adapters | None = None,
) -> ReplayReport:
    """Re-validate quarantined events (upgraded first by ``adapters``, default: the packaged
    ones) and land those that pass now; events of subjects in ``suppression`` (erased by a
    DSAR) are counted as suppressed, never landed."""
    if validator is None:
        from rastup_data.contracts import load_validator

        validator = load_validator()
    if adapters is None:
        from rastup_data.contracts import load_adapters

        adapters = load_adapters()
    if not has_files(layout.lake, BRONZE_BAD):
        return ReplayReport(0, 0, 0, {}, dry_run)
    codes, since = (scope.codes, scope.since) if scope is not None else (None, None)
    conn = duckdb.connect(":memory:")
    conn.execute("SET TimeZone = 'UTC'")
    try:
        layout.lake.register_duckdb(conn)
        where = ["code <> ?"]
        params: list[object] = [ErrorCode.EVENT_DUPLICATE.value]
        if codes:
            where.append("list_contains(?, code)")
            params.append(sorted(codes))
        if since is not None:
            where.append("dt >= ?")
            params.append(since)
        rows = conn.execute(
            f"SELECT raw, event_id FROM read_parquet('{layout.bad_glob}', hive_partitioning=true)"
            f" WHERE {' AND '.join(where)} ORDER BY received_at",
            params,
        ).fetchall()
        ids = sorted({r[1] for r in rows if r[1]})
        landed_ids: set[str] = set()
        if ids and has_files(layout.lake, BRONZE_EVENTS):
            landed_ids = {
                r[0]
                for r in conn.execute(
                    f"SELECT event_id FROM read_parquet('{layout.events_glob}', "
                    "hive_partitioning=true) WHERE list_contains(?, event_id)",
                    [ids],
                ).fetchall()
            }
    finally:
        conn.close()
    dedupe = DedupeWindow(1e12)
    dedupe.add_new(landed_ids)
    acceptor = EventAcceptor(validator, dedupe, suppression=suppression)
    lines = [adapters.upgrade_line(r[0].encode()) for r in rows]
    outcome = acceptor.accept_lines(lines, format_received_at())
    if outcome.events and not dry_run:
        staging = layout.spool / "_replay"
        staging.mkdir(parents=True, exist_ok=True)
        name = f"replay{format_received_at().replace(':', '').replace('-', '')[:22]}"
        segment = SegmentFiles.in_directory(staging, name.replace(".", ""))
        segment.events.write_bytes(outcome.events)
        land_segment(layout, segment, extra={"replay": True})
    return ReplayReport(
        candidates=len(rows),
        landed=outcome.accepted,
        already_landed=outcome.duplicates,
        still_rejected=dict(outcome.codes),
        dry_run=dry_run,
        suppressed=outcome.suppressed,
    )
