"""The dashboards as the HTTP routes use them: boards, filters, pages, CSV, live JSON.

One :class:`DashboardService` per process holds the validated boards; each request passes
the gate and the signed-in principal, so every tile reads as that principal.
"""

from __future__ import annotations

import csv
import functools
import io
import time
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from rastup_data.bi.boards import Dashboard, Tile, TileKind, load_dashboards
from rastup_data.bi.charts import figure, format_value
from rastup_data.bi.definitions import ColumnDocs, column_docs
from rastup_data.bi.extracts import current_snapshot
from rastup_data.bi.pages import BoardPage, Chrome, board_html, cell_text, index_html
from rastup_data.bi.tiles import Filters, TileData, tile_data, tile_marker
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.governance import Gate, Principal, QueryPath
from rastup_data.lake.layout import LakeLayout
from rastup_data.state.controls import OpsControls
from rastup_data.transform.runs import BuildRun, build_runs

__all__ = [
    "DEFAULT_DAYS",
    "PINNED_CONTROL",
    "BuildState",
    "DashboardService",
    "FilterText",
    "build_state",
]

DEFAULT_DAYS = 7
#: The operator switch that pins the dashboards to the extracts (the high-spend runbook):
#: live tiles stop reading the NRT views.
PINNED_CONTROL = "gate.dashboards_pinned"
_PINNED = (
    "Dashboards are pinned to the extracts (gate.dashboards_pinned): the live NRT views are "
    "off until an operator unpins them."
)
_MAX_DAYS = 366
#: Seconds a page reuses the column descriptions before looking for a newer manifest.
_DOCS_TTL_S = 30.0


@dataclass(frozen=True, slots=True)
class FilterText:
    """The filters as the query string gives them (validated by :meth:`parse`)."""

    start: str | None = None
    end: str | None = None
    city: str | None = None
    #: Seconds between live-tile refreshes (default: the board's ``live_refresh_s``).
    every: str | None = None


class DashboardService:
    """The boards of a folder over one lake."""

    def __init__(self, layout: LakeLayout, folder: Path, experiments_dir: Path | None = None):
        self.layout = layout
        self.boards = load_dashboards(folder)
        self.experiments_dir = experiments_dir
        self._docs: tuple[float, ColumnDocs] | None = None

    def board(self, key: str) -> Dashboard:
        found = next((b for b in self.boards if b.key == key), None)
        if found is None:
            raise RastupError(ErrorCode.ROUTE_NOT_FOUND, f"no dashboard {key[:60]!r}")
        return found

    def tile(self, board: Dashboard, key: str) -> Tile:
        found = board.tile(key)
        if found is None:
            raise RastupError(ErrorCode.ROUTE_NOT_FOUND, f"no tile {key[:60]!r} on {board.key}")
        return found

    def chrome(self, title: str, who: Principal | None, builds: BuildState | None = None) -> Chrome:
        banner = (builds or build_state(self.layout)).banner
        return Chrome(title, who, self.boards, banner=banner)

    def docs(self) -> ColumnDocs:
        """The column descriptions, looked up again at most every ``_DOCS_TTL_S`` seconds
        (finding the current manifest walks the dbt project's files)."""
        now = time.monotonic()
        kept = self._docs
        if kept is None or now - kept[0] > _DOCS_TTL_S:
            kept = (now, column_docs(self.layout))
            self._docs = kept
        return kept[1]

    def index(self, who: Principal) -> str:
        return index_html(self.chrome("Dashboards", who), self.experiments(who))

    def page(self, gate: Gate, who: Principal, board: Dashboard, text: FilterText) -> str:
        filters = self.filters(board, text)
        if text.every:
            board = replace(board, live_refresh_s=_every(text.every))
        snapshots = {name: current_snapshot(self.layout.lake, name) for name in board.datasets}
        builds = build_state(self.layout)
        page = BoardPage(
            board=board,
            filters=filters,
            tiles=[self.data(gate, who, board, tile, filters) for tile in board.tiles],
            docs=self.docs(),
            snapshots=snapshots,
            cities=self.cities(gate, who, board),
            alerts=builds.alerts,
        )
        return board_html(self.chrome(board.title, who, builds), page)

    def data(
        self, gate: Gate, who: Principal, board: Dashboard, tile: Tile, filters: Filters
    ) -> TileData:
        if tile.kind is TileKind.EXPERIMENTS:
            return self._experiments_tile(gate, who, board, tile)
        if tile.kind is TileKind.LIVE and OpsControls(gate.state).get(PINNED_CONTROL):
            return TileData(tile, unavailable=_PINNED)
        return tile_data(gate, who, board, tile, filters)

    def live_json(self, data: TileData) -> dict[str, object]:
        """A live tile's refresh: what ``dashboards.js`` puts in place."""
        document = data.to_json()
        document["headline_text"] = format_value(data.headline, data.tile.format)
        document["as_of_text"] = f"as of {datetime.now(UTC).strftime('%Y-%m-%d %H:%M:%S')} UTC"
        document["figure"] = figure(data)
        return document

    def csv(self, data: TileData) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(data.columns)
        writer.writerows([cell_text(v) for v in row] for row in data.rows)
        return out.getvalue()

    def filters(self, board: Dashboard, text: FilterText) -> Filters:
        """The page's filters: the given ones, else the 7 days up to the newest extract."""
        end = _date(text.end, "to") if text.end else self._newest_day(board)
        start = _date(text.start, "from") if text.start else end - timedelta(DEFAULT_DAYS - 1)
        if start > end or (end - start).days >= _MAX_DAYS:
            raise RastupError(
                ErrorCode.DASHBOARD_FILTER_INVALID,
                f"the date range {start} to {end} is empty or longer than {_MAX_DAYS} days",
            )
        city = (text.city or "").strip() or None
        if city is not None and not (city.isalpha() and city.islower() and len(city) <= 8):
            raise RastupError(
                ErrorCode.DASHBOARD_FILTER_INVALID, f"{city[:20]!r} is not a city code"
            )
        return Filters(start, end, city)

    def cities(self, gate: Gate, who: Principal, board: Dashboard) -> list[str]:
        """The cities the principal can pick: those of the board's first extract they read."""
        if who.scoped:
            return sorted(who.cities)
        for name in board.datasets:
            if current_snapshot(self.layout.lake, name) is None:
                continue
            sql = f"{tile_marker(board, board.tiles[0])}SELECT DISTINCT city FROM datasets.{name}"
            try:
                rows = gate.run(who, sql, path=QueryPath.DASHBOARD).rows
            except RastupError:
                continue
            return sorted(str(r[0]) for r in rows if r[0] is not None)
        return []

    def experiments(self, who: Principal) -> list[tuple[str, str]]:
        """(key, status) of every experiment definition, for the index and Growth."""
        del who
        from rastup_data.experiments.home import find_experiments_dir

        try:
            folder, _ = find_experiments_dir(self.experiments_dir)
            windows = _experiment_windows(folder, _folder_version(folder))
        except RastupError:
            return []
        now = datetime.now(UTC)
        return [(key, _status(start, end, now)) for key, start, end in windows]

    def _experiments_tile(
        self, gate: Gate, who: Principal, board: Dashboard, tile: Tile
    ) -> TileData:
        del gate, board
        data = TileData(tile, columns=("experiment", "status", "report"))
        listed = self.experiments(who)
        for key, status in listed:
            data.rows.append((key, status, f"/dashboards/experiments/{key}"))
            data.labels.append(key)
        data.headline = float(sum(1 for _, status in listed if status == "running"))
        return data

    def _newest_day(self, board: Dashboard) -> date:
        days = [
            datetime.fromisoformat(s.as_of).date()
            for name in board.datasets
            if (s := current_snapshot(self.layout.lake, name)) is not None and s.as_of
        ]
        return max(days) if days else datetime.now(UTC).date()


