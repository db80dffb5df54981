"""Dashboards as code: ``dashboards/<key>.yaml``, validated strictly into records.

A dashboard is a title and a list of tiles; a tile reads one dataset (an extract) or one
NRT view, and says what it shows::

    version: 1
    key: executive
    title: Executive
    tiles:
      - key: gmv
        title: GMV
        dataset: ds_kpi_marketplace
        kind: trend                   # trend | breakdown | funnel | live | experiments
        measure: {sum: gmv_cents}     # sum | ratio | variance | weighted_mean
        format: money                 # count | money | percent | minutes | hours

``breakdown`` and ``funnel`` tiles list ``series`` (columns summed side by side) or give a
``by`` column and a ``measure``; ``live`` tiles name an NRT ``view`` (refreshed in place).
A mistake is ``DASHBOARD_INVALID`` naming the file and the path inside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import yaml

from rastup_data.environments.document import DocumentChecker, join_path
from rastup_data.errors import ErrorCode, RastupError

__all__ = [
    "LIVE_VIEWS",
    "Dashboard",
    "Measure",
    "MeasureKind",
    "Tile",
    "TileKind",
    "load_dashboards",
    "parse_dashboard",
]

#: The NRT views a live tile can show, and the view each reads.
LIVE_VIEWS = {
    "payout_backlog": "nrt.ops_payout_backlog",
    "dispute_queue": "nrt.ops_dispute_queue",
    "recon": "nrt.ops_recon",
    "watermark": "nrt.lake_watermark",
}
FORMATS = ("count", "money", "percent", "minutes", "hours")
_TILE_KEYS = (
    "key",
    "title",
    "kind",
    "dataset",
    "measure",
    "series",
    "by",
    "format",
    "view",
    "note",
    "alarm",
)


class TileKind(str, Enum):
    TREND = "trend"
    BREAKDOWN = "breakdown"
    FUNNEL = "funnel"
    LIVE = "live"
    EXPERIMENTS = "experiments"


class MeasureKind(str, Enum):
    """How a tile's number is made from sums of dataset columns over the selected rows.

    ``sum``: Σ a; ``ratio``: Σ a / Σ (b + c …); ``variance``: |Σ a − Σ (b + c …)|;
    ``weighted_mean``: Σ (a·w) / Σ w over rows where a is not null (e.g. a median per day
    and city weighted by the legs it is the median of)."""

    SUM = "sum"
    RATIO = "ratio"
    VARIANCE = "variance"
    WEIGHTED_MEAN = "weighted_mean"


@dataclass(frozen=True, slots=True)
class Measure:
    kind: MeasureKind
    columns: tuple[str, ...]

    def parts(self) -> tuple[str, ...]:
        """The SQL aggregates the measure is computed from (over any group of rows)."""
        if self.kind is MeasureKind.WEIGHTED_MEAN:
            value, weight = self.columns
            return (
                f"sum({value} * {weight})",
                f"sum(CASE WHEN {value} IS NOT NULL THEN {weight} END)",
            )
        return tuple(f"sum({c})" for c in self.columns)

    def value(self, sums: tuple[Any, ...]) -> float | None:
        """The measure of aggregates in the order of :meth:`parts` (None: no denominator)."""
        numbers = [0.0 if s is None else float(s) for s in sums]
        if self.kind is MeasureKind.SUM:
            return numbers[0]
        if self.kind is MeasureKind.VARIANCE:
            return abs(numbers[0] - sum(numbers[1:]))
        numerator = numbers[0]
        denominator = sum(numbers[1:])
        return None if denominator == 0 else numerator / denominator


@dataclass(frozen=True, slots=True)
class Tile:
    key: str
    title: str
    kind: TileKind
    dataset: str | None = None
    measure: Measure | None = None
    series: tuple[str, ...] = ()
    by: str | None = None
    format: str = "count"
    view: str | None = None
    note: str = ""
    #: The build alert that puts this tile in an alarm state (e.g. the recon variance).
    alarm: str | None = None

    @property
    def relation(self) -> str | None:
        if self.kind is TileKind.LIVE and self.view is not None:
            return LIVE_VIEWS[self.view]
        return f"datasets.{self.dataset}" if self.dataset else None

    @property
    def columns(self) -> tuple[str, ...]:
        """The dataset columns the tile reads (their dbt docs are its definition)."""
        measured = self.measure.columns if self.measure else ()
        return tuple(dict.fromkeys((*measured, *self.series, *((self.by,) if self.by else ()))))


@dataclass(frozen=True, slots=True)
class Dashboard:
    key: str
    title: str
    description: str
    tiles: tuple[Tile, ...]
    source: str = ""
    live_refresh_s: int = 15
    extra: dict[str, Any] = field(default_factory=dict)

    def tile(self, key: str) -> Tile | None:
        return next((t for t in self.tiles if t.key == key), None)

    @property
    def datasets(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.dataset for t in self.tiles if t.dataset))


def load_dashboards(folder: Path) -> tuple[Dashboard, ...]:
    """Every ``*.yaml`` of ``folder`` except ``refresh.yaml``, sorted by file name."""
    boards = []
    for path in sorted(folder.glob("*.yaml")):
        if path.name == "refresh.yaml":
            continue
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise RastupError(
                ErrorCode.DASHBOARD_INVALID, f"{path}: cannot be read as YAML: {exc}"
            ) from exc
        boards.append(parse_dashboard(document, source=str(path)))
    keys = [b.key for b in boards]
    duplicated = sorted({k for k in keys if keys.count(k) > 1})
    if duplicated:
        raise RastupError(
            ErrorCode.DASHBOARD_INVALID,
            f"{folder}: dashboard key defined twice: {', '.join(duplicated)}.",
        )
    return tuple(boards)


def parse_dashboard(document: Any, *, source: str = "<dashboard>") -> Dashboard:
    check = DocumentChecker(source, ErrorCode.DASHBOARD_INVALID)
    body = check.mapping(
        document,
        "",
        required=("version", "key", "title", "tiles"),
        optional=("description", "live_refresh_s"),
    )
    if body["version"] != 1:
        check.fail("version", f"expected 1, got {body['version']!r}")
    items = check.items(body["tiles"], "tiles")
    if not items:
        check.fail("tiles", "a dashboard needs at least one tile")
    tiles = tuple(_tile(check, item, f"tiles[{i}]") for i, item in enumerate(items))
    keys = [t.key for t in tiles]
    if len(set(keys)) != len(keys):
        check.fail("tiles", "tile keys must be unique")
    return Dashboard(
        key=check.name(body["key"], "key"),
        title=check.text(body["title"], "title"),
        description=check.text(body.get("description", body["title"]), "description"),
        tiles=tiles,
        source=source,
        live_refresh_s=check.positive_int(body.get("live_refresh_s", 15), "live_refresh_s"),
    )


def _tile(check: DocumentChecker, value: Any, path: str) -> Tile:
    body = check.mapping(value, path, required=("key", "title", "kind"), optional=_TILE_KEYS)
    kind = TileKind(check.choice(body["kind"], join_path(path, "kind"), _values(TileKind)))
    tile = Tile(
        key=check.name(body["key"], join_path(path, "key")),
        title=check.text(body["title"], join_path(path, "title")),
        kind=kind,
        dataset=_optional_name(check, body, "dataset", path),
        measure=_measure(check, body["measure"], join_path(path, "measure"))
        if "measure" in body
        else None,
        series=tuple(check.strings(body.get("series", []), join_path(path, "series"))),
        by=_optional_name(check, body, "by", path),
        format=check.choice(body.get("format", "count"), join_path(path, "format"), FORMATS),
        view=_optional_view(check, body, path),
        note=check.text(body["note"], join_path(path, "note")) if "note" in body else "",
        alarm=_optional_name(check, body, "alarm", path),
    )
    _check_shape(check, tile, path)
    return tile


def _check_shape(check: DocumentChecker, tile: Tile, path: str) -> None:
    """Each kind needs its own keys: a dataset and a measure or series; a live view."""
    if tile.kind is TileKind.LIVE:
        if tile.view is None:
            check.fail(path, "a live tile needs a view")
        return
    if tile.kind is TileKind.EXPERIMENTS:
        return
    if tile.dataset is None:
        check.fail(path, f"a {tile.kind.value} tile needs a dataset")
    if tile.kind is TileKind.TREND and tile.measure is None:
        check.fail(path, "a trend tile needs a measure")
    if tile.kind in (TileKind.BREAKDOWN, TileKind.FUNNEL) and not (
        tile.series or (tile.by and tile.measure)
    ):
        check.fail(path, f"a {tile.kind.value} tile needs series, or by and a measure")


def _measure(check: DocumentChecker, value: Any, path: str) -> Measure:
    body = check.mapping(value, path, optional=_values(MeasureKind))
    if len(body) != 1:
        check.fail(path, f"give exactly one of {', '.join(_values(MeasureKind))}")
    ((name, columns),) = body.items()
    kind = MeasureKind(name)
    listed = [columns] if isinstance(columns, str) else columns
    names = tuple(check.strings(listed, join_path(path, name)))
    wanted = {MeasureKind.SUM: (1, 1), MeasureKind.WEIGHTED_MEAN: (2, 2)}.get(kind, (2, 9))
    if not wanted[0] <= len(names) <= wanted[1]:
        check.fail(join_path(path, name), f"{name} takes {wanted[0]} to {wanted[1]} columns")
    for index, column in enumerate(names):
        check.name(column, join_path(join_path(path, name), index))
    return Measure(kind, names)


def _optional_name(check: DocumentChecker, body: dict[str, Any], key: str, path: str) -> str | None:
    return check.name(body[key], join_path(path, key)) if key in body else None


def _optional_view(check: DocumentChecker, body: dict[str, Any], path: str) -> str | None:
    if "view" not in body:
        return None
    return check.choice(body["view"], join_path(path, "view"), tuple(LIVE_VIEWS))


def _values(enum: type[Enum]) -> tuple[str, ...]:
    return tuple(str(member.value) for member in enum)
