"""The metrics catalogue (``metrics/catalog.yaml``): metric names, kinds and Silver sources.

Experiments and dashboards name metrics from this one file. Loading validates it strictly;
every problem is an ``EXPERIMENT_INVALID`` error naming the file and the field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import yaml

from rastup_data.errors import ErrorCode, RastupError

__all__ = [
    "DEFAULT_CATALOG_PATH",
    "Direction",
    "Metric",
    "MetricCatalog",
    "MetricKind",
    "MetricSource",
    "SpecReader",
    "load_catalog",
    "read_yaml_mapping",
]

DEFAULT_CATALOG_PATH = Path("metrics") / "catalog.yaml"

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_TABLE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$")

T = TypeVar("T")


class MetricKind(str, Enum):
    """How a metric aggregates: per-unit mean, per-unit 0/1 proportion, or ratio of sums."""

    MEAN = "mean"
    PROPORTION = "proportion"
    RATIO = "ratio"


class Direction(str, Enum):
    """Which way is good for the metric."""

    INCREASE = "increase"
    DECREASE = "decrease"


@dataclass(frozen=True, slots=True)
class MetricSource:
    """A per-unit aggregate over one Silver fact, in the window after first exposure.

    ``value`` is a SQL aggregate evaluated per unit over the fact rows of that unit with
    ``timestamp_column`` in ``[first_exposure, first_exposure + window)``; units with no
    rows count as 0 (false for proportions).
    """

    fact: str
    value: str
    unit_column: str = "person_id"
    timestamp_column: str = "occurred_at"
    filter: str | None = None


@dataclass(frozen=True, slots=True)
class Metric:
    """One catalogue entry."""

    name: str
    label: str
    description: str
    kind: MetricKind
    direction: Direction
    window_days: int
    unit: str
    source: MetricSource | None = None
    numerator: MetricSource | None = None
    denominator: MetricSource | None = None
    tags: tuple[str, ...] = ()

    @property
    def sources(self) -> tuple[MetricSource, ...]:
        """The Silver sources the metric reads (one, or numerator and denominator)."""
        found = (self.source, self.numerator, self.denominator)
        return tuple(s for s in found if s is not None)


@dataclass(frozen=True, slots=True)
class MetricCatalog:
    """All metrics of the catalogue, by name, in file order."""

    path: Path
    metrics: Mapping[str, Metric]

    def __contains__(self, name: object) -> bool:
        return name in self.metrics

    def __iter__(self) -> Iterator[Metric]:
        return iter(self.metrics.values())

    def __len__(self) -> int:
        return len(self.metrics)

    def get(self, name: str) -> Metric:
        try:
            return self.metrics[name]
        except KeyError:
            raise RastupError(
                ErrorCode.EXPERIMENT_INVALID,
                f"metric {name!r} is not in the catalogue {self.path}: add it there or use one "
                f"of {', '.join(self.metrics)}.",
            ) from None


class SpecReader:
    """Reads one YAML mapping strictly, raising errors that name the file and the field."""

    def __init__(self, file: Path, where: str, data: object) -> None:
        self.file = file
        self.where = where
        if not isinstance(data, dict):
            self.fail(None, f"must be a mapping, got {_describe(data)}")
        self.data: dict[str, Any] = data

    def field(self, key: str | None) -> str:
        if key is None:
            return self.where or "(top level)"
        return f"{self.where}.{key}" if self.where else key

    def fail(self, key: str | None, message: str) -> NoReturn:
        raise RastupError(
            ErrorCode.EXPERIMENT_INVALID, f"{self.file}: field {self.field(key)}: {message}."
        )

    def only(self, *allowed: str) -> None:
        unknown = sorted(set(self.data) - set(allowed))
        if unknown:
            self.fail(
                str(unknown[0]), f"unknown field; allowed fields are {', '.join(sorted(allowed))}"
            )

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def required(self, key: str, kind: type[T]) -> T:
        if self.data.get(key) is None:
            self.fail(key, "is required")
        return self._typed(key, self.data[key], kind)

    def optional(self, key: str, kind: type[T], default: T) -> T:
        if self.data.get(key) is None:
            return default
        return self._typed(key, self.data[key], kind)

    def text(self, key: str, *, default: str | None = None) -> str:
        value = self.required(key, str) if default is None else self.optional(key, str, default)
        if default is None and not value.strip():
            self.fail(key, "must not be empty")
        return value

    def name(self, key: str) -> str:
        value = self.required(key, str)
        if not NAME_PATTERN.match(value):
            self.fail(key, f"{value!r} must match {NAME_PATTERN.pattern}")
        return value

    def choice(self, key: str, enum: type[Enum], *, default: Enum | None = None) -> Any:
        raw = self.required(key, str) if default is None else self.optional(key, str, "")
        if raw == "" and default is not None:
            return default
        try:
            return enum(raw)
        except ValueError:
            options = ", ".join(str(m.value) for m in enum)
            self.fail(key, f"must be one of {options} (got {raw!r})")

    def integer(self, key: str, *, low: int, high: int, default: int | None = None) -> int:
        value = self.required(key, int) if default is None else self.optional(key, int, default)
        if not low <= value <= high:
            self.fail(key, f"must be between {low} and {high} (got {value})")
        return value

    def number(self, key: str, *, low: float, high: float, default: float | None = None) -> float:
        raw = self.data.get(key)
        if raw is None:
            if default is None:
                self.fail(key, "is required")
            return default
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            self.fail(key, f"must be a number, got {_describe(raw)}")
        if not math.isfinite(raw) or not low <= raw <= high:
            bounds = f"at least {low:g}" if math.isinf(high) else f"between {low:g} and {high:g}"
            self.fail(key, f"must be {bounds} (got {raw})")
        return float(raw)

    def child(self, key: str) -> SpecReader:
        return SpecReader(self.file, self.field(key), self.data.get(key))

    def _typed(self, key: str, value: object, kind: type[T]) -> T:
        if kind is int and isinstance(value, bool):
            self.fail(key, "must be an integer, got a boolean")
        if not isinstance(value, kind):
            self.fail(
                key, f"must be {_KIND_NAMES.get(kind, kind.__name__)}, got {_describe(value)}"
            )
        return value


_KIND_NAMES: dict[type, str] = {
    str: "a string",
    int: "an integer",
    bool: "true or false",
    list: "a list",
    dict: "a mapping",
}


def _describe(value: object) -> str:
    if value is None:
        return "nothing"
    return f"{type(value).__name__} {value!r}"[:80]


def read_yaml_mapping(path: Path) -> object:
    """Parse one YAML file, turning read and syntax errors into coded errors."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RastupError(
            ErrorCode.EXPERIMENT_INVALID, f"{path}: cannot read the file: {exc.strerror}."
        ) from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise RastupError(
            ErrorCode.EXPERIMENT_INVALID, f"{path}: not valid YAML{where}: fix the syntax."
        ) from exc