@dataclass(frozen=True, slots=True)
class BuildState:
    """What the pages show of the builds: a banner when the newest build failed or published
    with warnings, and the quality alerts of the newest published one (tiles show their
    alarm). Read once per page."""

    banner: str | None
    alerts: tuple[str, ...]


def build_state(layout: LakeLayout) -> BuildState:
    today = datetime.now(UTC).date()
    runs = [r for r in build_runs(layout, today - timedelta(days=30), today) if r.kind == "build"]
    newest = max(runs, key=lambda r: r.finished_at, default=None)
    published = max((r for r in runs if r.published), key=lambda r: r.finished_at, default=None)
    return BuildState(
        banner=None if newest is None else _banner(newest),
        alerts=published.alerts if published is not None else (),
    )


def _banner(run: BuildRun) -> str | None:
    when = run.finished_at[:16].replace("T", " ")
    if not run.published:
        return (
            f"The last build failed ({run.code or 'error'}) at {when} UTC: the dashboards "
            "show the last published data."
        )
    if run.warnings or run.alerts:
        named = ", ".join((*run.alerts, *run.warnings)[:4])
        count = len(run.warnings) + len(run.alerts)
        return f"The last build (published {when} UTC) raised {count} warning(s): {named}."
    return None


def _every(text: str) -> int:
    if not text.isdigit() or not 2 <= int(text) <= 3600:
        raise RastupError(
            ErrorCode.DASHBOARD_FILTER_INVALID, f"every={text[:10]!r}: 2 to 3600 seconds"
        )
    return int(text)


def _date(text: str, name: str) -> date:
    """A filter's date; before 1900 (the prior period a trend compares with would start
    before year 1) or after 9998 is refused like a malformed one."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise RastupError(
            ErrorCode.DASHBOARD_FILTER_INVALID, f"{name}={text[:20]!r} is not a date (YYYY-MM-DD)"
        ) from None
    if not 1900 <= day.year <= 9998:
        raise RastupError(
            ErrorCode.DASHBOARD_FILTER_INVALID, f"{name}={text} is not between 1900 and 9998"
        )
    return day


def _folder_version(folder: Path) -> tuple[tuple[str, int], ...]:
    """The definitions' names and modification times: a change reloads them."""
    return tuple(sorted((p.name, p.stat().st_mtime_ns) for p in folder.glob("*.y*ml")))


@functools.lru_cache(maxsize=4)
def _experiment_windows(
    folder: Path, _version: tuple[tuple[str, int], ...]
) -> tuple[tuple[str, datetime, datetime | None], ...]:
    """(key, start, end) of every definition of ``folder`` (parsed once per version)."""
    from rastup_data.experiments.definitions import load_experiments

    found = load_experiments(folder)
    return tuple((e.key, e.start, e.end) for e in sorted(found, key=lambda e: e.key))


def _status(start: datetime, end: datetime | None, now: datetime) -> str:
    if start > now:
        return "planned"
    return "ended" if end is not None and end <= now else "running"
