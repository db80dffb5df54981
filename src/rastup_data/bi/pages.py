"""Server-rendered HTML of the dashboards: the chrome, sign-in, the index and a board.

Charts are Plotly figures drawn by ``/dashboards/assets/plotly.min.js`` (served from the
installed plotly package, no CDN); ``dashboards.js`` draws them and refreshes live tiles in
place. Every number a tile shows is also in its data table, which is its CSV.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode

import orjson

from rastup_data.bi.boards import Dashboard, Tile, TileKind
from rastup_data.bi.charts import change_text, figure, format_value
from rastup_data.bi.definitions import ColumnDocs
from rastup_data.bi.extracts import Snapshot
from rastup_data.bi.tiles import Filters, TileData
from rastup_data.governance import Principal

__all__ = [
    "BoardPage",
    "Chrome",
    "board_html",
    "cell_text",
    "chrome_html",
    "index_html",
    "sign_in_html",
]

_ASSETS = "/dashboards/assets"


@dataclass(frozen=True, slots=True)
class Chrome:
    """The frame around every page: the principal, the dashboards to link, a banner."""

    title: str
    principal: Principal | None = None
    boards: Sequence[Dashboard] = ()
    banner: str | None = None


@dataclass(slots=True)
class BoardPage:
    """Everything one dashboard page shows."""

    board: Dashboard
    filters: Filters
    tiles: list[TileData]
    docs: ColumnDocs
    snapshots: dict[str, Snapshot | None] = field(default_factory=dict)
    cities: Sequence[str] = ()
    alerts: Sequence[str] = ()
    live_as_of: str | None = None


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def chrome_html(chrome: Chrome, body: str, *, head: str = "") -> str:
    nav = "".join(f'<a href="/dashboards/{_e(b.key)}/">{_e(b.title)}</a>' for b in chrome.boards)
    who = ""
    if chrome.principal is not None:
        p = chrome.principal
        scope = f" · {', '.join(sorted(p.cities))}" if p.cities else ""
        who = (
            f'<span class="who">{_e(p.name)} ({_e(p.role)}{_e(scope)})</span>'
            '<form method="post" action="/dashboards/sign-out">'
            '<button type="submit">Sign out</button></form>'
        )
    banner = f'<div class="banner" role="alert">{_e(chrome.banner)}</div>' if chrome.banner else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{_e(chrome.title)} · RastUp dashboards</title><link rel="icon" href="data:,">'
        f'<link rel="stylesheet" href="{_ASSETS}/dashboards.css">{head}</head><body>'
        f'<header><a class="home" href="/dashboards/">RastUp</a><nav>{nav}</nav>{who}</header>'
        f"{banner}<main>{body}</main></body></html>"
    )


def sign_in_html(next_page: str, message: str | None = None) -> str:
    error = f'<p class="error" role="alert">{_e(message)}</p>' if message else ""
    body = (
        "<h1>Sign in</h1>"
        "<p>Paste a query-gate token (<code>rastup-data auth token create</code>).</p>"
        f"{error}"
        '<form method="post" action="/dashboards/sign-in" class="sign-in">'
        f'<input type="hidden" name="next" value="{_e(next_page)}">'
        '<label>Token <input type="password" name="token" autocomplete="off" required></label>'
        '<button type="submit">Sign in</button></form>'
    )
    return chrome_html(Chrome("Sign in"), body)


def index_html(chrome: Chrome, experiments: Sequence[tuple[str, str]] = ()) -> str:
    cards = "".join(
        f'<li><a href="/dashboards/{_e(b.key)}/">{_e(b.title)}</a><p>{_e(b.description)}</p></li>'
        for b in chrome.boards
    )
    reports = "".join(
        f'<li><a href="/dashboards/experiments/{_e(key)}">{_e(key)}</a> · {_e(status)}</li>'
        for key, status in experiments
    )
    body = f'<h1>Dashboards</h1><ul class="boards">{cards}</ul>'
    if reports:
        body += f'<h2>Experiment reports</h2><ul class="reports">{reports}</ul>'
    return chrome_html(chrome, body)


def board_html(chrome: Chrome, page: BoardPage) -> str:
    board = page.board
    tiles = "".join(_tile_html(page, data) for data in page.tiles)
    body = (
        f'<h1>{_e(board.title)}</h1><p class="description">{_e(board.description)}</p>'
        f"{_filters_html(page)}"
        f'<div class="tiles" data-board="{_e(board.key)}" '
        f'data-live-seconds="{board.live_refresh_s}">{tiles}</div>'
    )
    head = (
        f'<script src="{_ASSETS}/plotly.min.js" defer></script>'
        f'<script src="{_ASSETS}/dashboards.js" defer></script>'
    )
    return chrome_html(chrome, body, head=head)


def _filters_html(page: BoardPage) -> str:
    f = page.filters
    options = ['<option value="">All cities</option>'] + [
        f'<option value="{_e(c)}"{" selected" if c == f.city else ""}>{_e(c)}</option>'
        for c in page.cities
    ]
    return (
        '<form class="filters" method="get">'
        f'<label>From <input type="date" name="from" value="{f.start.isoformat()}"></label>'
        f'<label>To <input type="date" name="to" value="{f.end.isoformat()}"></label>'
        f'<label>City <select name="city">{"".join(options)}</select></label>'
        '<button type="submit">Apply</button>'
        f'<span class="period">{f.days} days; prior period from {f.prior_start.isoformat()}</span>'
        "</form>"
    )


def _tile_html(page: BoardPage, data: TileData) -> str:
    tile = data.tile
    live = tile.kind is TileKind.LIVE
    links = urlencode(page.filters.query())
    base = f"/dashboards/{_e(page.board.key)}/tiles/{_e(tile.key)}"
    attrs = f' data-live-url="{base}.json"' if live else ""
    header = f"<h2>{_e(tile.title)}</h2>{_alarm_html(tile, page.alerts)}"
    if data.unavailable is not None:
        return (
            f'<section class="tile unavailable" id="tile-{_e(tile.key)}" '
            f'data-tile="{_e(tile.key)}">{header}'
            f'<p class="notice">{_e(data.unavailable)}</p></section>'
        )
    fig = orjson.dumps(figure(data)).decode()
    headline = format_value(data.headline, tile.format)
    return (
        f'<section class="tile" id="tile-{_e(tile.key)}" data-tile="{_e(tile.key)}"'
        f' data-format="{_e(tile.format)}"{attrs}>{header}'
        f'<p class="headline" data-value="{_e(cell_text(data.headline))}">{_e(headline)}</p>'
        f'<p class="change">{_e(_change(data, live=live))}</p>'
        f'<p class="as-of">{_e(_as_of(page, tile))}</p>'
        f'<div class="chart" data-figure="{_e(fig)}"></div>'
        f"{_definition_html(page, tile)}{_table_html(data)}"
        f'<p class="links"><a class="csv" href="{base}.csv?{_e(links)}" download>CSV</a></p>'
        "</section>"
    )


def _change(data: TileData, *, live: bool) -> str:
    if live:
        return "live: refreshes in place"
    return change_text(data.headline, data.previous, data.tile.format)


def _alarm_html(tile: Tile, alerts: Sequence[str]) -> str:
    if tile.alarm is None:
        return ""
    if tile.alarm in alerts:
        return f'<span class="alarm on" title="{_e(tile.alarm)}">ALARM</span>'
    return f'<span class="alarm off" title="{_e(tile.alarm)}">no alarm</span>'


def _as_of(page: BoardPage, tile: Tile) -> str:
    if tile.kind is TileKind.LIVE:
        return f"as of {page.live_as_of}" if page.live_as_of else "as of the latest NRT refresh"
    if tile.kind is TileKind.EXPERIMENTS or tile.dataset is None:
        return ""
    snapshot = page.snapshots.get(tile.dataset)
    if snapshot is None:
        return "no extract yet: run `rastup-data bi refresh`"
    refreshed = datetime.fromisoformat(snapshot.refreshed_at).strftime("%Y-%m-%d %H:%M UTC")
    return f"as of {snapshot.as_of or '?'} (extract refreshed {refreshed})"


_EXPERIMENT_DOCS = {
    "experiment": "An experiment definition (experiments/<key>.yaml).",
    "status": "running from its start until its end (if any); planned before its start; "
    "ended after its end.",
    "report": "Its report: per-variant metrics, CUPED, sequential view, SRM and guardrails, "
    "read through the query gate as you.",
}


def _definition_html(page: BoardPage, tile: Tile) -> str:
    relation = tile.relation
    docs = page.docs.get(relation or "", {})
    if tile.kind is TileKind.EXPERIMENTS:
        relation, docs = "experiments/*.yaml", _EXPERIMENT_DOCS
    items = "".join(
        f"<dt>{_e(c)}</dt><dd>{_e(docs.get(c, 'undocumented'))}</dd>"
        for c in (tile.columns or tuple(docs))
    )
    note = f"<p>{_e(tile.note)}</p>" if tile.note else ""
    return (
        f'<details class="definition"><summary>Definition</summary>{note}'
        f"<p>From <code>{_e(relation)}</code>.</p><dl>{items}</dl></details>"
    )


def _table_html(data: TileData) -> str:
    # The experiments list is the tile itself: its table (with the report links) is open.
    opened = " open" if data.tile.kind is TileKind.EXPERIMENTS else ""
    head = "".join(f"<th>{_e(c)}</th>" for c in data.columns)
    rows = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in data.rows)
    return (
        f'<details class="data"{opened}><summary>Data</summary>'
        f'<table class="tile-data"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
        "</details>"
    )


def _cell(value: object) -> str:
    text = cell_text(value)
    if text.startswith("/dashboards/experiments/"):
        return f'<td><a href="{_e(text)}">{_e(text)}</a></td>'
    return f"<td>{_e(text)}</td>"


def cell_text(value: object) -> str:
    """A value as the data table and the CSV write it (the same text in both)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    iso = getattr(value, "isoformat", None)
    return str(iso()) if callable(iso) else str(value)
