"""Experiment definitions: one YAML file per experiment in an experiments folder.

``_layers.yaml`` in the same folder defines layers (holdout percentage, mutually exclusive
slices). Loading validates strictly against the metrics catalogue; every problem is an
``EXPERIMENT_INVALID`` error naming the file and the field. The YAML reference is
``docs/experiments-definitions.md``.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from enum import Enum
from fractions import Fraction
from pathlib import Path

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.experiments.catalog import (
    Direction,
    MetricCatalog,
    SpecReader,
    load_catalog,
    read_yaml_mapping,
)
from rastup_data.experiments.home import find_definitions, find_experiments_dir
from rastup_data.experiments.stats.spec import MetricRole

__all__ = [
    "BUCKETS",
    "LAYERS_FILE",
    "Cuped",
    "Experiment",
    "ExperimentSet",
    "Layer",
    "MarginKind",
    "MetricRef",
    "MetricRole",
    "Targeting",
    "UnitType",
    "Variant",
    "lint_experiments",
    "load_experiments",
    "variant_boundaries",
]

#: Units are hashed into this many buckets.
BUCKETS = 10_000
LAYERS_FILE = "_layers.yaml"

_ATTRIBUTE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class UnitType(str, Enum):
    """What an experiment randomises: resolved people, devices, or sessions."""

    USER = "user"
    ANON = "anon"
    SESSION = "session"


class MarginKind(str, Enum):
    """A guardrail margin relative to control's value, or in the metric's own units."""

    RELATIVE = "relative"
    ABSOLUTE = "absolute"


@dataclass(frozen=True, slots=True)
class Variant:
    name: str
    weight: Fraction
    description: str = ""


@dataclass(frozen=True, slots=True)
class MetricRef:
    """A catalogue metric used by an experiment, with its role and good direction."""

    name: str
    role: MetricRole
    direction: Direction
    margin: float | None = None
    margin_kind: MarginKind = MarginKind.RELATIVE


@dataclass(frozen=True, slots=True)
class Cuped:
    """CUPED variance reduction: covariate metrics measured over a pre-exposure period."""

    covariates: tuple[str, ...]
    pre_period_days: int


@dataclass(frozen=True, slots=True)
class Targeting:
    """Attribute allow-lists; a unit is eligible when every listed attribute matches."""

    rules: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def matches(self, attributes: Mapping[str, object]) -> bool:
        for name, allowed in self.rules.items():
            value = attributes.get(name)
            if value is None or str(value) not in allowed:
                return False
        return True


@dataclass(frozen=True, slots=True)
class Layer:
    """A namespace of experiments sharing a holdout (salt ``holdout:<name>``)."""

    name: str
    holdout_pct: Fraction = Fraction(0)
    description: str = ""

    @property
    def holdout_buckets(self) -> int:
        """Buckets ``< holdout_buckets`` of the holdout hash are held out."""
        return int(self.holdout_pct * 100)


@dataclass(frozen=True, slots=True)
class Experiment:
    """One validated experiment definition."""

    key: str
    description: str
    owner: str
    unit: UnitType
    variants: tuple[Variant, ...]
    salt: str
    start: datetime
    end: datetime | None
    targeting: Targeting
    metrics: tuple[MetricRef, ...]
    cuped: Cuped | None
    sequential: bool
    alpha: float
    layer: str | None
    layer_slice: tuple[int, int] | None
    path: Path
    #: Exclusive upper bucket of each variant, in YAML order (the last is 10,000).
    boundaries: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        bounds = variant_boundaries([v.weight for v in self.variants])
        object.__setattr__(self, "boundaries", bounds)

    @property
    def control(self) -> str:
        """The first variant is the control."""
        return self.variants[0].name

    @property
    def variant_names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.variants)

    def metrics_with_role(self, role: MetricRole) -> tuple[MetricRef, ...]:
        return tuple(m for m in self.metrics if m.role is role)

    def is_running(self, at: datetime) -> bool:
        return self.start <= at and (self.end is None or at < self.end)


@dataclass(frozen=True, slots=True)
class ExperimentSet:
    """All experiments of a folder, by key, plus its layers."""

    experiments: Mapping[str, Experiment]
    layers: Mapping[str, Layer] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Experiment]:
        return iter(self.experiments.values())

    def __len__(self) -> int:
        return len(self.experiments)

    def __contains__(self, key: object) -> bool:
        return key in self.experiments

    def get(self, key: str) -> Experiment:
        try:
            return self.experiments[key]
        except KeyError:
            known = ", ".join(sorted(self.experiments)) or "none"
            raise RastupError(
                ErrorCode.EXPERIMENT_INVALID,
                f"unknown experiment {key!r}: define experiments/{key}.yaml "
                f"or use one of: {known}.",
            ) from None

    def layer_of(self, experiment: Experiment) -> Layer | None:
        return None if experiment.layer is None else self.layers[experiment.layer]


def variant_boundaries(weights: Sequence[Fraction | int]) -> tuple[int, ...]:
    """Bucket boundaries: floor(cumulative weight fraction x 10,000), the last is 10,000.

    Exact rational arithmetic, so decimal weights never fall off by one bucket.
    """
    total = sum(Fraction(w) for w in weights)
    bounds: list[int] = []
    running = Fraction(0)
    for weight in weights[:-1]:
        running += Fraction(weight)
        bounds.append(int(running * BUCKETS // total))
    bounds.append(BUCKETS)
    return tuple(bounds)


def load_experiments(
    folder: str | Path | None = None,
    catalog: MetricCatalog | str | Path | None = None,
) -> ExperimentSet:
    """Load and validate every experiment of ``folder``; raise the first problem found.

    ``folder`` and ``catalog`` default as :mod:`rastup_data.experiments.home` says
    ($RASTUP_EXPERIMENTS_DIR, ./experiments, the shipped examples; the catalogue beside).
    """
    loaded, errors = _load(folder, catalog)
    if errors:
        raise errors[0]
    return loaded


def lint_experiments(
    folder: str | Path | None = None,
    catalog: MetricCatalog | str | Path | None = None,
) -> list[RastupError]:
    """Every problem of the folder (one per file at most, plus cross-file checks)."""
    return _load(folder, catalog)[1]


def _load(
    folder: str | Path | None, catalog: MetricCatalog | str | Path | None
) -> tuple[ExperimentSet, list[RastupError]]:
    try:
        where, metrics = _resolve(folder, catalog)
        layers = _load_layers(where / LAYERS_FILE)
    except RastupError as exc:
        return ExperimentSet({}), [exc]
    experiments: dict[str, Experiment] = {}
    errors: list[RastupError] = []
    files = sorted(
        p for p in where.iterdir() if p.suffix in (".yaml", ".yml") and not p.name.startswith("_")
    )
    for path in files:
        try:
            experiment = _experiment(path, metrics, layers)
        except RastupError as exc:
            errors.append(exc)
            continue
        experiments[experiment.key] = experiment
    errors.extend(_check_layer_slices(experiments.values()))
    return ExperimentSet(experiments, layers), errors


def _resolve(
    folder: str | Path | None, catalog: MetricCatalog | str | Path | None
) -> tuple[Path, MetricCatalog]:
    if isinstance(catalog, MetricCatalog):
        return find_experiments_dir(folder)[0], catalog
    home = find_definitions(folder, catalog)
    return home.experiments_dir, load_catalog(home.catalog)


def _load_layers(path: Path) -> dict[str, Layer]:
    if not path.exists():
        return {}
    top = SpecReader(path, "", read_yaml_mapping(path))
    top.only("layers")
    entries = top.required("layers", list)
    layers: dict[str, Layer] = {}
    for index, entry in enumerate(entries):
        spec = SpecReader(path, f"layers[{index}]", entry)
        spec.only("name", "description", "holdout_pct")
        name = spec.name("name")
        if name in layers:
            spec.fail("name", f"layer {name!r} is defined twice")
        pct = _exact(spec, "holdout_pct", low=0, high=100, default=0)
        if (pct * 100).denominator != 1:
            spec.fail("holdout_pct", "must have at most two decimals (0.01 % steps)")
        layers[name] = Layer(name, pct, spec.text("description", default=""))
    return layers


def _experiment(path: Path, catalog: MetricCatalog, layers: Mapping[str, Layer]) -> Experiment:
    spec = SpecReader(path, "", read_yaml_mapping(path))
    spec.only(
        "key",
        "description",
        "owner",
        "unit",
        "variants",
        "salt",
        "start",
        "end",
        "targeting",
        "metrics",
        "cuped",
        "sequential",
        "alpha",
        "layer",
        "layer_slice",
    )
    key = spec.name("key")
    if key != path.stem:
        spec.fail("key", f"{key!r} must equal the file name ({path.stem!r})")
    start = _timestamp(spec, "start")
    end = _timestamp(spec, "end") if spec.has("end") else None
    if end is not None and end <= start:
        spec.fail("end", "must be after start")
    layer = spec.name("layer") if spec.has("layer") else None
    if layer is not None and layer not in layers:
        spec.fail("layer", f"layer {layer!r} is not defined in {LAYERS_FILE}")
    sequential = spec.optional("sequential", bool, default=False)
    return Experiment(
        key=key,
        description=spec.text("description"),
        owner=spec.text("owner"),
        unit=spec.choice("unit", UnitType),
        variants=_variants(spec),
        salt=spec.text("salt", default=key) or key,
        start=start,
        end=end,
        targeting=_targeting(spec),
        metrics=_metric_refs(spec.child("metrics"), catalog),
        cuped=_cuped(spec, catalog),
        sequential=sequential,
        alpha=_alpha(spec),
        layer=layer,
        layer_slice=_layer_slice(spec, layer),
        path=path,
    )


def _variants(spec: SpecReader) -> tuple[Variant, ...]:
    entries = spec.required("variants", list)
    if len(entries) < 2:
        spec.fail("variants", "needs at least two variants (the first is the control)")
    variants: list[Variant] = []
    for index, entry in enumerate(entries):
        item = SpecReader(spec.file, spec.field(f"variants[{index}]"), entry)
        item.only("name", "weight", "description")
        name = item.name("name")
        if any(v.name == name for v in variants):
            item.fail("name", f"variant {name!r} is listed twice")
        weight = _exact(item, "weight", low=0, high=1_000_000)
        if weight <= 0:
            item.fail("weight", "must be greater than 0")
        variants.append(Variant(name, weight, item.text("description", default="")))
    bounds = variant_boundaries([v.weight for v in variants])
    lower = 0
    for index, upper in enumerate(bounds):
        if upper <= lower:
            spec.fail(
                f"variants[{index}].weight",
                f"gives variant {variants[index].name!r} no bucket out of {BUCKETS}",
            )
        lower = upper
    return tuple(variants)


def _targeting(spec: SpecReader) -> Targeting:
    if not spec.has("targeting"):
        return Targeting()
    rules_spec = spec.child("targeting")
    rules: dict[str, frozenset[str]] = {}
    for attribute, allowed in rules_spec.data.items():
        if not isinstance(attribute, str) or not _ATTRIBUTE_PATTERN.match(attribute):
            rules_spec.fail(str(attribute), "attribute names are lower-case identifiers")
        values = allowed if isinstance(allowed, list) else [allowed]
        if not values:
            rules_spec.fail(attribute, "must list at least one allowed value")
        for value in values:
            if isinstance(value, bool) or not isinstance(value, str | int):
                rules_spec.fail(attribute, f"values must be strings, got {value!r}")
        rules[attribute] = frozenset(str(v) for v in values)
    return Targeting(rules)


def _metric_refs(spec: SpecReader, catalog: MetricCatalog) -> tuple[MetricRef, ...]:
    spec.only("primary", "secondary", "guardrails")
    refs: list[MetricRef] = []
    seen: set[str] = set()
    groups = (
        ("primary", MetricRole.PRIMARY),
        ("secondary", MetricRole.SECONDARY),
        ("guardrails", MetricRole.GUARDRAIL),
    )
    for key, role in groups:
        raw = spec.data.get(key)
        if raw is None:
            if role is MetricRole.PRIMARY:
                spec.fail(key, "is required: name at least one primary metric")
            continue
        entries = raw if isinstance(raw, list) else [raw]
        if not entries and role is MetricRole.PRIMARY:
            spec.fail(key, "must name at least one metric")
        for index, entry in enumerate(entries):
            where = spec.field(f"{key}[{index}]")
            ref = _metric_ref(SpecReader(spec.file, where, _as_mapping(entry)), role, catalog)
            if ref.name in seen:
                SpecReader(spec.file, where, {}).fail(None, f"metric {ref.name!r} is used twice")
            seen.add(ref.name)
            refs.append(ref)
    return tuple(refs)


def _as_mapping(entry: object) -> object:
    return {"name": entry} if isinstance(entry, str) else entry


def _metric_ref(spec: SpecReader, role: MetricRole, catalog: MetricCatalog) -> MetricRef:
    guardrail = role is MetricRole.GUARDRAIL
    spec.only("name", "direction", *(("margin", "margin_kind") if guardrail else ()))
    name = spec.name("name")
    if name not in catalog:
        spec.fail("name", f"metric {name!r} is not in the catalogue {catalog.path}")
    direction: Direction = spec.choice("direction", Direction, default=catalog.get(name).direction)
    if not guardrail:
        return MetricRef(name, role, direction)
    margin = spec.number("margin", low=0, high=math.inf)
    if margin <= 0:
        spec.fail("margin", "a guardrail's non-inferiority margin must be greater than 0")
    kind: MarginKind = spec.choice("margin_kind", MarginKind, default=MarginKind.RELATIVE)
    return MetricRef(name, role, direction, margin, kind)


def _cuped(spec: SpecReader, catalog: MetricCatalog) -> Cuped | None:
    if not spec.has("cuped") or spec.data["cuped"] is False:
        return None
    cuped = spec.child("cuped")
    cuped.only("covariates", "pre_period_days")
    covariates = cuped.required("covariates", list)
    if not covariates:
        cuped.fail("covariates", "must name at least one catalogue metric")
    for index, name in enumerate(covariates):
        if not isinstance(name, str) or name not in catalog:
            cuped.fail(f"covariates[{index}]", f"{name!r} is not a catalogue metric")
    days = cuped.integer("pre_period_days", low=1, high=365)
    return Cuped(tuple(covariates), days)


def _alpha(spec: SpecReader) -> float:
    alpha = spec.number("alpha", low=0, high=0.5, default=0.05)
    if not 0 < alpha < 0.5:
        spec.fail("alpha", f"must be between 0 and 0.5, exclusive (got {alpha})")
    return alpha


def _layer_slice(spec: SpecReader, layer: str | None) -> tuple[int, int] | None:
    if not spec.has("layer_slice"):
        return None
    if layer is None:
        spec.fail("layer_slice", "needs a layer")
    raw = spec.required("layer_slice", list)
    valid = (
        len(raw) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in raw)
        and 0 <= raw[0] < raw[1] <= BUCKETS
    )
    if not valid:
        spec.fail("layer_slice", f"must be [start, end] with 0 <= start < end <= {BUCKETS}")
    return int(raw[0]), int(raw[1])


def _check_layer_slices(experiments: Iterable[Experiment]) -> list[RastupError]:
    errors: list[RastupError] = []
    by_layer: dict[str, list[Experiment]] = {}
    for experiment in experiments:
        if experiment.layer_slice is not None and experiment.layer is not None:
            by_layer.setdefault(experiment.layer, []).append(experiment)
    for members in by_layer.values():
        ordered = sorted(members, key=lambda e: e.layer_slice or (0, 0))
        for left, right in itertools.pairwise(ordered):
            assert left.layer_slice is not None
            assert right.layer_slice is not None
            if right.layer_slice[0] < left.layer_slice[1]:
                errors.append(
                    RastupError(
                        ErrorCode.EXPERIMENT_INVALID,
                        f"{right.path}: field layer_slice: overlaps {left.key} "
                        f"({left.path.name}) in layer {right.layer}; slices of one layer must "
                        "not overlap so its experiments stay mutually exclusive.",
                    )
                )
    return errors


def _timestamp(spec: SpecReader, key: str) -> datetime:
    raw = spec.data.get(key)
    if raw is None:
        spec.fail(key, "is required (a date like 2026-01-01 or an RFC 3339 timestamp)")
    if isinstance(raw, datetime):
        value = raw
    elif isinstance(raw, date):
        value = datetime.combine(raw, time(0), tzinfo=UTC)
    elif isinstance(raw, str):
        try:
            if len(raw) == 10:  # a plain date: midnight UTC
                value = datetime.combine(date.fromisoformat(raw), time(0), tzinfo=UTC)
            else:
                value = datetime.fromisoformat(raw)
        except ValueError:
            spec.fail(key, f"{raw!r} is not a date or an RFC 3339 timestamp")
    else:
        spec.fail(key, f"must be a date or timestamp, got {raw!r}")
    if value.tzinfo is None:
        spec.fail(key, "a timestamp needs a time zone (end it with Z for UTC)")
    return value.astimezone(UTC)


def _exact(
    spec: SpecReader, key: str, *, low: int, high: int, default: int | None = None
) -> Fraction:
    """A number read exactly (decimal text, not binary float)."""
    value = spec.number(key, low=low, high=high, default=None if default is None else default)
    raw = spec.data.get(key)
    return Fraction(str(raw)) if raw is not None else Fraction(value)