def load_catalog(path: str | Path = DEFAULT_CATALOG_PATH) -> MetricCatalog:
    """Load and validate the metrics catalogue."""
    file = Path(path)
    top = SpecReader(file, "", read_yaml_mapping(file))
    top.only("version", "metrics")
    top.integer("version", low=1, high=1)
    entries = top.required("metrics", list)
    if not entries:
        top.fail("metrics", "must list at least one metric")
    metrics: dict[str, Metric] = {}
    for index, entry in enumerate(entries):
        metric = _metric(SpecReader(file, f"metrics[{index}]", entry))
        if metric.name in metrics:
            SpecReader(file, f"metrics[{index}]", entry).fail(
                "name", f"metric {metric.name!r} is defined twice"
            )
        metrics[metric.name] = metric
    return MetricCatalog(path=file, metrics=metrics)


def _metric(spec: SpecReader) -> Metric:
    spec.only(
        "name",
        "label",
        "description",
        "kind",
        "direction",
        "window_days",
        "unit",
        "source",
        "numerator",
        "denominator",
        "tags",
    )
    name = spec.name("name")
    kind: MetricKind = spec.choice("kind", MetricKind)
    source: MetricSource | None
    numerator: MetricSource | None
    denominator: MetricSource | None
    if kind is MetricKind.RATIO:
        if spec.has("source"):
            spec.fail("source", "a ratio metric has numerator and denominator, not source")
        numerator = _source(spec.child("numerator"))
        denominator = _source(spec.child("denominator"))
        source = None
    else:
        for key in ("numerator", "denominator"):
            if spec.has(key):
                spec.fail(key, f"only ratio metrics have {key}; a {kind.value} metric has source")
        source = _source(spec.child("source"))
        numerator = denominator = None
    tags = spec.optional("tags", list, [])
    for i, tag in enumerate(tags):
        if not isinstance(tag, str) or not NAME_PATTERN.match(tag):
            spec.fail(f"tags[{i}]", f"must be a lower-case name, got {_describe(tag)}")
    return Metric(
        name=name,
        label=spec.text("label", default=name.replace("_", " ").capitalize()),
        description=spec.text("description"),
        kind=kind,
        direction=spec.choice("direction", Direction),
        window_days=spec.integer("window_days", low=1, high=365),
        unit=spec.text("unit", default="count"),
        source=source,
        numerator=numerator,
        denominator=denominator,
        tags=tuple(tags),
    )


def _source(spec: SpecReader) -> MetricSource:
    spec.only("fact", "value", "unit_column", "timestamp_column", "filter")
    fact = spec.text("fact")
    if not _TABLE_PATTERN.match(fact):
        spec.fail("fact", f"{fact!r} must be a table name like fact_bookings or silver.fact_x")
    columns = {}
    for key, default in (("unit_column", "person_id"), ("timestamp_column", "occurred_at")):
        columns[key] = spec.text(key, default=default)
        if not NAME_PATTERN.match(columns[key]):
            spec.fail(key, f"{columns[key]!r} must be a column name")
    value = spec.text("value")
    if ";" in value:
        spec.fail("value", "must be one SQL expression without ';'")
    condition = spec.optional("filter", str, "") or None
    if condition is not None and ";" in condition:
        spec.fail("filter", "must be one SQL condition without ';'")
    return MetricSource(
        fact=fact,
        value=value,
        unit_column=columns["unit_column"],
        timestamp_column=columns["timestamp_column"],
        filter=condition,
    )
