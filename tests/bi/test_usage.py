"""Tile views are counted from the gate's audit log; `bi unused` lists the tiles nobody read;
`bi status` and `bi refresh` on the command line."""

from __future__ import annotations

from datetime import UTC, date, datetime

import orjson
from click.testing import CliRunner

from rastup_data.bi.boards import load_dashboards
from rastup_data.bi.home import dashboards_dir
from rastup_data.bi.tiles import Filters, tile_data
from rastup_data.bi.usage import tile_views, unused_tiles
from rastup_data.cli import cli
from rastup_data.governance import AuditLog, Gate, Principal
from rastup_data.lake.layout import LakeLayout
from rastup_data.state import open_state


def test_views_come_from_the_audit_and_unused_tiles_are_the_rest(bi_lake: LakeLayout) -> None:
    result = CliRunner().invoke(cli, ["bi", "refresh", "ds_comms", "--lake", str(bi_lake.root)])
    assert result.exit_code == 0, result.output
    boards = {b.key: b for b in load_dashboards(dashboards_dir())}
    comms = boards["comms"]
    with Gate.open(bi_lake.root) as gate:
        who = Principal("reader", "viewer")
        filters = Filters(date(2026, 11, 1), date(2026, 11, 4))
        for _ in range(2):
            tile_data(gate, who, comms, comms.tiles[0], filters)
        tile_data(gate, who, comms, comms.tiles[1], filters)
    with open_state(lake=bi_lake.root) as state:
        audit = AuditLog(state)
        views = tile_views(audit, since=datetime(2020, 1, 1, tzinfo=UTC))
        unused = unused_tiles(list(boards.values()), audit, now=datetime.now(UTC), days=30)
    assert views == {("comms", comms.tiles[0].key): 2, ("comms", comms.tiles[1].key): 1}
    assert ("comms", comms.tiles[0].key) not in unused
    assert ("comms", comms.tiles[2].key) in unused
    assert len(unused) == sum(len(b.tiles) for b in boards.values()) - 2
    listed = CliRunner().invoke(
        cli, ["bi", "unused", "--days", "30", "--format", "json", "--lake", str(bi_lake.root)]
    )
    assert listed.exit_code == 0, listed.output
    assert {(r["dashboard"], r["tile"]) for r in orjson.loads(listed.stdout)} == set(unused)


def test_status_json_and_an_unknown_dataset_on_the_command_line(bi_lake: LakeLayout) -> None:
    runner = CliRunner()
    assert (
        runner.invoke(cli, ["bi", "refresh", "ds_trust", "--lake", str(bi_lake.root)]).exit_code
        == 0
    )
    status = runner.invoke(cli, ["bi", "status", "--format", "json", "--lake", str(bi_lake.root)])
    assert status.exit_code == 0, status.output
    document = orjson.loads(status.stdout)
    trust = next(d for d in document["datasets"] if d["dataset"] == "ds_trust")
    assert trust["rows"] > 0
    assert trust["success_ratio_30d"] == 1.0
    assert document["capacity"]["configured_bytes"] > document["capacity"]["used_bytes"] > 0
    unknown = runner.invoke(cli, ["bi", "refresh", "ds_nope", "--lake", str(bi_lake.root)])
    assert unknown.exit_code == 2
    assert "CONFIG_INVALID" in unknown.output


def test_pinned_dashboards_turn_the_live_tiles_off(bi_lake: LakeLayout) -> None:
    from rastup_data.bi.service import PINNED_CONTROL, DashboardService, FilterText
    from rastup_data.state.controls import OpsControls

    service = DashboardService(bi_lake, dashboards_dir())
    board = service.board("city_ops")
    live = service.tile(board, "payout_backlog_live")
    with Gate.open(bi_lake.root) as gate:
        who = Principal("ops", "admin")
        filters = service.filters(board, FilterText("2026-11-01", "2026-11-04"))
        assert service.data(gate, who, board, live, filters).has_data
        OpsControls(gate.state).set(PINNED_CONTROL, "1", by="test", reason="high spend")
        pinned = service.data(gate, who, board, live, filters)
    assert pinned.unavailable is not None
    assert "pinned to the extracts" in pinned.unavailable
