"""The unit table of one experiment, built from the published warehouse.

One row per resolved unit exposed to the experiment (``silver.dim_exposure``); crossover
units (exposed to more than one variant) are excluded and counted. Each metric of the
definition is computed per unit from its catalogue source over
``[first exposure, first exposure + window_days)``; CUPED covariates over the definition's
pre-period before the experiment start. See ``docs/experiments-lake.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

import duckdb
import pyarrow as pa

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.experiments.catalog import Metric, MetricCatalog, MetricKind, MetricSource
from rastup_data.experiments.definitions import Experiment, MetricRole

if TYPE_CHECKING:
    from rastup_data.experiments.stats import MetricSpec

__all__ = [
    "CROSSOVER_FLAG_SHARE",
    "LakeReader",
    "LakeUnitTable",
    "QualityFlag",
    "build_unit_table",
    "invalid_experiment",
]


class LakeReader(Protocol):
    """What the unit table reads through: the query gate's ``GatedConnection`` (or, in
    tests, a DuckDB connection over the published build)."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Any: ...

    def sql(self, sql: str, params: Any = ...) -> Any: ...


#: A crossover share of exposed units above this raises the CROSSOVER_UNITS quality flag.
CROSSOVER_FLAG_SHARE = 0.01

#: Columns of the unit table besides the metric and covariate columns.
_BASE_COLUMNS = ("unit_id", "variant", "first_exposed_at")
#: The catalogue's default unit column: the resolved person, derived when a fact lacks it.
_PERSON = "person_id"


class QualityFlag:
    """Data-quality flags the lake reader adds; any of them blocks a ship recommendation."""

    CROSSOVER_UNITS = "CROSSOVER_UNITS"
    UNKNOWN_VARIANT = "UNKNOWN_VARIANT"
    EXPOSED_OUTSIDE_RUN = "EXPOSED_OUTSIDE_RUN"


@dataclass(frozen=True, slots=True)
class LakeUnitTable:
    """The per-unit table of one experiment and how it was built.

    ``table`` columns: unit_id, variant, first_exposed_at, then per metric its value
    (``<metric>``, or ``<metric>__num`` and ``<metric>__den`` for a ratio), then the CUPED
    covariates (``<covariate>__pre``, or ``__pre_num``/``__pre_den`` for a ratio metric).
    """

    experiment: Experiment
    table: pa.Table
    specs: tuple[MetricSpec, ...]
    exposed_units: int
    crossover_units: int
    unknown_variant_units: int
    outside_run_units: int
    incomplete_window_units: int
    analysis_start: datetime | None
    pre_period: tuple[datetime, datetime] | None
    as_of: datetime | None
    sources: Mapping[str, str] = field(default_factory=dict)

    @property
    def units(self) -> int:
        return int(self.table.num_rows)

    @property
    def quality_flags(self) -> tuple[str, ...]:
        flags: list[str] = []
        if self.exposed_units and self.crossover_units / self.exposed_units > CROSSOVER_FLAG_SHARE:
            flags.append(QualityFlag.CROSSOVER_UNITS)
        if self.unknown_variant_units:
            flags.append(QualityFlag.UNKNOWN_VARIANT)
        if self.outside_run_units:
            flags.append(QualityFlag.EXPOSED_OUTSIDE_RUN)
        return tuple(flags)

    def meta(self) -> dict[str, Any]:
        """What the result's ``meta`` gains: counts, periods and sources of the unit table."""
        return {
            "experiment": self.experiment.key,
            "exposed_units": self.exposed_units,
            "crossover_units": self.crossover_units,
            "unknown_variant_units": self.unknown_variant_units,
            "outside_run_units": self.outside_run_units,
            "incomplete_window_units": self.incomplete_window_units,
            "analysis_start": _iso(self.analysis_start),
            "pre_period": None
            if self.pre_period is None
            else {"start": _iso(self.pre_period[0]), "end": _iso(self.pre_period[1])},
            "as_of": _iso(self.as_of),
            "sources": dict(self.sources),
        }


