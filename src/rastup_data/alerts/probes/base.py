"""What a probe is, what it reads, and how its gauges reach ``/metrics``."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from rastup_data.alerts.samples import Sample
from rastup_data.environments import EnvironmentProfile
from rastup_data.lake.layout import LakeLayout
from rastup_data.state import StateDB

__all__ = ["Probe", "ProbeCollector", "ProbeContext"]


@dataclass(frozen=True, slots=True)
class ProbeContext:
    """The lake, the state database, the environment's profile and the time of evaluation."""

    layout: LakeLayout
    state: StateDB
    profile: EnvironmentProfile
    now: datetime


class Probe(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def every_s(self) -> float:
        """Seconds between two runs; in between, the last samples stand."""
        ...

    @property
    def gauges(self) -> Mapping[str, str]:
        """Metric name → help text of every gauge the probe returns."""
        ...

    def samples(self, context: ProbeContext) -> list[Sample]: ...


class ProbeCollector(Collector):
    """Exports the probes' last samples as gauges (registered on the process's registry),
    and any other group of gauges the evaluator publishes (``extra``: name → help text)."""

    def __init__(self, probes: Sequence[Probe], extra: Mapping[str, str] | None = None) -> None:
        self._help = {name: text for probe in probes for name, text in probe.gauges.items()}
        self._help.update(extra or {})
        self._groups: dict[str, list[Sample]] = {}
        self._lock = threading.Lock()

    def update(self, samples: Iterable[Sample], *, group: str = "probes") -> None:
        """Replace the samples of one group (the probes', or e.g. the alerts' states)."""
        with self._lock:
            self._groups[group] = list(samples)

    def collect(self) -> Iterable[Metric]:
        with self._lock:
            samples = [sample for group in self._groups.values() for sample in group]
        by_name: dict[str, list[Sample]] = {}
        for sample in samples:
            by_name.setdefault(sample.name, []).append(sample)
        for name, items in sorted(by_name.items()):
            labels = sorted({k for s in items for k, _ in s.labels})
            family = GaugeMetricFamily(name, self._help.get(name, name), labels=labels)
            for sample in items:
                values = dict(sample.labels)
                family.add_metric([values.get(label, "") for label in labels], sample.value)
            yield family
