"""Volume checks: the latest day's row count against the median of the days before it."""

from __future__ import annotations

import statistics

import duckdb

from rastup_data.quality._sql import fetch_dicts, quote_ident, quote_table, require_columns
from rastup_data.quality.checks._outcome import failed, passed, skipped
from rastup_data.quality.checks._params import bad_param, number_param, str_param
from rastup_data.quality.model import (
    CheckContext,
    CheckKind,
    CheckResult,
    CheckSeverity,
    CheckSpec,
)

__all__ = ["VolumeCheck"]


class VolumeCheck:
    """Params: ``date_column`` (dt), ``history_days`` (7), ``min_history_days`` (3),
    ``warn_drop`` (0.5) and ``error_drop`` (0.9) as fractions of the median.

    History is the days with rows among the ``history_days`` before the latest day; with
    fewer than ``min_history_days`` of them the result is ``skipped``.
    """

    kind = CheckKind.VOLUME

    def validate(self, spec: CheckSpec) -> None:
        str_param(spec, "date_column", "dt")
        history = number_param(spec, "history_days", 7, minimum=1)
        minimum = number_param(spec, "min_history_days", 3, minimum=1)
        if minimum > history:
            raise bad_param(spec, "min_history_days", f"<= history_days ({history:g})", minimum)
        warn = number_param(spec, "warn_drop", 0.5)
        error = number_param(spec, "error_drop", 0.9)
        if not warn <= error <= 1:
            raise bad_param(
                spec, "warn_drop/error_drop", "0 <= warn_drop <= error_drop <= 1", (warn, error)
            )

    def run(
        self, conn: duckdb.DuckDBPyConnection, spec: CheckSpec, context: CheckContext
    ) -> CheckResult:
        date_column = str_param(spec, "date_column", "dt")
        history_days = int(number_param(spec, "history_days", 7, minimum=1))
        min_history = int(number_param(spec, "min_history_days", 3, minimum=1))
        warn_drop = number_param(spec, "warn_drop", 0.5)
        error_drop = number_param(spec, "error_drop", 0.9)
        require_columns(conn, spec.table, (date_column,))
        day = f"CAST({quote_ident(date_column)} AS DATE)"
        table = quote_table(spec.table)
        daily = fetch_dicts(
            conn,
            f"SELECT {day} AS dt, count(*) AS rows FROM {table} "
            f"WHERE {day} >= (SELECT max({day}) FROM {table}) - {history_days} "
            f"GROUP BY 1 ORDER BY 1",
        )
        threshold = f"drop > {warn_drop:.0%} warn, > {error_drop:.0%} error"
        if not daily:
            return skipped(spec, f"{spec.table} has no rows", observed=0, threshold=threshold)
        latest, history = daily[-1], daily[:-1]
        if len(history) < min_history:
            return skipped(
                spec,
                f"only {len(history)} day(s) of history before {latest['dt']} in {spec.table}; "
                f"need {min_history}",
                observed=int(latest["rows"]),
                threshold=threshold,
                sample_rows=daily,
            )
        median = statistics.median(int(row["rows"]) for row in history)
        today = int(latest["rows"])
        drop = 1 - today / median
        summary = (
            f"{spec.table} has {today} rows on {latest['dt']} vs a median of {median:g} "
            f"over {len(history)} prior day(s)"
        )
        if drop > error_drop:
            level: CheckSeverity | None = CheckSeverity.ERROR
        elif drop > warn_drop:
            level = CheckSeverity.WARN
        else:
            level = None
        if level is None:
            return passed(spec, summary, observed=today, threshold=threshold, sample_rows=daily)
        return failed(
            spec,
            f"volume dropped {drop:.0%}: {summary}",
            severity=level,
            observed=today,
            threshold=threshold,
            sample_rows=daily,
        )
