"""Volume checks: a day's volume against the median of the days before it.

The judged day is the table's newest day, or ``as_of``'s UTC day when the table has no
rows on it yet. While that day is still filling (``as_of`` falls inside it) it is
compared with the *same hours* of the earlier days, and the day before it, complete by
then, is judged in full too; a table without a time column leaves
the open day out and judges only the complete day. Too little history, or a median below
``min_volume`` (e.g. five minutes into a day), is not enough to judge: skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, timedelta

import duckdb

from rastup_data.quality._sql import probe_columns
from rastup_data.quality.checks._outcome import failed, passed, skipped
from rastup_data.quality.checks._params import bad_param, number_param, str_param
from rastup_data.quality.checks._volume_series import (
    ALL,
    DayVolume,
    History,
    SeriesQuery,
    cutoff_of,
    fetch_series,
    newest_day,
    pick_history,
    series_rows,
)
from rastup_data.quality.model import (
    CheckContext,
    CheckKind,
    CheckResult,
    CheckSeverity,
    CheckSpec,
)

__all__ = ["VolumeCheck"]

_BASELINES = ("previous_days", "same_weekday")
_DEFAULT_TIME_COLUMN = "occurred_at"


@dataclass(frozen=True, slots=True)
class _Params:
    date_column: str
    time_column: str | None
    measure: str
    group_by: str | None
    history_days: int
    min_history: int
    warn_drop: float
    error_drop: float
    min_volume: float
    same_weekday: bool

    @classmethod
    def of(cls, spec: CheckSpec) -> _Params:
        return cls(
            date_column=str_param(spec, "date_column", "dt"),
            time_column=_optional_column(spec, "time_column", _DEFAULT_TIME_COLUMN),
            measure=str_param(spec, "measure", "1"),
            group_by=_optional_column(spec, "group_by", None),
            history_days=int(number_param(spec, "history_days", 7, minimum=1)),
            min_history=int(number_param(spec, "min_history_days", 3, minimum=1)),
            warn_drop=number_param(spec, "warn_drop", 0.5),
            error_drop=number_param(spec, "error_drop", 0.9),
            min_volume=number_param(spec, "min_volume", 0),
            same_weekday=spec.params.get("compare_with", "previous_days") == "same_weekday",
        )

    @property
    def threshold(self) -> str:
        return f"drop > {self.warn_drop:.0%} warn, > {self.error_drop:.0%} error"

    @property
    def unit(self) -> str:
        return "rows" if self.measure.strip() == "1" else f"sum({self.measure})"


def _optional_column(spec: CheckSpec, key: str, default: str | None) -> str | None:
    value = spec.params.get(key, default)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise bad_param(spec, key, "a column name or null", value)
    return value


@dataclass(frozen=True, slots=True)
class _Verdict:
    """One judged day of one group: its level (None: fine), or why it was not judged."""

    group: str
    day: date
    early: bool
    today: float
    history: History
    level: CheckSeverity | None = None
    skip_reason: str = ""

    @property
    def judged(self) -> bool:
        return not self.skip_reason

    def median(self) -> float:
        return self.history.median(early=self.early)


class VolumeCheck:
    """Params: ``date_column`` (dt; a timestamp column counts by its UTC date),
    ``time_column`` (occurred_at, used when present; null to never split a day),
    ``measure`` (a per-row SQL expression summed, default 1: rows), ``group_by`` (a column:
    judge every group, e.g. each event type), ``history_days`` (7), ``min_history_days``
    (3), ``compare_with`` (previous_days | same_weekday), ``min_volume`` (0: the history
    median below which a day is not judged), ``warn_drop`` (0.5), ``error_drop`` (0.9).
    """

    kind = CheckKind.VOLUME

    def validate(self, spec: CheckSpec) -> None:
        params = _Params.of(spec)
        if params.min_history > params.history_days:
            raise bad_param(spec, "min_history_days", f"<= history_days ({params.history_days})", 0)
        if not params.warn_drop <= params.error_drop <= 1:
            raise bad_param(
                spec,
                "warn_drop/error_drop",
                "0 <= warn_drop <= error_drop <= 1",
                (params.warn_drop, params.error_drop),
            )
        baseline = spec.params.get("compare_with", "previous_days")
        if baseline not in _BASELINES:
            raise bad_param(spec, "compare_with", " or ".join(_BASELINES), baseline)

    def run(
        self, conn: duckdb.DuckDBPyConnection, spec: CheckSpec, context: CheckContext
    ) -> CheckResult:
        params = _Params.of(spec)
        newest = newest_day(conn, spec.table, params.date_column)
        if newest is None:
            return skipped(
                spec, f"{spec.table} has no rows", observed=0, threshold=params.threshold
            )
        columns = probe_columns(conn, spec.table)
        time_column = params.time_column if params.time_column in columns else None
        # A table with no rows yet on as_of's day is judged on that day (with nothing).
        newest = max(newest, context.as_of.astimezone(UTC).date())
        cutoff = cutoff_of(context.as_of, newest)
        plan = _judged_days(newest, is_open=cutoff is not None, splits=time_column is not None)
        first = min(day for day, _ in plan) - timedelta(days=params.history_days)
        series = fetch_series(
            conn,
            SeriesQuery(
                spec.table,
                params.date_column,
                time_column,
                params.measure,
                params.group_by,
                first,
                cutoff,
            ),
        )
        verdicts = [
            _judge(group, days, day, early=early, params=params)
            for group, days in sorted(series.items())
            for day, early in plan
        ]
        return _result(spec, params, verdicts, series, cutoff)


def _judged_days(newest: date, *, is_open: bool, splits: bool) -> list[tuple[date, bool]]:
    """(day, compare the same hours only) pairs to judge."""
    if not is_open:
        return [(newest, False)]
    complete = [(newest - timedelta(days=1), False)]
    return [*complete, (newest, True)] if splits else complete


def _judge(
    group: str, days: dict[date, DayVolume], day: date, *, early: bool, params: _Params
) -> _Verdict:
    history = pick_history(
        days,
        day,
        history_days=params.history_days,
        min_history=params.min_history,
        same_weekday=params.same_weekday,
    )
    current = days.get(day)
    today = 0.0 if current is None else (current.early if early else current.volume)
    base = _Verdict(group, day, early, today, history)
    if len(history.days) < params.min_history:
        reason = (
            f"only {len(history.days)} day(s) of history before {day}; need {params.min_history}"
        )
        return _replace(base, skip_reason=reason)
    median = base.median()
    if median <= 0 or median < params.min_volume:
        when = "by this time of day" if early else "a day"
        reason = f"a median of {median:g} {params.unit} {when} is too little to judge"
        return _replace(base, skip_reason=reason)
    drop = 1 - today / median
    level = None
    if drop > params.error_drop:
        level = CheckSeverity.ERROR
    elif drop > params.warn_drop:
        level = CheckSeverity.WARN
    return _replace(base, level=level)


def _replace(
    verdict: _Verdict, *, level: CheckSeverity | None = None, skip_reason: str = ""
) -> _Verdict:
    return _Verdict(
        verdict.group,
        verdict.day,
        verdict.early,
        verdict.today,
        verdict.history,
        level,
        skip_reason,
    )


def _describe(spec: CheckSpec, params: _Params, verdict: _Verdict, cutoff: float | None) -> str:
    group = f"{params.group_by}={verdict.group}: " if params.group_by else ""
    by = ""
    if verdict.early and cutoff is not None:
        hours, minutes = divmod(int(cutoff // 60), 60)
        by = f" by {hours:02d}:{minutes:02d} UTC"
    baseline = (
        "" if verdict.history.baseline == "previous days" else f" ({verdict.history.baseline})"
    )
    same = " by the same time" if verdict.early else ""
    return (
        f"{group}{spec.table} has {verdict.today:g} {params.unit} on {verdict.day}{by} vs a "
        f"median of {verdict.median():g}{same} over {len(verdict.history.days)} prior "
        f"day(s){baseline}"
    )


def _worst(verdicts: Sequence[_Verdict]) -> _Verdict | None:
    failing = [v for v in verdicts if v.level is not None]
    if not failing:
        return None
    return max(failing, key=lambda v: (v.level is CheckSeverity.ERROR, -v.today / v.median()))


def _result(
    spec: CheckSpec,
    params: _Params,
    verdicts: Sequence[_Verdict],
    series: dict[str, dict[date, DayVolume]],
    cutoff: float | None,
) -> CheckResult:
    judged = [v for v in verdicts if v.judged]
    worst = _worst(judged)
    if worst is not None:
        failing = [v for v in judged if v.level is not None]
        drop = 1 - worst.today / worst.median()
        others = f" (and {len(failing) - 1} more)" if len(failing) > 1 else ""
        return failed(
            spec,
            f"volume dropped {drop:.0%}: {_describe(spec, params, worst, cutoff)}{others}",
            severity=worst.level,
            observed=_plain(worst.today),
            threshold=params.threshold,
            sample_rows=_evidence(params, worst, failing, series),
        )
    if not judged:
        # The newest day's reason: the one a reader is waiting for.
        last = verdicts[-1] if verdicts else None
        reason = last.skip_reason if last else "nothing to judge"
        where = f"{spec.table}: " if params.group_by else ""
        return skipped(
            spec,
            f"{where}{reason}" if params.group_by else f"{reason} in {spec.table}",
            observed=_plain(last.today) if last else 0,
            threshold=params.threshold,
        )
    newest = max(judged, key=lambda v: (v.day, v.early))
    summary = _describe(spec, params, newest, cutoff)
    if params.group_by:
        summary = f"{len(judged)} judgement(s) over {len({v.group for v in judged})} group(s) fine"
    return passed(
        spec,
        summary,
        observed=_plain(newest.today),
        threshold=params.threshold,
        sample_rows=_evidence(params, newest, [], series),
    )


def _evidence(
    params: _Params,
    shown: _Verdict,
    failing: Sequence[_Verdict],
    series: dict[str, dict[date, DayVolume]],
) -> list[dict[str, object]]:
    if params.group_by:
        return [
            {
                params.group_by: v.group,
                "dt": v.day.isoformat(),
                "same_hours": v.early,
                "volume": _plain(v.today),
                "median": _plain(v.median()),
            }
            for v in failing
        ]
    days = [*shown.history.days]
    current = series.get(ALL, {}).get(shown.day)
    days.append(current if current is not None else DayVolume(shown.day, 0.0, 0.0))
    return series_rows(days, early=shown.early)


def _plain(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value
