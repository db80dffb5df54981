"""Daily volumes for the volume check: one query, then pure functions over the numbers.

A day's *volume* is the sum of a per-row ``measure`` (1 by default: the row count) over
the rows whose UTC date is that day. When the newest day is still filling, every day's
volume is also taken up to the same time of day (the *early* volume), so a day that is
six hours old is compared with the first six hours of the days before it.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import duckdb

from rastup_data.quality._sql import quote_ident, quote_table, require_columns

__all__ = ["DayVolume", "History", "SeriesQuery", "fetch_series", "pick_history"]

#: Label of the only group when the check is not grouped.
ALL = ""


@dataclass(frozen=True, slots=True)
class DayVolume:
    """One day's volume, and its volume up to the cutoff time of day (when asked)."""

    day: date
    volume: float
    early: float


@dataclass(frozen=True, slots=True)
class SeriesQuery:
    """What to read: the table, its day and time columns, the measure and the window."""

    table: str
    date_column: str
    time_column: str | None
    measure: str
    group_by: str | None
    first_day: date
    cutoff_seconds: float | None


_EPOCH = date(1970, 1, 1)


def _day_number(column: str, column_type: str) -> str:
    """SQL for the UTC day of ``column`` as days since 1970-01-01 (integer arithmetic on
    epoch seconds: several times cheaper than converting every row to a DATE)."""
    quoted = quote_ident(column)
    if column_type.upper() == "DATE":
        return f"date_diff('day', DATE '1970-01-01', {quoted})"
    return f"CAST(floor(epoch({quoted}) / 86400) AS BIGINT)"


def _day(number: int) -> date:
    return _EPOCH + timedelta(days=int(number))


def newest_day(conn: duckdb.DuckDBPyConnection, table: str, date_column: str) -> date | None:
    """The newest UTC day of ``table`` (None when it has no rows)."""
    types = require_columns(conn, table, (date_column,))
    day = _day_number(date_column, types[date_column])
    row = conn.execute(f"SELECT max({day}) FROM {quote_table(table)}").fetchone()
    value = row[0] if row else None
    return None if value is None else _day(value)


def fetch_series(
    conn: duckdb.DuckDBPyConnection, query: SeriesQuery
) -> dict[str, dict[date, DayVolume]]:
    """Group -> day -> volume, for the days from ``query.first_day`` on."""
    needed = [query.date_column, *filter(None, (query.time_column, query.group_by))]
    types = require_columns(conn, query.table, needed)
    day = _day_number(query.date_column, types[query.date_column])
    group = quote_ident(query.group_by) if query.group_by else "''"
    # Rows are counted, other measures summed (count(*) is a third of sum(1)'s cost).
    total = "count(*)" if query.measure.strip() == "1" else f"coalesce(sum({query.measure}), 0)"
    early = "0"
    if query.cutoff_seconds is not None and query.time_column is not None:
        seconds_into_day = f"(epoch({quote_ident(query.time_column)}) - 86400 * {day})"
        within = f"FILTER (WHERE {seconds_into_day} <= {float(query.cutoff_seconds)!r})"
        early = (
            f"count(*) {within}"
            if query.measure.strip() == "1"
            else f"coalesce(sum({query.measure}) {within}, 0)"
        )
    first = (query.first_day - _EPOCH).days
    rows = conn.execute(
        f"SELECT {group} AS grp, {day} AS day_number, {total}, {early} "
        f"FROM {quote_table(query.table)} WHERE {day} >= {first} GROUP BY ALL"
    ).fetchall()
    series: dict[str, dict[date, DayVolume]] = {}
    for grp, number, volume, early_volume in rows:
        key = ALL if grp is None else str(grp)
        dt = _day(number)
        series.setdefault(key, {})[dt] = DayVolume(dt, float(volume), float(early_volume))
    return series


@dataclass(frozen=True, slots=True)
class History:
    """The days a judged day is compared with, and how they were chosen."""

    days: tuple[DayVolume, ...]
    baseline: str

    def median(self, *, early: bool) -> float:
        return float(statistics.median(d.early if early else d.volume for d in self.days))


def pick_history(
    days: Mapping[date, DayVolume],
    judged: date,
    *,
    history_days: int,
    min_history: int,
    same_weekday: bool,
) -> History:
    """The days with rows in the ``history_days`` before ``judged``: all of them, or only
    the same weekday when asked and there are at least ``min_history`` of those."""
    window = [
        days[d]
        for offset in range(1, history_days + 1)
        if (d := judged - timedelta(days=offset)) in days
    ]
    window.sort(key=lambda v: v.day)
    if same_weekday:
        weekdays = [v for v in window if (judged - v.day).days % 7 == 0]
        if len(weekdays) >= min_history:
            return History(tuple(weekdays), "same weekday")
        recent = [v for v in window if (judged - v.day).days <= 7]
        return History(tuple(recent), "previous days (too few of the same weekday)")
    return History(tuple(window), "previous days")


def cutoff_of(as_of: datetime, newest: date) -> float | None:
    """Seconds into ``newest`` at ``as_of`` when that day is still open, else None."""
    start = datetime(newest.year, newest.month, newest.day, tzinfo=as_of.tzinfo)
    seconds = (as_of - start).total_seconds()
    if 0 <= seconds < 86_400:
        return seconds
    return None


def series_rows(days: Sequence[DayVolume], *, early: bool) -> list[dict[str, object]]:
    """Evidence rows for a report: day and the volume compared."""
    return [
        {"dt": d.day.isoformat(), "volume": _number(d.early if early else d.volume)} for d in days
    ]


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value
