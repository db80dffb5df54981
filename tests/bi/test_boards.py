"""Dashboards as code: the shipped boards load, name documented dataset columns, and a
mistake is DASHBOARD_INVALID naming the file and the path."""

from __future__ import annotations

from typing import Any

import pytest

from rastup_data.bi.boards import Measure, MeasureKind, TileKind, load_dashboards, parse_dashboard
from rastup_data.bi.home import dashboards_dir
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.transform.manifest import project_manifest

SIX = {"executive", "city_ops", "trust", "finance", "growth", "comms"}


def _board(**tile: Any) -> dict[str, Any]:
    base = {"key": "t", "title": "T", "kind": "trend", "dataset": "ds_x", "measure": {"sum": "a"}}
    return {"version": 1, "key": "b", "title": "B", "tiles": [{**base, **tile}]}


def test_the_six_shipped_dashboards_read_documented_columns_of_extracts(built_lake: Any) -> None:
    boards = load_dashboards(dashboards_dir())
    assert {b.key for b in boards} == SIX
    project = project_manifest(built_lake.layout)
    for board in boards:
        for tile in board.tiles:
            if tile.dataset is None:
                continue
            model = project.by_name(tile.dataset)
            assert model is not None, tile.dataset
            assert "extract" in model.tags
            documented = {c.name: c.description for c in model.columns}
            for column in tile.columns:
                assert documented.get(column), f"{board.key}/{tile.key}: {column}"
    kinds = {t.kind for b in boards for t in b.tiles}
    assert kinds == set(TileKind)


@pytest.mark.parametrize(
    ("document", "where"),
    [
        ({**_board(), "colour": "red"}, "colour: unknown key"),
        (_board(kind="pie"), "tiles[0].kind: 'pie' is not one of"),
        (_board(measure={"sum": "a", "ratio": ["a", "b"]}), "give exactly one of"),
        (_board(measure={"ratio": ["a"]}), "ratio takes 2 to 9 columns"),
        (_board(measure={"median": "a"}), "tiles[0].measure.median: unknown key"),
        (_board(format="euros"), "tiles[0].format"),
        (_board(kind="live"), "a live tile needs a view"),
        (_board(kind="live", view="everything"), "tiles[0].view"),
        (_board(kind="breakdown", measure=None), "needs series, or by and a measure"),
        ({"version": 1, "key": "b", "title": "B", "tiles": []}, "at least one tile"),
    ],
)
def test_mistakes_name_the_file_and_path(document: dict[str, Any], where: str) -> None:
    if document["tiles"] and document["tiles"][0].get("measure") is None:
        document["tiles"][0].pop("measure")
    with pytest.raises(RastupError) as caught:
        parse_dashboard(document, source="dashboards/b.yaml")
    assert caught.value.code is ErrorCode.DASHBOARD_INVALID
    assert caught.value.message.startswith("dashboards/b.yaml: ")
    assert where in caught.value.message


def test_measures_compute_from_additive_parts() -> None:
    ratio = Measure(MeasureKind.RATIO, ("passed", "passed", "failed"))
    assert ratio.parts() == ("sum(passed)", "sum(passed)", "sum(failed)")
    assert ratio.value((8, 8, 2)) == 0.8
    assert ratio.value((0, 0, 0)) is None
    variance = Measure(MeasureKind.VARIANCE, ("c", "p", "r", "f"))
    assert variance.value((100, 50, 30, 40)) == 20
    weighted = Measure(MeasureKind.WEIGHTED_MEAN, ("median", "legs"))
    assert weighted.parts()[1] == "sum(CASE WHEN median IS NOT NULL THEN legs END)"
    assert weighted.value((10 * 3 + 20 * 1, 4)) == 12.5
