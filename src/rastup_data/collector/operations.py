"""The jobs ``serve`` runs beside the collector: the NRT refresh and the scheduler (daily
build, lifecycle, Bronze compaction, alert evaluation over this process's metrics,
guardrails)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rastup_data.lake.layout import LakeLayout
from rastup_data.ops.metrics import PlatformMetrics

__all__ = ["Background", "OperationsOptions", "operations_jobs"]

#: A job's start and stop.
Background = tuple[Callable[[], None], Callable[[], None]]


@dataclass(frozen=True, slots=True)
class OperationsOptions:
    """What ``serve`` runs besides collecting: ``nrt_interval`` 0 and ``scheduler`` False
    turn them off."""

    nrt_interval: float = 30.0
    scheduler: bool = True
    experiments_dir: Path | None = None


def operations_jobs(
    layout: LakeLayout,
    metrics: PlatformMetrics,
    exposition: Callable[[], str],
    options: OperationsOptions,
) -> list[Background]:
    """The background jobs to start after the collector (and stop before it)."""
    jobs: list[Background] = []
    if options.nrt_interval > 0:
        from rastup_data.ops.nrt_schedule import NrtScheduler

        nrt = NrtScheduler(layout, metrics, options.nrt_interval)
        jobs.append((nrt.start, nrt.stop))
    if options.scheduler:
        from rastup_data.scheduler import SchedulerService

        service = SchedulerService(layout, experiments_dir=options.experiments_dir)
        service.watch_metrics(exposition, metrics.registry)
        jobs.append((service.start, service.stop))
        jobs.append(_bi_refresh(layout, metrics))
    return jobs


def _bi_refresh(layout: LakeLayout, metrics: PlatformMetrics) -> Background:
    """The BI extracts' refresh schedule (dashboards/refresh.yaml, docs/dashboards.md)."""
    from rastup_data.bi.home import dashboards_dir
    from rastup_data.bi.refresh import RefreshLimits
    from rastup_data.bi.schedule import load_schedule
    from rastup_data.bi.scheduler import BiScheduler
    from rastup_data.config import Settings
    from rastup_data.environments import load_profile
    from rastup_data.state import open_state

    settings = Settings.from_env(lake=layout.root)
    schedule = load_schedule(dashboards_dir(settings))
    limits = RefreshLimits.of(load_profile(settings=settings))
    state = open_state(settings.state_url, lake=layout.root)
    scheduler = BiScheduler(layout, schedule, state, limits, metrics)

    def stop() -> None:
        scheduler.stop()
        state.close()

    return scheduler.start, stop
