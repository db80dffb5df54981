"""The collector's moving parts, wired together: validator, dedupe window, spool, lander.

``CollectorRuntime`` starts in a fixed order (recover the spool, rebuild the dedupe window
from what is unlanded and what landed recently, start the spool writer, start the lander)
and stops in reverse, flushing the spool and landing what it holds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import orjson

from rastup_data.collector.assign import AssignmentService
from rastup_data.collector.body import MemoryBudget
from rastup_data.collector.buffers import BufferWatcher
from rastup_data.collector.validation_pool import ValidationPool
from rastup_data.config import LakeRoot
from rastup_data.errors import ErrorCode
from rastup_data.ingest.acceptance import EventAcceptor, EventCheck
from rastup_data.ingest.dedupe import DedupeWindow
from rastup_data.ingest.limits import IngestLimits
from rastup_data.ingest.shared_dedupe import SharedDedupe
from rastup_data.ingest.suppression import SubjectSuppression
from rastup_data.lake.files import partition_files
from rastup_data.lake.layout import BRONZE_EVENTS, LakeLayout, adopt_legacy_work, partition_key
from rastup_data.lander.buffers import Buffers
from rastup_data.lander.worker import LanderStatus, LanderWorker
from rastup_data.ops.metrics import PlatformMetrics, merge_expositions
from rastup_data.privacy.suppression import DsarStatus, SuppressionRefresher
from rastup_data.spool.segments import sealed_segments
from rastup_data.spool.spool import Spool, SpoolConfig
from rastup_data.state.database import state_url_for_layout
from rastup_data.storage.posix import atomic_write

__all__ = ["CollectorConfig", "CollectorRuntime", "known_event_ids"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CollectorConfig:
    """Everything ``serve`` can tune."""

    lake: LakeRoot
    #: This node's work folder (spool, state database); None: $RASTUP_WORK_DIR or <lake>/_node.
    work_dir: Path | None = None
    keys: frozenset[str] = frozenset()
    env: str = "dev"
    limits: IngestLimits = field(default_factory=IngestLimits)
    spool: SpoolConfig = field(default_factory=SpoolConfig)
    dedupe_window_s: float = 3600.0
    dedupe_max_ids: int = 5_000_000
    lander_max_backlog: int = 200
    retry_after_s: int = 2
    land: bool = True
    validation_workers: int = 0
    #: Experiment definitions; None: found as rastup_data.experiments.home says.
    experiments_dir: Path | None = None
    state_url: str | None = None
    #: Provider webhook signing secrets, {provider: (secret, …)} (docs/webhooks.md).
    webhook_secrets: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: A worker of a multi-process collector: its own spool folder, the supervisor's
    #: shared dedupe file, and the supervisor's lander status file.
    spool_dir: Path | None = None
    shared_dedupe: Path | None = None
    lander_status_file: Path | None = None
    metrics_dir: Path | None = None
    metrics_name: str = "w0"
    #: How often the list of erased subjects is re-checked (seconds).
    suppression_refresh_s: float = 1.0


class CollectorRuntime:
    """Owns the collector's state for one process."""

    def __init__(self, config: CollectorConfig, validator: EventCheck | None = None) -> None:
        self.config = config
        self.layout = LakeLayout(config.lake, config.work_dir)
        adopt_legacy_work(self.layout)
        self.metrics = PlatformMetrics(config.env)
        if validator is None:
            from rastup_data.contracts import load_validator

            validator = load_validator()
        self.dedupe: DedupeWindow | SharedDedupe
        if config.shared_dedupe is not None:
            self.dedupe = SharedDedupe(config.shared_dedupe, window_s=config.dedupe_window_s)
        else:
            self.dedupe = DedupeWindow(config.dedupe_window_s, config.dedupe_max_ids)
        self.acceptor = EventAcceptor(validator, self.dedupe, config.limits)
        self.pool = ValidationPool(config.validation_workers, config.limits, validator)
        self.body_memory = MemoryBudget(
            max(config.limits.max_inflight_body_bytes, config.limits.max_decompressed_bytes)
        )
        state_url = config.state_url or state_url_for_layout(self.layout)
        self.assignments = AssignmentService(config.lake, config.experiments_dir, state_url)
        self.suppression = SuppressionRefresher(
            state_url,
            self._suppress,
            interval_s=config.suppression_refresh_s,
            # Gauges are summed across worker processes: one process reports the register.
            on_status=self._report_dsar if config.metrics_name == "w0" else None,
        )
        self.buffers = BufferWatcher(state_url, self.apply_buffers)
        self._max_backlog = config.lander_max_backlog
        self.spool_dir = config.spool_dir or self.layout.spool
        self.lander = LanderWorker(self.layout, self.spool_dir, metrics=self.metrics)
        self.spool = Spool(self.spool_dir, config.spool, on_seal=self.lander.notify)
        self.started_at = time.time()
        self._spool_bytes = 0
        self._spool_checked = 0.0
        self._spool_unlisted = False
        self._background: list[tuple[Callable[[], None], Callable[[], None]]] = []
        self.running = False

    def add_background(self, start: Callable[[], None], stop: Callable[[], None]) -> None:
        """A job that starts after the collector and stops before it (e.g. NRT refresh)."""
        self._background.append((start, stop))

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        if not self.layout.is_remote:
            self.layout.local_root.mkdir(parents=True, exist_ok=True)
        self.pool.start()  # before any thread of ours exists
        self.suppression.start()  # erased subjects are suppressed from the first request
        self.spool.recover()
        if self.config.shared_dedupe is None:  # a supervisor rebuilds the shared one
            ids = known_event_ids(self.layout, [self.spool_dir], self.config.dedupe_window_s)
            self.dedupe.add_new(ids)
            log.info("dedupe window rebuilt with %d event ids", len(ids))
        self.spool.start()
        self.metrics.spool_writer_up.set(1)
        self.buffers.start()
        if self.config.land:
            self.lander.start()
        for start, _ in self._background:
            start()
        if self.config.metrics_dir is not None:
            self._metrics_stop = threading.Event()
            threading.Thread(target=self._share_metrics, name="metrics", daemon=True).start()
        self.running = True

    def stop(self) -> None:
        """Flush and seal the spool, then land everything it holds."""
        if not self.running:
            return
        self.running = False
        if self.config.metrics_dir is not None:
            self._metrics_stop.set()
        for _, stop in reversed(self._background):
            stop()
        self.suppression.stop()
        self.buffers.stop()
        self.spool.close()
        if self.config.land:
            try:
                self.lander.stop(drain=True)
            except Exception:
                log.exception("landing at shutdown failed; the segments stay in the spool")
        self.pool.stop()

    # -- privacy ---------------------------------------------------------------------

    def _suppress(self, suppression: SubjectSuppression) -> None:
        self.acceptor.suppression = suppression
        log.info("suppressing %d erased id(s)", len(suppression.digests))

    def _report_dsar(self, status: DsarStatus) -> None:
        for state, count in status.by_state.items():
            self.metrics.dsar_requests.labels(state).set(count)
        self.metrics.dsar_overdue.set(status.overdue)
        if status.conflicts:
            self.metrics.count_error(ErrorCode.DSAR_CONFLICT, status.conflicts)

    # -- back-pressure ---------------------------------------------------------------

    def apply_buffers(self, buffers: Buffers) -> None:
        """Widen (or restore) the spool's buffers: ``rastup-data lander buffers``."""
        base = self.config.spool
        self.spool.config = replace(
            base,
            max_bytes=buffers.max_bytes or base.max_bytes,
            rotate_s=buffers.rotate_s or base.rotate_s,
        )
        self._max_backlog = buffers.max_backlog or self.config.lander_max_backlog

    def spool_bytes(self) -> int:
        """Bytes in this process's spool not yet landed; sampled at most 5×/s. While storage
        refuses to list the spool's folder the last sample stands: the writes that fail
        meanwhile are what refuses the events (EVENT_PUT_FAILED), never this sample."""
        now = time.monotonic()
        if now - self._spool_checked > 0.2:
            self._spool_checked = now
            try:
                self._spool_bytes = self.spool.used_bytes()
            except OSError as exc:
                if not self._spool_unlisted:  # once per outage, not five times a second
                    log.warning("cannot measure the spool: %s", exc)
                self._spool_unlisted = True
            else:
                self._spool_unlisted = False
                self.metrics.spool_bytes.set(self._spool_bytes)
        return self._spool_bytes

    def overloaded(self) -> str | None:
        """Why new events should wait, or None. Cheap: disk use is sampled at most 5×/s."""
        if self.spool_bytes() >= self.spool.config.max_bytes:
            return f"spool holds {self._spool_bytes} bytes not yet landed"
        backlog = self.lander_status().backlog_segments
        if backlog >= self._max_backlog:
            return f"lander is {backlog} segments behind"
        return None

    def _share_metrics(self) -> None:
        while not self._metrics_stop.wait(1.0):
            try:
                self.write_metrics()
            except OSError as exc:  # storage refuses for a moment: try again next second
                log.warning("cannot share this worker's metrics: %s", exc)

    def write_metrics(self) -> None:
        """Write this process's metrics where the other workers can merge them."""
        directory = self.config.metrics_dir
        if directory is not None:
            path = directory / f"{self.config.metrics_name}.prom"
            atomic_write(path, self.metrics.exposition())

    def exposition(self) -> bytes:
        """Metrics for a scrape: this process's, merged with its siblings' when shared."""
        directory = self.config.metrics_dir
        if directory is None:
            return self.metrics.exposition()
        texts = [self.metrics.exposition().decode()]
        own = f"{self.config.metrics_name}.prom"
        for path in sorted(directory.glob("*.prom")):
            if path.name == own:
                continue
            try:
                texts.append(path.read_text())
            except OSError:
                continue
        return merge_expositions(texts)

    def spool_failure(self) -> BaseException | None:
        """Why the spool writer stopped (every ingest is refused until restart), or None."""
        failure = self.spool.failure
        if failure is not None:
            self.metrics.spool_writer_up.set(0)
        return failure

    def healthy(self) -> bool:
        """Running with a spool that writes: what /healthz answers 200 for."""
        return self.running and self.spool_failure() is None and self.spool.write_error is None

    def lander_status(self) -> LanderStatus:
        """This process's lander, or the supervisor's as it last wrote it down."""
        path = self.config.lander_status_file
        if path is None:
            return self.lander.status()
        try:
            return LanderStatus(**orjson.loads(path.read_bytes()))
        except (OSError, orjson.JSONDecodeError, TypeError):
            return LanderStatus(0, 0, 0, None, "no lander status yet", None)

    def health(self, *, detail: bool = False) -> dict[str, Any]:
        """Liveness for anyone; the lander's error text (paths, exceptions) only with
        ``detail`` (an authenticated caller): the public sees its code."""
        status = self.lander_status()
        failing = status.failing_since is not None
        health: dict[str, Any] = {
            "status": "degraded" if failing else "ok",
            "uptime_s": round(time.time() - self.started_at, 3),
            "spool_bytes": self.spool_bytes(),
            "lander_backlog_segments": status.backlog_segments,
            "landed_segments": status.landed_segments,
            "landed_events": status.landed_events,
            "last_landed_at": status.last_landed_at,
            "lander_error_code": ErrorCode.LAND_FAILED.value if failing else None,
            "lander_failing_since": status.failing_since,
            "dedupe_window_ids": len(self.dedupe),
        }
        if detail:
            health["lander_error"] = status.last_error
        health.update(self._spool_health(detail=detail))
        return health

    def _spool_health(self, *, detail: bool) -> dict[str, Any]:
        """What /healthz says of the spool writer: running, failing (storage refuses its
        writes; it retries) or stopped (this collector exits to be restarted)."""
        failure: BaseException | None = self.spool_failure()
        if failure is not None:
            state = "stopped"
            reason = (
                "the spool writer stopped: events are refused (503) until this collector "
                "restarts, which it does by exiting"
            )
        elif (failure := self.spool.write_error) is not None:
            state = "failing"
            reason = (
                "the spool cannot write (storage refuses): events are refused (503) until it can"
            )
        else:
            return {"spool_writer": "running"}
        health: dict[str, Any] = {
            "status": "unhealthy",
            "spool_writer": state,
            "error_code": ErrorCode.EVENT_PUT_FAILED.value,
            "reason": reason,
        }
        if detail:
            health["spool_error"] = f"{type(failure).__name__}: {failure}"
        return health

    def drained(self) -> bool:
        """True when everything accepted so far is in Bronze (nothing left in the spool)."""
        if self.lander.status().backlog_segments:
            return False
        for path in self.spool_dir.iterdir():
            if path.name.endswith(".ndjson") or (
                path.name.endswith(".open") and path.stat().st_size > 0
            ):
                return False
        return True


