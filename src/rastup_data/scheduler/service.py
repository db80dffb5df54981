"""A scheduler over a lake, as `serve` and `rastup-data scheduler` run it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from prometheus_client import CollectorRegistry

from rastup_data.config import Settings
from rastup_data.environments import load_profile
from rastup_data.lake.layout import LakeLayout
from rastup_data.scheduler.jobs import AlertsJob, JobContext
from rastup_data.scheduler.runner import Scheduler
from rastup_data.state import StateDB, open_state
from rastup_data.state.database import state_url_for_layout

__all__ = ["SchedulerService"]


class SchedulerService:
    """Opens the state database and builds the scheduler; ``serve`` adds its metrics."""

    def __init__(
        self,
        layout: LakeLayout,
        *,
        settings: Settings | None = None,
        experiments_dir: Path | None = None,
        state: StateDB | None = None,
    ) -> None:
        self.settings = settings or Settings.from_env(lake=layout.root)
        self._owns_state = state is None
        self.state = state or open_state(
            self.settings.state_url or state_url_for_layout(layout), lake=layout.root
        )
        try:
            profile = load_profile(settings=self.settings)
            self.context = JobContext(layout, self.state, profile, self.settings, experiments_dir)
            self.scheduler = Scheduler(self.context)
        except BaseException:
            self.close()
            raise

    def watch_metrics(self, exposition: Callable[[], str], registry: CollectorRegistry) -> None:
        """Evaluate alerts over this process's metrics too, and export the probes' gauges."""
        evaluator = AlertsJob().evaluator(self.context, exposition)
        registry.register(evaluator.collector)

    def start(self) -> None:
        self.scheduler.start()

    def stop(self) -> None:
        self.scheduler.stop()
        self.close()

    def close(self) -> None:
        if self._owns_state:
            self.state.close()

    def __enter__(self) -> SchedulerService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
