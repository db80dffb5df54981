"""Freshness checks: how far the latest event time lags behind ``as_of``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from rastup_data.quality._sql import (
    ColumnMissing,
    fetch_dicts,
    probe_columns,
    quote_ident,
    quote_table,
)
from rastup_data.quality.checks._outcome import failed, passed, skipped
from rastup_data.quality.checks._params import (
    bad_param,
    number_param,
    str_param,
    str_tuple_param,
)
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
    ``warn_after_hours`` (6) and ``error_after_hours`` (36); ``group_by`` (a column: judge
    the newest time of every group, e.g. each event type) with ``min_daily_rows`` (0: the
    groups averaging fewer rows a day over the week before ``as_of`` are too sparse to be
    held to the thresholds).

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
        if spec.params.get("group_by") is not None:
            str_param(spec, "group_by")
        number_param(spec, "min_daily_rows", 0)

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
        latest_expr = _latest_ms(column, available[column])
        threshold = f"lag > {warn_hours:g}h warn, > {error_hours:g}h error"
        if spec.params.get("group_by") is not None:
            bands = _Bands(warn_hours, error_hours, threshold)
            return _run_grouped(conn, spec, context, (column, latest_expr), bands)
        row = fetch_dicts(conn, f"SELECT {latest_expr} AS latest_ms FROM {quote_table(spec.table)}")
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


def _latest_ms(column: str, column_type: str) -> str:
    """SQL for the newest time of ``column`` in epoch ms (a DATE as the end of its day)."""
    quoted = quote_ident(column)
    upper = column_type.upper()
    if upper == "DATE":
        return f"epoch_ms(max({quoted}) + INTERVAL 1 DAY)"
    if upper.startswith("TIMESTAMP"):
        return f"epoch_ms(max({quoted}))"
    return f"epoch_ms(max(CAST({quoted} AS TIMESTAMP)))"


@dataclass(frozen=True, slots=True)
class _Bands:
    warn_hours: float
    error_hours: float
    threshold: str

    def level(self, lag_hours: float) -> CheckSeverity | None:
        if lag_hours > self.error_hours:
            return CheckSeverity.ERROR
        if lag_hours > self.warn_hours:
            return CheckSeverity.WARN
        return None


def _run_grouped(
    conn: duckdb.DuckDBPyConnection,
    spec: CheckSpec,
    context: CheckContext,
    column_and_latest: tuple[str, str],
    bands: _Bands,
) -> CheckResult:
    """The newest time of each group against ``as_of``; sparse groups are not judged."""
    column, latest_expr = column_and_latest
    types = probe_columns(conn, spec.table)
    quoted = quote_ident(column)
    is_time = types[column].upper().startswith("TIMESTAMP")
    time_ms = f"epoch_ms({quoted})" if is_time else f"epoch_ms(CAST({quoted} AS TIMESTAMP))"
    group = quote_ident(str_param(spec, "group_by"))
    min_daily = number_param(spec, "min_daily_rows", 0)
    as_of_ms = int(context.as_of.timestamp() * 1000)
    week_ms = 7 * 86_400_000
    rows = fetch_dicts(
        conn,
        f"SELECT CAST({group} AS VARCHAR) AS grp, {latest_expr} AS latest_ms, "
        f"count(*) FILTER (WHERE {time_ms} > {as_of_ms - week_ms}) / 7.0 AS daily_rows "
        f"FROM {quote_table(spec.table)} GROUP BY 1 ORDER BY 1",
    )
    judged = []
    for row in rows:
        if row["latest_ms"] is None or row["daily_rows"] < min_daily:
            continue
        lag = round((as_of_ms - int(row["latest_ms"])) / 3_600_000, 3)
        judged.append((row["grp"], lag, float(row["daily_rows"]), bands.level(lag)))
    name = str_param(spec, "group_by")
    if not judged:
        return skipped(
            spec,
            f"no {name} of {spec.table} has {min_daily:g} rows a day to be held to freshness",
            threshold=bands.threshold,
        )
    stale = [j for j in judged if j[3] is not None]
    stalest = max(judged, key=lambda j: j[1])
    if not stale:
        return passed(
            spec,
            f"{len(judged)} {name}(s) of {spec.table} fresh; stalest {name}={stalest[0]} "
            f"{stalest[1]:g}h before {context.as_of.isoformat()}",
            observed=stalest[1],
            threshold=bands.threshold,
        )
    worst = (
        CheckSeverity.ERROR
        if any(j[3] is CheckSeverity.ERROR for j in stale)
        else (CheckSeverity.WARN)
    )
    return failed(
        spec,
        f"stale data: {len(stale)} of {len(judged)} {name}(s) of {spec.table} lag; "
        f"stalest {name}={stalest[0]} {stalest[1]:g}h before {context.as_of.isoformat()}",
        severity=worst,
        observed=stalest[1],
        threshold=bands.threshold,
        sample_rows=[
            {name: grp, "lag_hours": lag, "daily_rows": round(daily, 1)}
            for grp, lag, daily, _ in sorted(stale, key=lambda j: -j[1])
        ],
    )
