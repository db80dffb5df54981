"""Analyse an experiment from a unit table: one row per unit, a variant column, metric columns.

``analyze_units`` is the entry point for bring-your-own-data (CLI ``--units``) and for the
lake reader, which loads the unit table of an experiment and calls it the same way.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.experiments.stats import (
    AnalysisOptions,
    ExperimentCodes,
    ExperimentResult,
    MetricKind,
    MetricResult,
    MetricRole,
    MetricSpec,
    ResultCode,
    analyze_metric,
    assemble_experiment,
    group_moments,
    parse_guardrail,
)

__all__ = ["AnalysisPlan", "UnitTable", "analyze_units"]

#: A pyarrow Table, or a mapping of column name to a numpy array (or sequence) of equal length.
UnitTable: TypeAlias = "pa.Table | Mapping[str, Any]"
FloatArray = NDArray[np.float64]


def _invalid(message: str) -> RastupError:
    return RastupError(ErrorCode.EXPERIMENT_INVALID, message)


class _Columns:
    """Numeric columns of the unit table as float64 arrays (NaN for nulls), read once each."""

    def __init__(self, table: UnitTable) -> None:
        self._table = table
        self._cache: dict[str, FloatArray] = {}
        if isinstance(table, pa.Table):
            self.names = list(table.column_names)
            self.length = table.num_rows
        else:
            self.names = list(table)
            lengths = {len(np.asarray(v)) for v in table.values()}
            if len(lengths) > 1:
                raise _invalid("all columns of the unit table must have the same length.")
            self.length = lengths.pop() if lengths else 0

    def require(self, name: str, what: str) -> None:
        if name not in self.names:
            raise _invalid(
                f"the unit table has no {what} column {name!r}; "
                f"its columns are: {', '.join(self.names) or '(none)'}."
            )

    def numeric(self, name: str, what: str) -> FloatArray:
        if name in self._cache:
            return self._cache[name]
        self.require(name, what)
        if isinstance(self._table, pa.Table):
            column = self._table.column(name)
            kind = column.type
            if not (
                pa.types.is_integer(kind)
                or pa.types.is_floating(kind)
                or pa.types.is_boolean(kind)
                or pa.types.is_decimal(kind)
                or pa.types.is_null(kind)
            ):
                raise _invalid(f"{what} column {name!r} must be numeric, not {kind}.")
            values = np.asarray(pc.cast(column, pa.float64()).to_numpy(), dtype=np.float64)
        else:
            raw = np.asarray(self._table[name])
            if raw.dtype.kind not in "biuf":
                raise _invalid(f"{what} column {name!r} must be numeric, not {raw.dtype}.")
            values = raw.astype(np.float64, copy=False)
        values = (
            np.where(np.isfinite(values), values, np.nan)
            if not np.all(np.isfinite(values))
            else values
        )
        self._cache[name] = values
        return values

    def labels(self, name: str) -> tuple[list[str], NDArray[np.intp]]:
        """Distinct labels of a column (as strings) and each unit's index into them."""
        self.require(name, "variant")
        if isinstance(self._table, pa.Table):
            column = self._table.column(name)
            if column.null_count:
                raise _invalid(
                    f"{column.null_count} unit(s) have no value in {name!r}; "
                    "every unit needs a variant."
                )
            if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
                column = pc.cast(column, pa.string())
            encoded = column.combine_chunks().dictionary_encode()
            names = [str(v) for v in encoded.dictionary.to_pylist()]
            codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.intp)
            return names, codes
        raw = np.asarray(self._table[name]).astype(str)
        uniques, inverse = np.unique(raw, return_inverse=True)
        return [str(u) for u in uniques], np.asarray(inverse, dtype=np.intp)

    def keys(self, name: str) -> NDArray[Any]:
        self.require(name, "unit id")
        if isinstance(self._table, pa.Table):
            return np.asarray(self._table.column(name).to_numpy())
        return np.asarray(self._table[name])


def _positive(value: object) -> bool:
    if isinstance(value, bool | str):
        return False
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return math.isfinite(number) and number > 0


def _variant_order(
    observed: Sequence[str], control: str, weights: Mapping[str, float] | None
) -> list[str]:
    if weights is not None:
        bad = [f"{k}={w}" for k, w in weights.items() if not _positive(w)]
        if bad:
            raise _invalid(f"weights must be positive numbers: {', '.join(bad)}.")
        missing = sorted(set(observed) - set(weights))
        if missing:
            raise _invalid(
                f"the data has variant(s) {', '.join(missing)} that the weights do "
                "not list; give a weight for every variant."
            )
        configured = list(weights)
    else:
        configured = sorted(observed)
    if control not in configured:
        raise _invalid(
            f"unknown control {control!r}; the variants are: {', '.join(configured) or '(none)'}."
        )
    if len(configured) < 2:
        raise _invalid(f"an experiment needs at least two variants; found only {control!r}.")
    return [control] + [v for v in configured if v != control]


