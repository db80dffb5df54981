"""What the quality suite audits, as the dbt project declares it: one list, in schema.yml.

The caller hands in the project as dbt's manifest describes it (the transform package's
``DbtProject``; this package reads no manifest itself, it only needs the shape below):
every relation with its columns, their tags (``financial`` marks money), the dbt tests
already declared on it, and the model's ``meta: {quality: …}`` declarations
(docs/quality.md, "Declaring quality in schema.yml").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from rastup_data.errors import ErrorCode, RastupError

__all__ = [
    "DeclaredModel",
    "DeclaredSource",
    "ModelInfo",
    "ProjectInfo",
    "QualityCatalog",
]

#: Keys allowed under a model's ``meta.quality``.
QUALITY_KEYS = frozenset(
    {"volume", "freshness", "rates", "daily_rates", "key", "signed", "checks", "time_column"}
)
FINANCIAL = "financial"
#: dbt tests that make a key unique, and the ones that make columns not null.
_UNIQUE_TESTS = frozenset({"unique", "primary_key", "unique_combination"})
_NOT_NULL_TESTS = frozenset({"not_null", "not_null_columns", "primary_key"})
_NRT_TAG = "nrt"
_PERIOD_HOURS = {"minute": 1 / 60, "hour": 1.0, "day": 24.0}


class ColumnInfo(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def data_type(self) -> str: ...
    @property
    def tags(self) -> tuple[str, ...]: ...


class TestInfo(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def columns(self) -> tuple[str, ...]: ...
    @property
    def severity(self) -> str: ...


class ModelInfo(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def resource_type(self) -> str: ...
    @property
    def schema(self) -> str: ...
    @property
    def alias(self) -> str: ...
    @property
    def tags(self) -> tuple[str, ...]: ...
    @property
    def columns(self) -> Sequence[ColumnInfo]: ...
    @property
    def tests(self) -> Sequence[TestInfo]: ...
    @property
    def meta(self) -> Mapping[str, Any]: ...
    @property
    def source_freshness(self) -> Mapping[str, Any]: ...


class ProjectInfo(Protocol):
    @property
    def models(self) -> Mapping[str, ModelInfo]: ...


@dataclass(frozen=True, slots=True)
class DeclaredSource:
    """Where a dbt source lives outside the warehouse (Bronze Parquet) and how it is typed."""

    location: str
    relation_sql: str
    column_types: Mapping[str, str]
    freshness_hours: tuple[float | None, float | None] = (None, None)


@dataclass(frozen=True, slots=True)
class DeclaredModel:
    """One relation the suite may audit, with everything the schema.yml says about it."""

    relation: str
    schema: str
    columns: tuple[str, ...]
    column_types: Mapping[str, str]
    financial: tuple[str, ...]
    dbt_tests: tuple[tuple[str, tuple[str, ...]], ...]
    quality: Mapping[str, Any] = field(default_factory=dict)
    source: DeclaredSource | None = None

    def has(self, column: str) -> bool:
        return column in self.columns

    def dbt_makes_unique(self, columns: Sequence[str]) -> bool:
        """True when a dbt test already makes exactly these columns a unique key."""
        wanted = set(columns)
        return any(kind in _UNIQUE_TESTS and set(cols) == wanted for kind, cols in self.dbt_tests)

    def dbt_makes_not_null(self, columns: Sequence[str]) -> bool:
        """True when dbt tests already forbid NULL in every one of these columns."""
        covered = {c for kind, cols in self.dbt_tests if kind in _NOT_NULL_TESTS for c in cols}
        return set(columns) <= covered


@dataclass(frozen=True, slots=True)
class QualityCatalog:
    """Every relation of a built warehouse (and its sources) the suite can audit."""

    models: tuple[DeclaredModel, ...]

    @classmethod
    def from_project(cls, project: ProjectInfo, *, lake: str | None = None) -> QualityCatalog:
        """The catalog of a dbt project; NRT models live in their own snapshot: left out.

        ``lake`` is the lake root a source's relative location is under (the project
        declares a local lake's Bronze relative to it); None leaves such a location as it is.
        """
        declared = [
            _declared(model, lake)
            for model in project.models.values()
            if model.resource_type in {"model", "seed", "source"} and _NRT_TAG not in model.tags
        ]
        return cls(tuple(sorted(declared, key=lambda m: m.relation)))

    def model(self, relation: str) -> DeclaredModel:
        for model in self.models:
            if model.relation == relation:
                return model
        raise KeyError(relation)

    def without_sources(self) -> QualityCatalog:
        """The same catalog without the sources outside the warehouse (no lake to read)."""
        return QualityCatalog(tuple(m for m in self.models if m.source is None))

    @property
    def sources(self) -> tuple[DeclaredModel, ...]:
        return tuple(m for m in self.models if m.source is not None)

    def in_schema(self, schema: str) -> tuple[DeclaredModel, ...]:
        return tuple(m for m in self.models if m.schema == schema)


def _declared(model: ModelInfo, lake: str | None) -> DeclaredModel:
    is_source = model.resource_type == "source"
    relation = f"{model.schema}.{model.name if is_source else model.alias}"
    return DeclaredModel(
        relation=relation,
        schema=model.schema,
        columns=tuple(c.name for c in model.columns),
        column_types={c.name: c.data_type.lower() for c in model.columns if c.data_type},
        financial=tuple(c.name for c in model.columns if FINANCIAL in c.tags),
        dbt_tests=tuple(
            (t.kind, tuple(t.columns)) for t in model.tests if t.severity.lower() == "error"
        ),
        quality=_quality_meta(relation, model.meta),
        source=_source(model, lake) if is_source else None,
    )


def _quality_meta(relation: str, meta: Mapping[str, Any]) -> Mapping[str, Any]:
    quality = meta.get("quality") or {}
    if not isinstance(quality, Mapping):
        raise _bad_meta(relation, "meta.quality must be a mapping")
    unknown = sorted(set(quality) - QUALITY_KEYS)
    if unknown:
        raise _bad_meta(
            relation,
            f"meta.quality has unknown key(s) {', '.join(unknown)} "
            f"(allowed: {', '.join(sorted(QUALITY_KEYS))})",
        )
    return dict(quality)


def _source(model: ModelInfo, lake: str | None) -> DeclaredSource | None:
    meta = model.meta
    template = meta.get("external_location")
    location = meta.get("location")
    if not isinstance(template, str) or not isinstance(location, str):
        return None
    location = _under(lake, location)
    values = {"name": model.name, "identifier": model.alias, "schema": model.schema, **meta}
    values["location"] = location
    return DeclaredSource(
        location=location,
        relation_sql=template.format_map(values),
        column_types={c.name: c.data_type or "VARCHAR" for c in model.columns},
        freshness_hours=(
            _hours(model.source_freshness.get("warn_after")),
            _hours(model.source_freshness.get("error_after")),
        ),
    )


def _under(lake: str | None, location: str) -> str:
    """``location`` under the lake root when it is relative (no root, scheme or ``/``)."""
    if lake is None or location.startswith("/") or "://" in location:
        return location
    return f"{lake.rstrip('/')}/{location}"


def _hours(after: Any) -> float | None:
    """dbt's ``{count: 6, period: hour}`` in hours (None when unset)."""
    if not isinstance(after, Mapping) or after.get("count") is None:
        return None
    return float(after["count"]) * _PERIOD_HOURS.get(str(after.get("period")), 1.0)


def _bad_meta(relation: str, problem: str) -> RastupError:
    return RastupError(
        ErrorCode.CONFIG_INVALID,
        f"{relation}: {problem}. To fix this, correct the model's schema.yml "
        "(docs/quality.md, 'Declaring quality in schema.yml').",
    )


def names(values: Iterable[Any], relation: str, key: str) -> tuple[str, ...]:
    """A list of column names under ``meta.quality.<key>``, validated."""
    listed = tuple(values)
    if not all(isinstance(v, str) and v for v in listed):
        raise _bad_meta(relation, f"meta.quality.{key} must be a list of column names")
    return listed