def known_event_ids(layout: LakeLayout, spool_dirs: list[Path], window_s: float) -> list[str]:
    """Event ids a restarted collector must still recognise: unlanded and recently landed."""
    ids: list[str] = []
    for directory in spool_dirs:
        for segment in sealed_segments(directory):
            with open(segment.events, "rb") as handle:
                for line in handle:
                    try:
                        ids.append(orjson.loads(line)["ids"]["event_id"])
                    except (orjson.JSONDecodeError, KeyError, TypeError):
                        continue
    return ids + _recent_bronze_ids(layout, window_s)


def _recent_bronze_ids(layout: LakeLayout, window_s: float) -> list[str]:
    since = datetime.now(UTC) - timedelta(seconds=window_s)
    partitions: list[str] = []
    day = since.date()
    today = datetime.now(UTC).date()
    while day <= today:
        files = partition_files(layout.lake, partition_key(BRONZE_EVENTS, day))
        partitions.extend(layout.lake.uri(f) for f in files)
        day += timedelta(days=1)
    if not partitions:
        return []
    conn = duckdb.connect(":memory:")
    try:
        layout.lake.register_duckdb(conn)
        rows = conn.execute(
            "SELECT event_id FROM read_parquet(?) WHERE received_at >= ?",
            [partitions, since],
        ).fetchall()
    finally:
        conn.close()
    return [row[0] for row in rows]