def invalid_experiment(message: str) -> RastupError:
    """An EXPERIMENT_INVALID error saying ``message``."""
    return RastupError(ErrorCode.EXPERIMENT_INVALID, message)


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _sql_time(value: datetime) -> str:
    return f"TIMESTAMPTZ '{value.astimezone(UTC).isoformat()}'"


@dataclass(frozen=True, slots=True)
class _Column:
    """One per-unit column of the unit table computed from a catalogue source."""

    name: str
    metric: str
    source: MetricSource
    pre_period: bool


def build_unit_table(
    conn: LakeReader, experiment: Experiment, catalog: MetricCatalog
) -> LakeUnitTable:
    """Build the unit table on a connection where ``silver.*`` resolves (read-only is fine).

    Day windows are UTC days: the gate's sessions run in UTC, and a raw DuckDB
    connection is switched to UTC.
    """
    if isinstance(conn, duckdb.DuckDBPyConnection):
        conn.execute("SET TimeZone = 'UTC'")
    _require_table(conn, "silver.dim_exposure", "the published build has no silver.dim_exposure")
    counts = _exposure_counts(conn, experiment)
    as_of = _newest_event(conn)
    start = _analysis_start(experiment, counts["earliest"])
    pre_period = None
    if experiment.cuped is not None and start is not None:
        pre_period = (start - timedelta(days=experiment.cuped.pre_period_days), start)
    columns, specs = _plan(experiment, catalog)
    facts: dict[str, tuple[str, set[str]]] = {}
    for column in columns:
        if column.source.fact not in facts:
            facts[column.source.fact] = _resolve_fact(conn, column.source.fact)
    sources = {
        c.name: _source_sql(c, facts[c.source.fact], catalog.get(c.metric), pre_period)
        for c in columns
    }
    sql = _unit_table_sql(experiment, columns, sources)
    arrow = conn.sql(sql, params=[experiment.key]).to_arrow_table()
    assert isinstance(arrow, pa.Table)
    longest = max((catalog.get(m.name).window_days for m in experiment.metrics), default=0)
    incomplete = 0
    if as_of is not None and arrow.num_rows:
        incomplete = _incomplete_windows(arrow, as_of, longest)
    return LakeUnitTable(
        experiment=experiment,
        table=arrow,
        specs=tuple(specs),
        exposed_units=counts["exposed"],
        crossover_units=counts["crossover"],
        unknown_variant_units=counts["unknown_variant"],
        outside_run_units=counts["outside_run"],
        incomplete_window_units=incomplete,
        analysis_start=start,
        pre_period=pre_period,
        as_of=as_of,
        sources={c.name: facts[c.source.fact][0] for c in columns},
    )


def _require_table(conn: LakeReader, name: str, what: str) -> None:
    try:
        conn.execute(f"SELECT 1 FROM {name} LIMIT 0").fetchall()
    except duckdb.Error as exc:
        raise invalid_experiment(f"{what}; rebuild with `rastup-data build`.") from exc


def _variant_list(experiment: Experiment) -> str:
    return ", ".join("'" + v.name.replace("'", "''") + "'" for v in experiment.variants)


def _run_condition(experiment: Experiment, column: str) -> str:
    outside = f"{column} < {_sql_time(experiment.start)}"
    if experiment.end is not None:
        outside += f" OR {column} >= {_sql_time(experiment.end)}"
    return outside


