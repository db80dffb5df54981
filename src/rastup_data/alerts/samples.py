"""Samples of a Prometheus exposition (the text ``/metrics`` serves), as plain values."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

__all__ = ["LabelSet", "Sample", "parse_exposition"]

#: Labels as a sorted tuple of pairs: hashable, and the same for the same labels.
LabelSet = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Sample:
    """One series' value: ``rastup_errors_total{code="LAND_FAILED", …} 3``."""

    name: str
    labels: LabelSet
    value: float

    @property
    def label_map(self) -> dict[str, str]:
        return dict(self.labels)

    @classmethod
    def of(cls, name: str, value: float, **labels: str) -> Sample:
        return cls(name, tuple(sorted(labels.items())), float(value))


def parse_exposition(text: str) -> Iterator[Sample]:
    """Every sample of an exposition; ``*_created`` timestamps are left out."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name.endswith("_created"):
                continue
            yield Sample(sample.name, tuple(sorted(sample.labels.items())), float(sample.value))


def names(samples: Iterable[Sample]) -> set[str]:
    return {s.name for s in samples}
