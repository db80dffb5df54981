"""Repeated dashboard queries are answered from the secure session's memo: only on the same
extract snapshots, only to principals of the same scope, and every view is still audited."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from typing import Any

import duckdb
import httpx
import pytest
from click.testing import CliRunner
from tests.bi.conftest import DashboardSite

from rastup_data.bi.boards import TileKind, load_dashboards
from rastup_data.bi.extracts import current_snapshot, publish_snapshot, stage_snapshot
from rastup_data.bi.home import dashboards_dir
from rastup_data.bi.tiles import Filters, tile_data
from rastup_data.bi.usage import tile_views
from rastup_data.cli import cli
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.governance import AuditLog, Gate, GatedResult, Principal, QueryPath
from rastup_data.governance.memo import MAX_ANSWER_BYTES
from rastup_data.lake.layout import LakeLayout
from rastup_data.state import open_state

_BY_CITY = (
    "-- tile: comms/by_city\n"
    "SELECT city, sum(sent) AS sent FROM datasets.ds_comms WHERE dt BETWEEN ? AND ? "
    "GROUP BY city ORDER BY city"
)
_DAYS = (date(2020, 1, 1), date(2030, 1, 1))


def _refresh(lake: LakeLayout) -> None:
    result = CliRunner().invoke(cli, ["bi", "refresh", "ds_comms", "--lake", str(lake.root)])
    assert result.exit_code == 0, result.output


def _republish_doubled(lake: LakeLayout) -> None:
    """A new ds_comms snapshot with every ``sent`` doubled, published by its pointer."""
    current = current_snapshot(lake.lake, "ds_comms")
    assert current is not None
    conn = duckdb.connect()
    source = f"read_parquet('{lake.lake.uri(current.folder)}/*.parquet')"
    conn.execute(f"CREATE VIEW doubled AS SELECT * REPLACE (sent * 2 AS sent) FROM {source}")
    staged = stage_snapshot(lake, conn, "ds_comms", source="doubled", now=datetime.now(UTC))
    publish_snapshot(lake.lake, staged)
    conn.close()


def test_a_repeated_query_is_remembered_until_a_refresh_switches_the_extract(
    bi_lake: LakeLayout,
) -> None:
    _refresh(bi_lake)
    who = Principal("ops", "admin")
    with Gate.open(bi_lake.root) as gate:
        first = gate.run(who, _BY_CITY, path=QueryPath.DASHBOARD, params=_DAYS)
        again = gate.run(who, _BY_CITY, path=QueryPath.DASHBOARD, params=_DAYS)
        assert first.scanned_bytes > 0
        assert again.scanned_bytes == 0  # answered from the memo: nothing read
        assert again.rows == first.rows
        other_days = gate.run(who, _BY_CITY, path=QueryPath.DASHBOARD, params=_DAYS[::-1])
        assert other_days.scanned_bytes > 0  # other parameters are another answer
        _republish_doubled(bi_lake)
        switched = gate.run(who, _BY_CITY, path=QueryPath.DASHBOARD, params=_DAYS)
        assert switched.scanned_bytes > 0
        assert [(c, 2 * s) for c, s in first.rows] == list(switched.rows)
        _refresh(bi_lake)  # a real refresh: the build's numbers again
        refreshed = gate.run(who, _BY_CITY, path=QueryPath.DASHBOARD, params=_DAYS)
        assert refreshed.scanned_bytes > 0
        assert refreshed.rows == first.rows


def test_a_scoped_analyst_never_gets_another_scopes_answer(bi_lake: LakeLayout) -> None:
    _refresh(bi_lake)
    admin = Principal("ops", "admin")
    sfo = Principal("sfo-analyst", "analyst", frozenset({"sfo"}))
    nyc = Principal("nyc-analyst", "analyst", frozenset({"nyc"}))
    with Gate.open(bi_lake.root) as gate:
        every = dict(gate.run(admin, _BY_CITY, path=QueryPath.DASHBOARD, params=_DAYS).rows)
        for _ in range(2):  # the second time from sfo's memo
            assert gate.run(sfo, _BY_CITY, path=QueryPath.DASHBOARD, params=_DAYS).rows == (
                ("sfo", every["sfo"]),
            )
        for _ in range(2):
            seen = gate.run(nyc, _BY_CITY, path=QueryPath.DASHBOARD, params=_DAYS)
            assert seen.rows == (("nyc", every["nyc"]),)
        assert seen.scanned_bytes == 0  # nyc's own memo answered
        assert every["nyc"] != every["sfo"]


def test_volatile_and_non_dashboard_queries_always_run(bi_lake: LakeLayout) -> None:
    _refresh(bi_lake)
    who = Principal("ops", "admin")
    now_sql = "SELECT count(*), now() FROM datasets.ds_comms WHERE dt BETWEEN ? AND ?"
    with Gate.open(bi_lake.root) as gate:
        for sql, path in ((now_sql, QueryPath.DASHBOARD), (_BY_CITY, QueryPath.HTTP)):
            runs = [gate.run(who, sql, path=path, params=_DAYS) for _ in range(2)]
            assert all(r.scanned_bytes > 0 for r in runs), sql


def test_every_view_is_audited_and_counted_when_answered_from_the_memo(
    bi_lake: LakeLayout,
) -> None:
    _refresh(bi_lake)
    comms = next(b for b in load_dashboards(dashboards_dir()) if b.key == "comms")
    tile = comms.tiles[0]
    filters = Filters(date(2026, 11, 1), date(2026, 11, 4))
    with Gate.open(bi_lake.root) as gate:
        reader = Principal("reader", "viewer")
        shown = [tile_data(gate, reader, comms, tile, filters) for _ in range(3)]
    assert shown[0].rows
    assert all(s.rows == shown[0].rows for s in shown)
    with open_state(lake=bi_lake.root) as state:
        audit = AuditLog(state)
        records = [r for r in audit.records() if r.sql.startswith(f"-- tile: comms/{tile.key}\n")]
        views = tile_views(audit, since=datetime(2020, 1, 1, tzinfo=UTC))
        assert audit.verify().ok
    assert [r.status for r in records] == ["ok"] * 3
    assert records[0].scanned_bytes > 0
    assert [r.scanned_bytes for r in records[1:]] == [0, 0]
    assert views[("comms", tile.key)] == 3


def test_each_page_view_on_serve_audits_every_tile(dashboard_site: DashboardSite) -> None:
    def dashboard_records() -> int:
        with open_state(lake=dashboard_site.layout.root) as state:
            return sum(
                1
                for r in AuditLog(state).records(principal="nyc-analyst")
                if r.path == "dashboard" and r.status == "ok"
            )

    headers = {"Authorization": f"Bearer {dashboard_site.nyc}"}
    counts = [dashboard_records()]
    for _ in range(3):
        page = httpx.get(dashboard_site.board("comms"), headers=headers, timeout=60)
        assert page.status_code == 200
        assert "sfo" not in page.text
        counts.append(dashboard_records())
    per_view = [b - a for a, b in itertools.pairwise(counts)]
    assert per_view[0] > 0
    assert per_view == [per_view[0]] * 3


def test_a_session_copy_of_an_extract_is_only_read_through_its_secure_view(
    bi_lake: LakeLayout,
) -> None:
    """Small pinned extracts are copied into the session; the copy (every city) is not a
    relation anyone can name: a scoped analyst still sees their city only."""
    _refresh(bi_lake)
    nyc = Principal("nyc-analyst", "analyst", frozenset({"nyc"}))
    with Gate.open(bi_lake.root) as gate:
        seen = gate.run(nyc, _BY_CITY, path=QueryPath.DASHBOARD, params=_DAYS)
        assert [r[0] for r in seen.rows] == ["nyc"]
        for name in ('__snap."datasets.ds_comms"', "__snap.ds_comms", '"datasets.ds_comms"'):
            with pytest.raises(RastupError) as refused:
                gate.run(nyc, f"SELECT DISTINCT city FROM {name}", path=QueryPath.DASHBOARD)
            assert refused.value.code in {ErrorCode.ACCESS_DENIED, ErrorCode.QUERY_INVALID}


class _SizedGate(Gate):
    """The real gate, noting the measured bytes of every answer it gives."""

    sizes: list[int]

    def run(self, *args: Any, **kwargs: Any) -> GatedResult:
        gated = super().run(*args, **kwargs)
        self.sizes.append(gated.result.nbytes)
        return gated


def test_no_dashboard_tile_comes_near_the_answer_byte_budget(bi_lake: LakeLayout) -> None:
    result = CliRunner().invoke(cli, ["bi", "refresh", "--lake", str(bi_lake.root)])
    assert result.exit_code == 0, result.output
    boards = load_dashboards(dashboards_dir())
    # Every day the lake could hold, so each tile reads all it has.
    filters = Filters(date(2000, 1, 1), date(2099, 12, 31))
    with _SizedGate.open(bi_lake.root) as gate:
        assert isinstance(gate, _SizedGate)
        gate.sizes = []
        shown = [
            tile_data(gate, Principal("ops", "admin"), board, tile, filters)
            for board in boards
            for tile in board.tiles
            if tile.kind is not TileKind.EXPERIMENTS  # the experiments' reports, not SQL
        ]
        budget = min(role.limits.max_answer_bytes for role in gate.policy.roles.values())
    assert sum(1 for s in shown if s.rows) > len(shown) // 2
    assert len(gate.sizes) >= len(shown)
    # Tiles are small aggregates: each answer is kept by the memo, far below any budget.
    assert 0 < max(gate.sizes) <= MAX_ANSWER_BYTES <= budget // 64
