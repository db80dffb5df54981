"""Plotly figures of tiles (plain JSON for Plotly.js), and how numbers are written."""

from __future__ import annotations

from typing import Any

from rastup_data.bi.boards import TileKind
from rastup_data.bi.tiles import TileData

__all__ = ["change_text", "figure", "format_value"]

_COLOR = "#2f6fde"
_LAYOUT: dict[str, Any] = {
    "margin": {"l": 48, "r": 12, "t": 8, "b": 36},
    "height": 220,
    "paper_bgcolor": "rgba(0,0,0,0)",
    "plot_bgcolor": "rgba(0,0,0,0)",
    "font": {"family": "system-ui, sans-serif", "size": 12},
    "showlegend": False,
}


def figure(data: TileData) -> dict[str, Any]:
    """The tile's chart: a line over days, bars per series or category, or a funnel."""
    values = [_scaled(v, data.tile.format) for v in data.values]
    kind = data.tile.kind
    if kind is TileKind.FUNNEL:
        trace: dict[str, Any] = {
            "type": "funnel",
            "y": data.labels,
            "x": values,
            "marker": {"color": _COLOR},
            "textinfo": "value+percent initial",
        }
    elif kind is TileKind.TREND or (kind is TileKind.LIVE and data.tile.view == "recon"):
        trace = {
            "type": "scatter",
            "mode": "lines+markers",
            "x": data.labels,
            "y": values,
            "line": {"color": _COLOR},
        }
    else:
        trace = {"type": "bar", "x": data.labels, "y": values, "marker": {"color": _COLOR}}
    layout = dict(_LAYOUT)
    if kind is TileKind.FUNNEL:
        layout["margin"] = {**_LAYOUT["margin"], "l": 150}
    return {"data": [trace], "layout": layout}


def format_value(value: float | None, fmt: str) -> str:
    """A number as a tile writes it: counts, dollars (from cents), percents, durations."""
    if value is None:
        return "–"
    if fmt == "money":
        return f"${value / 100:,.2f}"
    if fmt == "percent":
        return f"{value * 100:.1f} %"
    if fmt == "minutes":
        return f"{value:,.1f} min"
    if fmt == "hours":
        return f"{value:,.1f} h"
    return f"{value:,.0f}"


def change_text(current: float | None, previous: float | None, fmt: str) -> str:
    """The change against the prior period: points for percents, a relative change else."""
    if current is None or previous is None:
        return "no prior period data"
    if fmt == "percent":
        points = (current - previous) * 100
        return f"{_arrow(points)} {abs(points):.1f} pp vs prior period"
    if previous == 0:
        return "prior period was 0"
    relative = (current - previous) / abs(previous) * 100
    return f"{_arrow(relative)} {abs(relative):.1f} % vs prior period"


def _arrow(delta: float) -> str:
    return "▲" if delta > 0 else "▼" if delta < 0 else "="


def _scaled(value: float | None, fmt: str) -> float | None:
    if value is None:
        return None
    if fmt == "money":
        return value / 100
    if fmt == "percent":
        return value * 100
    return value
