"""A tile's data: its queries through the query gate, its number, trend and prior period.

Every read is one gated query on the path ``dashboard`` as the signed-in principal (their
role's grants, masks and city scope apply), prefixed with a ``-- tile: <board>/<tile>``
comment that the audit log keeps (tile views are counted from it). The rows a tile shows
in its data table are exactly the rows of its CSV download.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from rastup_data.bi.boards import Dashboard, Measure, Tile, TileKind
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.governance import Gate, Principal, QueryPath

__all__ = ["Filters", "TileData", "live_sql", "tile_data", "tile_marker"]

_BUCKET_ORDER = (
    "CASE age_bucket WHEN '0-1d' THEN 0 WHEN '1-3d' THEN 1 WHEN '3-7d' THEN 2 ELSE 3 END"
)
_LIVE_SQL = {
    "payout_backlog": (
        "SELECT age_bucket, payouts, amount_cents, as_of FROM nrt.ops_payout_backlog "
        f"ORDER BY {_BUCKET_ORDER}"
    ),
    "dispute_queue": (
        "SELECT count(*) AS open_disputes, coalesce(sum(amount_cents), 0) AS amount_cents, "
        "coalesce(max(age_hours), 0) AS oldest_hours, max(as_of) AS as_of "
        "FROM nrt.ops_dispute_queue"
    ),
    "recon": (
        "SELECT scope, dt, charges_cents, refunds_cents, payouts_cents, fees_cents, "
        "variance_cents FROM nrt.ops_recon ORDER BY scope = 'overall', dt"
    ),
    "watermark": (
        "SELECT newest_occurred_at, newest_received_at, refreshed_at, "
        "epoch(now()) - epoch(refreshed_at) AS seconds_since_refresh FROM nrt.lake_watermark"
    ),
}


@dataclass(frozen=True, slots=True)
class Filters:
    """The date range (inclusive) and the city a page shows; the prior period is the same
    number of days just before it."""

    start: date
    end: date
    city: str | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def prior_start(self) -> date:
        return self.start - timedelta(days=self.days)

    def query(self) -> dict[str, str]:
        params = {"from": self.start.isoformat(), "to": self.end.isoformat()}
        if self.city:
            params["city"] = self.city
        return params


@dataclass(slots=True)
class TileData:
    """What a tile shows: a headline and its prior-period value, the rows of its data
    table (and CSV), the chart's series, or why it cannot be shown to this principal."""

    tile: Tile
    columns: tuple[str, ...] = ()
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    headline: float | None = None
    previous: float | None = None
    labels: list[str] = field(default_factory=list)
    values: list[float | None] = field(default_factory=list)
    unavailable: str | None = None

    @property
    def has_data(self) -> bool:
        return bool(self.rows) and self.unavailable is None

    def to_json(self) -> dict[str, Any]:
        return {
            "tile": self.tile.key,
            "columns": list(self.columns),
            "rows": [[_plain(v) for v in row] for row in self.rows],
            "headline": self.headline,
            "previous": self.previous,
            "labels": self.labels,
            "values": self.values,
            "unavailable": self.unavailable,
        }


def tile_marker(board: Dashboard, tile: Tile) -> str:
    """The comment that names the tile in the audit log."""
    return f"-- tile: {board.key}/{tile.key}\n"


def tile_data(
    gate: Gate, who: Principal, board: Dashboard, tile: Tile, filters: Filters
) -> TileData:
    """Run the tile's query as ``who``; a refusal (role, scope) becomes ``unavailable``."""
    try:
        if tile.kind is TileKind.LIVE:
            return _live(gate, who, board, tile)
        if tile.kind is TileKind.TREND:
            return _trend(gate, who, board, tile, filters)
        if tile.series:
            return _series(gate, who, board, tile, filters)
        return _by_dimension(gate, who, board, tile, filters)
    except RastupError as exc:
        if exc.code is ErrorCode.ACCESS_DENIED:
            return TileData(tile, unavailable=_refusal_text(exc.message, who))
        raise


def live_sql(tile: Tile) -> str:
    assert tile.view is not None
    return _LIVE_SQL[tile.view]


def _run(
    gate: Gate, who: Principal, board: Dashboard, tile: Tile, sql: str, params: Sequence[Any]
) -> tuple[tuple[Any, ...], ...]:
    result = gate.run(who, tile_marker(board, tile) + sql, path=QueryPath.DASHBOARD, params=params)
    return result.rows


def _where(tile: Tile, filters: Filters) -> tuple[str, list[Any]]:
    params: list[Any] = [filters.prior_start, filters.end]
    where = "dt BETWEEN ? AND ?"
    if filters.city:
        where += " AND city = ?"
        params.append(filters.city)
    return where, params


