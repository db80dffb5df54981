"""Freshness checks: how far the latest event time lags behind ``as_of``."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb

from rastup_data.quality._sql import (
    ColumnMissing,
    fetch_dicts,
    probe_columns,
    quote_ident,
    quote_table,
)
from rastup_data.quality.checks._outcome import failed, passed
from rastup_data.quality.checks._params import bad_param, number_param, str_tuple_param
from rastup_data.quality.model import (
    CheckContext,
    CheckKind,
    CheckResult,
    CheckSeverity,
    CheckSpec,
)

__all__ = ["FreshnessCheck"]

_DEFAULT_TIME_COLUMNS = ("occurred_at", "dt")


class FreshnessCheck:
    """Params: ``time_columns`` (first one present is used; default occurred_at, dt),
    ``warn_after_hours`` (6) and ``error_after_hours`` (36).

    A DATE column counts as the end of its latest day, so date-only tables never look
    staler than they are.
    """

    kind = CheckKind.FRESHNESS

    def validate(self, spec: CheckSpec) -> None:
        str_tuple_param(spec, "time_columns", _DEFAULT_TIME_COLUMNS)
        warn = number_param(spec, "warn_after_hours", 6)
        error = number_param(spec, "error_after_hours", 36)
        if warn > error:
            raise bad_param(spec, "warn_after_hours", f"<= error_after_hours ({error:g})", warn)

    def run(
        self, conn: duckdb.DuckDBPyConnection, spec: CheckSpec, context: CheckContext
    ) -> CheckResult:
        candidates = str_tuple_param(spec, "time_columns", _DEFAULT_TIME_COLUMNS)
        warn_hours = number_param(spec, "warn_after_hours", 6)
        error_hours = number_param(spec, "error_after_hours", 36)
        available = probe_columns(conn, spec.table)
        column = next((col for col in candidates if col in available), None)
        if column is None:
            raise ColumnMissing(
                f"none of the time columns {', '.join(candidates)} exists in {spec.table}"
            )
        col_type = available[column].upper()
        quoted = quote_ident(column)
        if col_type == "DATE":
            latest_expr = f"epoch_ms(max({quoted}) + INTERVAL 1 DAY)"
        elif col_type.startswith("TIMESTAMP"):
            latest_expr = f"epoch_ms(max({quoted}))"
        else:
            latest_expr = f"epoch_ms(max(CAST({quoted} AS TIMESTAMP)))"
        row = fetch_dicts(conn, f"SELECT {latest_expr} AS latest_ms FROM {quote_table(spec.table)}")
        threshold = f"lag > {warn_hours:g}h warn, > {error_hours:g}h error"
        as_of = context.as_of
        latest_ms = row[0]["latest_ms"]
        if latest_ms is None:
            return failed(
                spec,
                f"{spec.table} has no {column} values: no events to be fresh",
                severity=CheckSeverity.ERROR,
                threshold=threshold,
                sample_rows=({"column": column, "latest": None, "as_of": as_of.isoformat()},),
            )
        latest = datetime.fromtimestamp(int(latest_ms) / 1000, tz=UTC)
        lag_hours = round((as_of - latest).total_seconds() / 3600, 3)
        evidence = (
            {
                "column": column,
                "latest": latest.isoformat(),
                "as_of": as_of.isoformat(),
                "lag_hours": lag_hours,
            },
        )
        summary = (
            f"latest {column} in {spec.table} is {latest.isoformat()}, "
            f"{lag_hours:g}h before {as_of.isoformat()}"
        )
        if lag_hours > error_hours:
            level: CheckSeverity | None = CheckSeverity.ERROR
        elif lag_hours > warn_hours:
            level = CheckSeverity.WARN
        else:
            level = None
        if level is None:
            return passed(
                spec, summary, observed=lag_hours, threshold=threshold, sample_rows=evidence
            )
        return failed(
            spec,
            f"stale data: {summary}",
            severity=level,
            observed=lag_hours,
            threshold=threshold,
            sample_rows=evidence,
        )