def _exposure_counts(conn: LakeReader, experiment: Experiment) -> dict[str, Any]:
    known = _variant_list(experiment)
    outside = _run_condition(experiment, "first_exposed_at")
    rows = conn.execute(
        "SELECT count(*), count(*) FILTER (WHERE is_crossover), "
        f"count(*) FILTER (WHERE NOT is_crossover AND first_variant NOT IN ({known})), "
        f"count(*) FILTER (WHERE NOT is_crossover AND ({outside})), "
        "min(first_exposed_at) "
        "FROM silver.dim_exposure WHERE exp_key = ?",
        [experiment.key],
    ).fetchall()
    row = rows[0]
    return {
        "exposed": int(row[0]),
        "crossover": int(row[1]),
        "unknown_variant": int(row[2]),
        "outside_run": int(row[3]),
        "earliest": row[4],
    }


def _newest_event(conn: LakeReader) -> datetime | None:
    try:
        rows = conn.execute("SELECT max(occurred_at) FROM silver.events_deduped").fetchall()
    except (duckdb.Error, RastupError):
        return None
    value = rows[0][0] if rows else None
    return value if isinstance(value, datetime) else None


def _analysis_start(experiment: Experiment, earliest: object) -> datetime | None:
    """The definition's start, or the UTC day of the first exposure when that is later.

    Definitions may carry a start long before traffic reached the lake; the pre-period must
    then end where the experiment really began, not months earlier.
    """
    if not isinstance(earliest, datetime):
        return None
    first_day = earliest.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(experiment.start, first_day)


def _plan(experiment: Experiment, catalog: MetricCatalog) -> tuple[list[_Column], list[MetricSpec]]:
    from rastup_data.experiments.stats import MetricKind as StatKind
    from rastup_data.experiments.stats import MetricSpec

    columns: list[_Column] = []
    covariates: list[str] = []
    for name in experiment.cuped.covariates if experiment.cuped is not None else ():
        for suffix, source in _parts(catalog.get(name)):
            column = f"{name}__pre" + suffix.replace("__", "_")
            columns.append(_Column(column, name, source, pre_period=True))
            covariates.append(column)
    specs: list[MetricSpec] = []
    for ref in experiment.metrics:
        metric = catalog.get(ref.name)
        if ref.name in _BASE_COLUMNS:
            raise invalid_experiment(
                f"metric name {ref.name!r} clashes with a unit-table column; rename it."
            )
        common: dict[str, Any] = {
            "role": ref.role.value,
            "direction": ref.direction.value,
        }
        if ref.role is MetricRole.GUARDRAIL and ref.margin is not None:
            common |= {"margin": ref.margin, "margin_kind": ref.margin_kind.value}
        parts = _parts(metric)
        for suffix, source in parts:
            columns.append(_Column(ref.name + suffix, ref.name, source, pre_period=False))
        if metric.kind is MetricKind.RATIO:
            num, den = (ref.name + suffix for suffix, _ in parts)
            specs.append(MetricSpec(ref.name, num, StatKind.RATIO, den, **common))
        else:
            kind = StatKind.PROPORTION if metric.kind is MetricKind.PROPORTION else StatKind.MEAN
            specs.append(
                MetricSpec(ref.name, ref.name, kind, covariates=tuple(covariates), **common)
            )
    return columns, specs


def _parts(metric: Metric) -> list[tuple[str, MetricSource]]:
    """Column-name suffixes and sources of a metric: one value, or a ratio's two sums."""
    if metric.source is not None:
        return [("", metric.source)]
    assert metric.numerator is not None
    assert metric.denominator is not None
    return [("__num", metric.numerator), ("__den", metric.denominator)]


def _qualified(fact: str) -> str:
    return fact if "." in fact else f"silver.{fact}"


def _resolve_fact(conn: LakeReader, fact: str) -> tuple[str, set[str]]:
    name = _qualified(fact)
    schema, table = name.split(".", 1)
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ?",
        [schema, table],
    ).fetchall()
    if not rows:
        raise invalid_experiment(
            f"the metrics catalogue names the fact {fact!r}, but the published build has no "
            f"{name}: fix the source in metrics/catalog.yaml (see docs/models.md)."
        )
    return name, {str(r[0]) for r in rows}


