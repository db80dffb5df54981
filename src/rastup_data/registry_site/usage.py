"""The "used by" index: which dashboards, experiments and metrics use each model, event
and metric.

One source per consumer kind, in ``USAGE_SOURCES``; each reads its own definitions and
yields :class:`Usage` records. A new consumer (the BI dashboards, say) is one more
function appended to the tuple. Experiments inherit what their metrics read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from rastup_data.errors import RastupError
from rastup_data.experiments.catalog import MetricCatalog, load_catalog
from rastup_data.experiments.definitions import ExperimentSet, load_experiments
from rastup_data.registry_site.content import EventEntry, Usage
from rastup_data.transform.manifest import DbtProject

__all__ = [
    "USAGE_SOURCES",
    "UsageContext",
    "collect_usages",
    "dashboard_usages",
    "experiment_usages",
    "metric_usages",
]


@dataclass(frozen=True, slots=True)
class UsageContext:
    """What the usage sources read: the project, events and the definition folders."""

    project: DbtProject | None
    events: tuple[EventEntry, ...]
    metrics: MetricCatalog | None
    experiments: ExperimentSet | None
    dashboards_dir: Path | None

    @classmethod
    def load(
        cls,
        project: DbtProject | None,
        events: tuple[EventEntry, ...],
        folders: tuple[Path | None, Path | None, Path | None],
    ) -> tuple[UsageContext, tuple[str, ...]]:
        """Load the catalogue and experiments that exist; notes say what was skipped."""
        metrics_path, experiments_dir, dashboards_dir = folders
        notes: list[str] = []
        catalog = experiments = None
        if metrics_path is not None and metrics_path.is_file():
            catalog = load_catalog(metrics_path)
        else:
            notes.append(f"no metrics catalogue at {metrics_path}")
        if catalog is not None and experiments_dir is not None and experiments_dir.is_dir():
            try:
                experiments = load_experiments(experiments_dir, catalog)
            except RastupError as exc:
                notes.append(f"experiments skipped: {exc.message}")
        else:
            notes.append(f"no experiments folder at {experiments_dir}")
        context = cls(project, events, catalog, experiments, dashboards_dir)
        return context, tuple(notes)

    def model_id(self, name: str) -> str | None:
        if self.project is None:
            return None
        model = self.project.by_name(name)
        return model.unique_id if model else None

    def events_read_by(self, unique_id: str) -> list[str]:
        return [e.name for e in self.events if unique_id in e.read_by]


UsageSource = Callable[[UsageContext], Iterable[Usage]]


def metric_usages(context: UsageContext) -> Iterator[Usage]:
    """Each catalogue metric uses the Silver facts it aggregates, and their events."""
    for metric in context.metrics or ():
        page = f"metrics/index.html#metric-{metric.name}"
        for role, source in _metric_sources(metric):
            model = context.model_id(source.fact)
            if model is None:
                continue
            yield Usage("metric", metric.name, "model", model, role, page)
            for event in context.events_read_by(model):
                yield Usage("metric", metric.name, "event", event, f"via {source.fact}", page)


def experiment_usages(context: UsageContext) -> Iterator[Usage]:
    """Each experiment uses its metrics (and what they read) and the exposure records."""
    if context.experiments is None or context.metrics is None:
        return
    inherited: dict[str, list[Usage]] = {}
    for usage in metric_usages(context):
        inherited.setdefault(usage.user_name, []).append(usage)
    for experiment in context.experiments:
        page = f"experiments/index.html#experiment-{experiment.key}"
        for ref in experiment.metrics:
            yield Usage("experiment", experiment.key, "metric", ref.name, ref.role.value, page)
            for usage in inherited.get(ref.name, ()):
                how = f"via metric {ref.name}"
                yield Usage(
                    "experiment", experiment.key, usage.target_kind, usage.target_name, how, page
                )
        yield Usage("experiment", experiment.key, "event", "exp.exposure", "exposures", page)
        exposure_model = context.model_id("dim_exposure")
        if exposure_model is not None:
            yield Usage("experiment", experiment.key, "model", exposure_model, "exposures", page)


def dashboard_usages(context: UsageContext) -> Iterator[Usage]:
    """Dashboards as code (``dashboards/*.yaml``): any string naming a model or a metric."""
    folder = context.dashboards_dir
    if folder is None or not folder.is_dir():
        return
    metric_names = {m.name for m in context.metrics or ()}
    for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue
        name = _dashboard_name(document, path)
        for text in sorted(set(_strings(document))):
            model = context.model_id(text)
            if model is not None:
                yield Usage("dashboard", name, "model", model, "tile")
            elif text in metric_names:
                yield Usage("dashboard", name, "metric", text, "tile")


#: Every consumer kind the site indexes, in the order pages list them.
USAGE_SOURCES: tuple[UsageSource, ...] = (dashboard_usages, experiment_usages, metric_usages)


def collect_usages(context: UsageContext) -> tuple[Usage, ...]:
    """Every usage from every source, without duplicates."""
    found = [u for source in USAGE_SOURCES for u in source(context)]
    return tuple(dict.fromkeys(found))


def _metric_sources(metric: Any) -> list[tuple[str, Any]]:
    return [
        (role, source)
        for role, source in (
            ("source", metric.source),
            ("numerator", metric.numerator),
            ("denominator", metric.denominator),
        )
        if source is not None
    ]


def _dashboard_name(document: Any, path: Path) -> str:
    if isinstance(document, Mapping):
        for key in ("name", "title", "key"):
            if isinstance(document.get(key), str):
                return str(document[key])
    return path.stem


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value.strip()
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