def _specs(
    metrics: Sequence[str | MetricSpec],
    guardrails: Sequence[str | MetricSpec],
    covariates: Mapping[str, str | Sequence[str]] | None,
) -> list[MetricSpec]:
    specs = [MetricSpec.of(m) for m in metrics]
    specs += [parse_guardrail(g) if isinstance(g, str) else g for g in guardrails]
    if not specs:
        raise _invalid("give at least one metric to analyse.")
    names = [s.name for s in specs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise _invalid(f"metric name(s) given twice: {', '.join(dupes)}.")
    for metric, cols in (covariates or {}).items():
        if metric not in names:
            raise _invalid(
                f"covariate given for unknown metric {metric!r}; "
                f"the metrics are: {', '.join(names)}."
            )
        extra = (cols,) if isinstance(cols, str) else tuple(cols)
        i = names.index(metric)
        specs[i] = replace(specs[i], covariates=specs[i].covariates + extra)
    return specs


def _resolve_kind(spec: MetricSpec, values: FloatArray) -> MetricKind:
    if spec.kind is MetricKind.RATIO or spec.kind is MetricKind.MEAN:
        return spec.kind
    finite = values[~np.isnan(values)]
    binary = bool(np.all((finite == 0.0) | (finite == 1.0)))
    if spec.kind is MetricKind.PROPORTION and not binary:
        raise _invalid(
            f"proportion metric {spec.name!r} has values other than 0 and 1; "
            "use a mean metric or fix the column."
        )
    return MetricKind.PROPORTION if binary and finite.size else MetricKind.MEAN


@dataclass(frozen=True, slots=True)
class AnalysisPlan:
    """What else the analysis needs to know about the unit table.

    ``guardrails``: ``COL>=-1%``-style strings or specs; ``covariates``: a metric name to its
    CUPED pre-period column(s); ``weights``: the configured traffic weights (equal over the
    observed variants when None); ``variant_column`` and ``unit_column`` (duplicate units
    are flagged); ``quality_flags``: data-quality problems known beforehand.
    """

    guardrails: Sequence[str | MetricSpec] = ()
    covariates: Mapping[str, str | Sequence[str]] | None = None
    weights: Mapping[str, float] | None = None
    variant_column: str = "variant"
    unit_column: str | None = None
    quality_flags: Sequence[str] = ()


_PLAN = AnalysisPlan()
_OPTIONS = AnalysisOptions()


def analyze_units(
    table: UnitTable,
    control: str,
    metrics: Sequence[str | MetricSpec],
    *,
    plan: AnalysisPlan = _PLAN,
    options: AnalysisOptions = _OPTIONS,
) -> ExperimentResult:
    """Analyse every metric of a unit table against ``control``.

    ``metrics`` are column names, ``NAME=NUM/DEN`` ratios or ``MetricSpec``s (primary unless
    their role says otherwise). Degenerate data gives result codes; invalid input raises
    EXPERIMENT_INVALID.
    """
    options.check()
    columns = _Columns(table)
    specs = _specs(metrics, plan.guardrails, plan.covariates)
    labels, raw_codes = columns.labels(plan.variant_column)
    order = _variant_order(labels, control, plan.weights)
    position = {name: i for i, name in enumerate(order)}
    remap = np.array([position[name] for name in labels], dtype=np.intp)
    codes = remap[raw_codes] if raw_codes.size else raw_codes
    counts = np.bincount(codes, minlength=len(order))
    rows: list[MetricResult] = []
    for spec in specs:
        rows += _analyze_spec(columns, spec, codes, order, options)
    result = assemble_experiment(
        rows,
        {name: int(counts[i]) for i, name in enumerate(order)},
        control,
        options=options,
        weights=plan.weights,
        codes=ExperimentCodes(plan.quality_flags, _duplicate_units(columns, plan.unit_column)),
    )
    return replace(result, meta={"units": int(columns.length), "metrics": len(specs)})


def _duplicate_units(columns: _Columns, unit_column: str | None) -> list[str]:
    if unit_column is not None:
        keys = columns.keys(unit_column)
        if np.unique(keys).size < keys.size:
            return [ResultCode.DUPLICATE_UNITS.value]
    return []


def _analyze_spec(
    columns: _Columns,
    spec: MetricSpec,
    codes: NDArray[np.intp],
    order: list[str],
    options: AnalysisOptions,
) -> list[MetricResult]:
    """One metric's rows: its columns read, units with a missing value left out (and
    flagged), moments per variant, then the engine."""
    what = "guardrail" if spec.role is MetricRole.GUARDRAIL else "metric"
    data = [columns.numeric(spec.column, what)]
    if spec.denominator is not None:
        data.append(columns.numeric(spec.denominator, "denominator"))
    kind = _resolve_kind(spec, data[0])
    if kind is not MetricKind.RATIO:
        data += [columns.numeric(c, "covariate") for c in spec.covariates]
    missing = np.zeros(columns.length, dtype=bool)
    for values in data:
        missing |= np.isnan(values)
    extra: dict[str, list[str]] = {}
    metric_codes = codes
    if missing.any():
        keep = ~missing
        data = [values[keep] for values in data]
        metric_codes = codes[keep]
        extra = {name: [ResultCode.MISSING_VALUES.value] for name in order}
    moments = group_moments(metric_codes, len(order), data)
    return analyze_metric(
        spec,
        kind,
        dict(zip(order, moments, strict=True)),
        order[0],
        options=options,
        extra_codes=extra,
    )