def _trend(gate: Gate, who: Principal, board: Dashboard, tile: Tile, filters: Filters) -> TileData:
    measure = tile.measure
    assert measure is not None
    where, params = _where(tile, filters)
    sql = (
        f"SELECT dt, {', '.join(measure.parts())} FROM {tile.relation} WHERE {where} "
        "GROUP BY dt ORDER BY dt"
    )
    rows = _run(gate, who, board, tile, sql, params)
    current = [r for r in rows if r[0] >= filters.start]
    prior = [r for r in rows if r[0] < filters.start]
    unit = "_cents" if tile.format == "money" else ""
    data = TileData(tile, columns=("dt", tile.key + unit))
    data.headline = _total(measure, current) if current else None
    data.previous = _total(measure, prior) if prior else None
    for row in current:
        value = measure.value(tuple(row[1:]))
        data.rows.append((row[0], value))
        data.labels.append(row[0].isoformat())
        data.values.append(value)
    return data


def _series(gate: Gate, who: Principal, board: Dashboard, tile: Tile, filters: Filters) -> TileData:
    where, params = _where(tile, filters)
    sums = ", ".join(f"sum({c})" for c in tile.series)
    sql = f"SELECT dt >= ? AS current, {sums} FROM {tile.relation} WHERE {where} GROUP BY 1"
    rows = {bool(r[0]): r[1:] for r in _run(gate, who, board, tile, sql, [filters.start, *params])}
    now, before = rows.get(True), rows.get(False)
    data = TileData(tile, columns=("series", "current", "prior"))
    if now is None:
        return data
    for index, column in enumerate(tile.series):
        value = _number(now[index])
        data.rows.append((column, value, None if before is None else _number(before[index])))
        data.labels.append(column)
        data.values.append(value)
    prior = None if before is None else [_number(v) or 0.0 for v in before]
    if tile.kind is TileKind.FUNNEL:  # the headline is the conversion, first to last stage
        data.headline = _share(data.values[-1], data.values[0])
        data.previous = None if prior is None else _share(prior[-1], prior[0])
    else:  # the total of the series (e.g. every risk-scored subject flagged)
        data.headline = sum(v or 0 for v in data.values)
        data.previous = None if prior is None else sum(prior)
    return data


def _by_dimension(
    gate: Gate, who: Principal, board: Dashboard, tile: Tile, filters: Filters
) -> TileData:
    measure = tile.measure
    assert measure is not None
    assert tile.by is not None
    where, params = _where(tile, filters)
    sql = (
        f"SELECT {tile.by}, dt >= ? AS current, {', '.join(measure.parts())} "
        f"FROM {tile.relation} WHERE {where} GROUP BY 1, 2 ORDER BY 1"
    )
    rows = _run(gate, who, board, tile, sql, [filters.start, *params])
    groups: dict[Any, dict[bool, tuple[Any, ...]]] = {}
    for key, current, *parts in rows:
        groups.setdefault(key, {})[bool(current)] = tuple(parts)
    data = TileData(tile, columns=(tile.by, "current", "prior"))
    for key, periods in groups.items():
        if True not in periods:
            continue
        value = measure.value(periods[True])
        prior = measure.value(periods[False]) if False in periods else None
        data.rows.append((key, value, prior))
        data.labels.append(str(key))
        data.values.append(value)
    current_rows = [(None, *p[True]) for p in groups.values() if True in p]
    prior_rows = [(None, *p[False]) for p in groups.values() if False in p]
    data.headline = _total(measure, current_rows) if current_rows else None
    data.previous = _total(measure, prior_rows) if prior_rows else None
    return data


def _live(gate: Gate, who: Principal, board: Dashboard, tile: Tile) -> TileData:
    result = gate.run(who, tile_marker(board, tile) + live_sql(tile), path=QueryPath.DASHBOARD)
    data = TileData(tile, columns=result.columns, rows=[tuple(r) for r in result.rows])
    if tile.view == "payout_backlog":
        data.labels = [str(r[0]) for r in result.rows]
        data.values = [_number(r[1]) for r in result.rows]
        data.headline = sum(v or 0 for v in data.values)
    elif tile.view == "recon":
        days = [r for r in result.rows if r[0] == "day"]
        data.labels = [r[1].isoformat() for r in days]
        data.values = [_number(r[-1]) for r in days]
        overall = [r for r in result.rows if r[0] == "overall"]
        data.headline = _number(overall[0][-1]) if overall else None
    elif result.rows:
        data.headline = _number(
            result.rows[0][0] if tile.view == "dispute_queue" else result.rows[0][-1]
        )
    return data


def _total(measure: Measure, rows: Sequence[tuple[Any, ...]]) -> float | None:
    """The measure over several groups: its additive parts summed first."""
    width = len(measure.parts())
    sums = tuple(sum(_number(r[1 + i]) or 0 for r in rows) for i in range(width))
    return measure.value(sums)


def _share(part: float | None, whole: float | None) -> float | None:
    return None if not whole else (part or 0.0) / whole


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _refusal_text(message: str, who: Principal) -> str:
    if who.scoped:
        return (
            f"Not shown to {who.name}: this tile aggregates every city and you are scoped to "
            f"{', '.join(sorted(who.cities))}."
        )
    return f"Not available to role {who.role}: {message}"
