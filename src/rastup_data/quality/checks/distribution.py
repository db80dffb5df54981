"""Distribution checks: every value of some columns lies within [min, max]."""

from __future__ import annotations

import duckdb

from rastup_data.quality._sql import quote_ident, require_columns
from rastup_data.quality.checks._outcome import failed, passed
from rastup_data.quality.checks._params import (
    bad_param,
    filtered_source,
    optional_number_param,
    str_tuple_param,
    validate_where,
)
from rastup_data.quality.checks._violations import find_violations
from rastup_data.quality.model import CheckContext, CheckKind, CheckResult, CheckSpec

__all__ = ["DistributionCheck"]


class DistributionCheck:
    """Params: ``columns``, ``min`` and/or ``max`` (inclusive), ``allow_null`` (default true),
    ``where`` (optional row filter)."""

    kind = CheckKind.DISTRIBUTION

    def validate(self, spec: CheckSpec) -> None:
        str_tuple_param(spec, "columns")
        validate_where(spec)
        low = optional_number_param(spec, "min")
        high = optional_number_param(spec, "max")
        if low is None and high is None:
            raise bad_param(spec, "min/max", "at least one bound", None)
        if low is not None and high is not None and low > high:
            raise bad_param(spec, "min", f"<= max ({high:g})", low)
        if not isinstance(spec.params.get("allow_null", True), bool):
            raise bad_param(spec, "allow_null", "true or false", spec.params["allow_null"])

    def run(
        self, conn: duckdb.DuckDBPyConnection, spec: CheckSpec, context: CheckContext
    ) -> CheckResult:
        columns = str_tuple_param(spec, "columns")
        low = optional_number_param(spec, "min")
        high = optional_number_param(spec, "max")
        allow_null = bool(spec.params.get("allow_null", True))
        require_columns(conn, spec.table, columns)
        bounds = _bounds_text(low, high)

        conditions = {
            col: _violation(quote_ident(col), low, high, allow_null=allow_null) for col in columns
        }
        found = find_violations(
            conn, filtered_source(spec), conditions, sample_limit=context.sample_limit
        )
        if not found.rows:
            return passed(
                spec,
                f"{', '.join(columns)} within {bounds} in every row of {spec.table}",
                observed=0,
                threshold=bounds,
            )
        null_note = "" if allow_null else " or NULL"
        return failed(
            spec,
            f"{found.rows} row(s) of {spec.table} outside {bounds}{null_note} ({found.detail})",
            observed=found.rows,
            threshold=bounds,
            sample_rows=found.samples,
        )


def _violation(column: str, low: float | None, high: float | None, *, allow_null: bool) -> str:
    parts = []
    if low is not None:
        parts.append(f"{column} < {low!r}")
    if high is not None:
        # NaN sorts above every number in DuckDB, so it fails an upper bound too.
        parts.append(f"{column} > {high!r}")
    if low is not None and high is None:
        parts.append(f"isnan(CAST({column} AS DOUBLE))")
    if not allow_null:
        parts.append(f"{column} IS NULL")
    return " OR ".join(parts)


def _bounds_text(low: float | None, high: float | None) -> str:
    lo = "-inf" if low is None else f"{low:g}"
    hi = "+inf" if high is None else f"{high:g}"
    return f"[{lo}, {hi}]"