def _source_sql(
    column: _Column,
    fact: tuple[str, set[str]],
    metric: Metric,
    pre_period: tuple[datetime, datetime] | None,
) -> str:
    """SQL of ``(__unit_id, __value)`` rows: the source's aggregate per unit in its window."""
    name, available = fact
    source = column.source
    where = f"metric {metric.name!r} in metrics/catalog.yaml"
    derive_person = source.unit_column == _PERSON and _PERSON not in available
    if derive_person and not {"user_id", "anon_id"} <= available:
        raise invalid_experiment(
            f"{where}: {name} has no {_PERSON}, user_id or anon_id column to find the unit; "
            "set unit_column to one of its columns."
        )
    for role, col in (
        ("unit_column", source.unit_column),
        ("timestamp_column", source.timestamp_column),
    ):
        if col not in available and not (col == _PERSON and derive_person):
            raise invalid_experiment(
                f"{where}: {role} {col!r} is not a column of {name}; its columns are "
                f"{', '.join(sorted(available))}."
            )
    if derive_person:
        # The resolved person of EVENTS.md: user_id, else the linked user, else the anon_id.
        rows = (
            f"(SELECT f.*, coalesce(f.user_id, i.user_id, f.anon_id) AS {_PERSON} "
            f"FROM {name} AS f LEFT JOIN silver.dim_identity AS i "
            "ON i.anon_id = f.anon_id)"
        )
    else:
        rows = name
    ts = f"f.{source.timestamp_column}"
    if column.pre_period and pre_period is None:
        window = "FALSE"  # no exposures yet, so no pre-period either
    elif column.pre_period:
        assert pre_period is not None
        window = f"{ts} >= {_sql_time(pre_period[0])} AND {ts} < {_sql_time(pre_period[1])}"
    else:
        window = (
            f"{ts} >= u.__first_exposed_at AND "
            f"{ts} < u.__first_exposed_at + INTERVAL {metric.window_days} DAY"
        )
    condition = f" AND ({source.filter})" if source.filter else ""
    return (
        f"SELECT u.__unit_id, ({source.value}) AS __value "
        f"FROM units AS u JOIN {rows} AS f ON f.{source.unit_column} = u.__unit_id "
        f"WHERE {window}{condition} GROUP BY u.__unit_id"
    )


def _unit_table_sql(
    experiment: Experiment, columns: Sequence[_Column], sources: Mapping[str, str]
) -> str:
    known = _variant_list(experiment)
    ctes = [
        "units AS (SELECT resolved_unit_id AS __unit_id, first_variant AS __variant, "
        "first_exposed_at AS __first_exposed_at FROM silver.dim_exposure "
        f"WHERE exp_key = ? AND NOT is_crossover AND first_variant IN ({known}))"
    ]
    selects = [
        "u.__unit_id AS unit_id",
        "u.__variant AS variant",
        "u.__first_exposed_at AS first_exposed_at",
    ]
    joins = []
    for index, column in enumerate(columns):
        alias = f"c{index}"
        ctes.append(f"{alias} AS ({sources[column.name]})")
        selects.append(f'coalesce(CAST({alias}.__value AS DOUBLE), 0) AS "{column.name}"')
        joins.append(f"LEFT JOIN {alias} ON {alias}.__unit_id = u.__unit_id")
    return (
        "WITH "
        + ", ".join(ctes)
        + " SELECT "
        + ", ".join(selects)
        + " FROM units AS u "
        + " ".join(joins)
        + " ORDER BY unit_id"
    )


def _incomplete_windows(table: pa.Table, as_of: datetime, window_days: int) -> int:
    import pyarrow.compute as pc

    cutoff = pa.scalar(
        as_of - timedelta(days=window_days), table.schema.field("first_exposed_at").type
    )
    return int(pc.sum(pc.greater(table.column("first_exposed_at"), cutoff)).as_py() or 0)
