"""Refresh BI extracts: copy each dataset from the published build into a new snapshot.

Per dataset: write the snapshot, check the extract capacity (the current snapshots of
every dataset plus the new one), switch ``CURRENT``, collect old snapshots, and record the
run. A failure leaves the previous snapshot in place (dashboards keep working) and is
recorded; from the environment profile's ``alarms.bi_refresh_consecutive_failures`` (2)
failures in a row on, each failure counts ``BI_REFRESH_FAILED``. A lake with nothing
published yet (no build so far) has nothing to refresh from: every requested dataset is
recorded ``skipped``, with one log line, and that is no failure. Each outcome counts
``rastup_bi_refreshes_total{dataset, outcome}``. The capacity is the profile's
``budgets.extract_storage`` (the SPICE capacity), measured as every byte under ``extracts/``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from rastup_data.bi.extracts import (
    EXTRACTS,
    Snapshot,
    collect_snapshots,
    dataset_folder,
    publish_snapshot,
    stage_snapshot,
)
from rastup_data.bi.runs import RefreshRun, RefreshStatus, RunLog
from rastup_data.bi.schedule import RefreshSchedule
from rastup_data.environments import EnvironmentProfile, Resource
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.lake.files import total_bytes
from rastup_data.lake.layout import LakeLayout
from rastup_data.ops.metrics import PlatformMetrics
from rastup_data.state import StateDB
from rastup_data.transform.published import open_published
from rastup_data.transform.warehouse import warehouse_dirs

__all__ = [
    "RefreshLimits",
    "RefreshRequest",
    "extract_bytes",
    "extract_datasets",
    "refresh_datasets",
]

log = logging.getLogger(__name__)

_SCHEMA = "datasets"
_NOTHING_PUBLISHED = "nothing is published yet; the first `rastup-data build` publishes it"


@dataclass(frozen=True, slots=True)
class RefreshLimits:
    """The extract capacity (bytes) and the failures in a row that raise the alarm."""

    capacity_bytes: int
    alert_after_failures: int = 2

    @classmethod
    def of(cls, profile: EnvironmentProfile) -> RefreshLimits:
        return cls(
            capacity_bytes=int(profile.budgets.limit(Resource.EXTRACT_STORAGE)),
            alert_after_failures=profile.alarms.bi_refresh_consecutive_failures,
        )


@dataclass(frozen=True, slots=True)
class RefreshRequest:
    """What to refresh and why: ``datasets`` (empty: every scheduled one), the trigger
    (``manual`` or ``schedule``) and the clock."""

    datasets: tuple[str, ...] = ()
    trigger: str = "manual"
    now: datetime | None = None
    limits: RefreshLimits = RefreshLimits(capacity_bytes=5 * 10**9)


def extract_bytes(layout: LakeLayout) -> int:
    """Bytes stored under ``extracts/`` (every kept snapshot): the capacity used."""
    store = layout.lake
    return total_bytes(store, store.list_keys(EXTRACTS))


def extract_datasets(layout: LakeLayout) -> tuple[str, ...]:
    """The datasets the published build holds (dbt models tagged ``extract``)."""
    try:
        conn = open_published(layout, with_nrt=False)
    except RastupError:
        return ()
    with conn:
        rows = conn.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = ? ORDER BY 1", [_SCHEMA]
        ).fetchall()
    return tuple(str(r[0]) for r in rows)


def refresh_datasets(
    layout: LakeLayout,
    schedule: RefreshSchedule,
    state: StateDB,
    request: RefreshRequest,
    metrics: PlatformMetrics | None = None,
) -> list[RefreshRun]:
    """Refresh the requested datasets, one run record each (failures included)."""
    names = request.datasets or schedule.names
    unknown = sorted(set(names) - set(schedule.names))
    if unknown:
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"unknown dataset {', '.join(unknown)}; the scheduled datasets are "
            f"{', '.join(schedule.names)}.",
        )
    runs = RunLog(state)
    refresher = _Refresher(layout, schedule, request)
    published = warehouse_dirs(layout).builds.ever_published()
    if not published:
        log.info("BI refresh of %s skipped: %s", ", ".join(names), _NOTHING_PUBLISHED)
    results = []
    for name in names:
        run = runs.record(refresher.refresh(name) if published else refresher.skip(name))
        results.append(run)
        _observe(run, runs, metrics, request)
    return results


class _Refresher:
    """Refreshes datasets one by one against the build published when it started."""

    def __init__(
        self, layout: LakeLayout, schedule: RefreshSchedule, request: RefreshRequest
    ) -> None:
        self.layout = layout
        self.schedule = schedule
        self.trigger = request.trigger
        self.limits = request.limits
        self.now = request.now or datetime.now(UTC)
        self._given_now = request.now is not None

    def refresh(self, dataset: str) -> RefreshRun:
        # A run is recorded at the request's clock when one is given (the schedule's slot).
        started = self.now if self._given_now else datetime.now(UTC)
        clock = time.perf_counter()
        try:
            snapshot = self._refresh(dataset)
        except (RastupError, duckdb.Error, OSError) as exc:
            message = exc.message if isinstance(exc, RastupError) else f"{type(exc).__name__}"
            log.warning("BI refresh of %s failed: %s", dataset, exc)
            return self._run(dataset, started, clock, status=RefreshStatus.FAILED, error=message)
        collect_snapshots(self.layout.lake, dataset, self.schedule.keep_snapshots)
        return self._run(dataset, started, clock, status=RefreshStatus.OK, snapshot=snapshot)

    def skip(self, dataset: str) -> RefreshRun:
        """The run of a dataset with nothing published to refresh from."""
        started = self.now if self._given_now else datetime.now(UTC)
        return self._run(
            dataset,
            started,
            time.perf_counter(),
            status=RefreshStatus.SKIPPED,
            error=_NOTHING_PUBLISHED,
        )

    def _refresh(self, dataset: str) -> Snapshot:
        build = warehouse_dirs(self.layout).builds.current_key()
        with open_published(self.layout, with_nrt=False) as conn:
            found = conn.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
                [_SCHEMA, dataset],
            ).fetchone()
            if not found or not found[0]:
                raise RastupError(
                    ErrorCode.BI_REFRESH_FAILED,
                    f"the published build has no {_SCHEMA}.{dataset}; run `rastup-data build`.",
                )
            staged = stage_snapshot(
                self.layout,
                conn,
                dataset,
                source=f"{_SCHEMA}.{dataset}",
                now=self.now,
                build=build.rsplit("/", 1)[-1] if build else None,
            )
        self._check_capacity(staged)
        publish_snapshot(self.layout.lake, staged)
        return staged

    def _check_capacity(self, staged: Snapshot) -> None:
        """The new snapshot is already stored: the extracts with it must fit the capacity."""
        used = extract_bytes(self.layout)
        if used > self.limits.capacity_bytes:
            self.layout.lake.delete_prefix(staged.folder)
            raise RastupError(
                ErrorCode.BI_REFRESH_FAILED,
                f"the extracts would hold {used:,} bytes, over the capacity of "
                f"{self.limits.capacity_bytes:,} (budgets.extract_storage of the environment "
                f"profile); raise it or prune datasets. {dataset_folder(staged.dataset)} keeps "
                "its previous snapshot.",
            )

    def _run(
        self,
        dataset: str,
        started: datetime,
        clock: float,
        *,
        status: RefreshStatus,
        snapshot: Snapshot | None = None,
        error: str | None = None,
    ) -> RefreshRun:
        return RefreshRun(
            dataset=dataset,
            trigger=self.trigger,
            started_at=started.isoformat(),
            finished_at=datetime.now(UTC).isoformat(),
            duration_ms=(time.perf_counter() - clock) * 1000,
            status=status.value,
            rows=snapshot.rows if snapshot else 0,
            bytes=snapshot.bytes if snapshot else 0,
            snapshot=snapshot.snapshot_id if snapshot else None,
            error=error,
        )


def _observe(
    run: RefreshRun, runs: RunLog, metrics: PlatformMetrics | None, request: RefreshRequest
) -> None:
    if metrics is not None:
        metrics.bi_refreshes.labels(run.dataset, run.status).inc()
    if not run.failed:
        return
    now = request.now or datetime.now(UTC)
    failures = runs.status(run.dataset, now=now).consecutive_failures
    if failures >= request.limits.alert_after_failures:
        log.error(
            "%s: %s refreshes of %s failed in a row: %s",
            ErrorCode.BI_REFRESH_FAILED.value,
            failures,
            run.dataset,
            run.error,
        )
        if metrics is not None:
            metrics.count_error(ErrorCode.BI_REFRESH_FAILED)
