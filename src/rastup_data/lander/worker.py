"""The lander loop: land sealed spool segments as they appear, oldest first.

Runs as a thread beside the collector (DuckDB does the heavy lifting outside the GIL).
A segment that fails to land stays in the spool and is retried with backoff; a segment
already recorded in the manifest (a crash after landing, before deleting) is only deleted.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from rastup_data.errors import ErrorCode
from rastup_data.lake.layout import LakeLayout
from rastup_data.lake.manifest import Manifest
from rastup_data.lander.landing import LandResult, land_segment, open_landing_connection
from rastup_data.ops.metrics import LAG_BUCKETS, PlatformMetrics
from rastup_data.spool.segments import SegmentFiles, sealed_segments

__all__ = ["LanderStatus", "LanderWorker"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LanderStatus:
    """A snapshot for health checks."""

    backlog_segments: int
    landed_segments: int
    landed_events: int
    last_landed_at: float | None
    last_error: str | None
    failing_since: float | None


class LanderWorker:
    """Lands the sealed segments of one spool directory until stopped."""

    def __init__(
        self,
        layout: LakeLayout,
        spool_dir: Path,
        *,
        metrics: PlatformMetrics | None = None,
        poll_s: float = 0.2,
        on_landed: Callable[[LandResult], None] | None = None,
    ) -> None:
        self.layout = layout
        self.spool_dir = spool_dir
        self.metrics = metrics
        self.poll_s = poll_s
        self.on_landed = on_landed
        self._manifest = Manifest(layout)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._landed_segments = 0
        self._landed_events = 0
        self._backlog = 0
        self._last_landed_at: float | None = None
        self._last_error: str | None = None
        self._failing_since: float | None = None
        self._recovered_names: set[str] | None = None

    def notify(self, _segment: SegmentFiles | None = None) -> None:
        """Wake the loop (the spool calls this when it seals a segment)."""
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="lander", daemon=True)
        self._thread.start()

    def stop(self, *, drain: bool = True) -> None:
        """Stop the loop; with ``drain`` land everything sealed first."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if drain:
            self.land_pending()

    def status(self) -> LanderStatus:
        return LanderStatus(
            self._backlog,
            self._landed_segments,
            self._landed_events,
            self._last_landed_at,
            self._last_error,
            self._failing_since,
        )

    def land_pending(self) -> int:
        """Land every sealed segment now; returns how many landed."""
        conn = open_landing_connection()
        try:
            return self._land_all(conn)
        finally:
            conn.close()

    def _already_landed(self, name: str) -> bool:
        if self._recovered_names is None:
            self._recovered_names = {
                r.name for r in self._manifest.records() if r.kind == "landing"
            }
        return name in self._recovered_names

    def _land_all(self, conn: duckdb.DuckDBPyConnection) -> int:
        pending = sealed_segments(self.spool_dir)
        self._backlog = len(pending)
        if self.metrics:
            self.metrics.lander_backlog.set(len(pending))
        landed = 0
        for segment in pending:
            if self._landed_segments == 0 and self._already_landed(segment.name):
                log.info("segment %s is in the manifest already; removing it", segment.name)
                segment.remove()
                continue
            result = land_segment(
                self.layout,
                segment,
                manifest=self._manifest,
                conn=conn,
                lag_buckets=LAG_BUCKETS,
            )
            landed += 1
            self._record(result)
            self._backlog -= 1
            if self.metrics:
                self.metrics.lander_backlog.set(self._backlog)
        return landed

    def _record(self, result: LandResult) -> None:
        self._landed_segments += 1
        self._landed_events += result.events
        self._last_landed_at = time.time()
        self._last_error = None
        self._failing_since = None
        if self.metrics:
            self.metrics.landed_segments.inc()
            self.metrics.landed_events.inc(result.events)
            if result.lag is not None:
                self.metrics.ingest_lag.add(
                    result.lag.counts_le, result.lag.count, result.lag.total_s
                )
        if self.on_landed is not None:
            self.on_landed(result)

    def _run(self) -> None:
        conn = open_landing_connection()
        backoff = self.poll_s
        try:
            while not self._stop.is_set():
                self._wake.wait(backoff)
                self._wake.clear()
                try:
                    self._land_all(conn)
                    backoff = self.poll_s
                except Exception as exc:  # keep landing alive; the segment stays in the spool
                    log.exception("landing failed; will retry")
                    self._last_error = f"{type(exc).__name__}: {exc}"
                    self._failing_since = self._failing_since or time.time()
                    if self.metrics:
                        self.metrics.count_error(ErrorCode.LAND_FAILED)
                    backoff = min(max(backoff * 2, 0.5), 10.0)
        finally:
            conn.close()
