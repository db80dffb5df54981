"""A process parses the dbt project once and reuses it while nothing the parse reads changes."""

from __future__ import annotations

import json
from pathlib import Path

from bronze_fixture import envelope, write_bronze

from rastup_data.lake.layout import LakeLayout
from rastup_data.transform import BuildOptions, _dbt, build, open_published
from rastup_data.transform._dbt import _ParseKey
from rastup_data.transform.warehouse import warehouse_dirs

VARS = {
    "lake_path": "/lake",
    "warehouse_path": "/work/warehouse/builds/_staging.duckdb",
    "bronze_from": "",
    "bronze_to": "",
}


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    (project / "models").mkdir(parents=True)
    (project / "models" / "a.sql").write_text("select 1 as x\n")
    return project


def test_vars_read_only_when_nodes_run_keep_the_parse(tmp_path: Path) -> None:
    project = _project(tmp_path)
    key = _ParseKey.of(project, VARS, None)
    window = {**VARS, "bronze_from": "2026-01-01", "bronze_to": "2026-01-03"}
    assert _ParseKey.of(project, window, None) == key
    # The NRT state file has the staging file's name: same catalog, same parse.
    state = {**VARS, "warehouse_path": "/work/warehouse/_nrt/_staging.duckdb"}
    assert _ParseKey.of(project, state, None) == key


def test_what_the_parse_depends_on_makes_a_new_parse(tmp_path: Path) -> None:
    project = _project(tmp_path)
    key = _ParseKey.of(project, VARS, None)
    assert _ParseKey.of(project, {**VARS, "lake_path": "/other"}, None) != key
    assert _ParseKey.of(project, {**VARS, "warehouse_path": "/w/state.duckdb"}, None) != key
    assert _ParseKey.of(project, VARS, "spark") != key
    (project / "models" / "a.sql").write_text("select 2 as x\n")
    assert _ParseKey.of(project, VARS, None) != key
    (project / "models" / "b.sql").write_text("select 1 as y\n")
    assert _ParseKey.of(project, VARS, None) != key


def test_the_nrt_refresh_after_a_build_reuses_the_builds_parse(layout: LakeLayout) -> None:
    payload = {"payout_id": "po_1", "amount_cents": 100, "currency": "USD"}
    payload |= {"provider_id": "p_1", "booking_id": "bk_1", "leg_id": "lg_1"}
    write_bronze(layout, [envelope("payout.created", "2026-01-01 00:00", payload)], name="a")
    result = build(layout, BuildOptions(quality_gates=False))
    assert result.nrt is not None
    dirs = warehouse_dirs(layout)
    # Both invocations ran and wrote their manifest, but only the build parsed the project
    # (dbt writes its partial-parse file when it parses).
    assert (dirs.dbt_target("build") / "partial_parse.msgpack").exists()
    assert (dirs.dbt_target("nrt") / "manifest.json").exists()
    assert not (dirs.dbt_target("nrt") / "partial_parse.msgpack").exists()
    with open_published(layout) as conn:
        sql = "SELECT payouts, amount_cents FROM nrt.ops_payout_backlog"
        backlog = conn.execute(sql).fetchall()
    assert backlog == [(1, 100)]


def test_a_new_process_reuses_the_nodes_parse_for_another_window(layout: LakeLayout) -> None:
    """dbt's partial parse in the work folder outlives the process that wrote it, whatever
    Bronze window the next build reads: only the node's first build parses the project."""
    payload = {"payout_id": "po_1", "amount_cents": 100, "currency": "USD"}
    payload |= {"provider_id": "p_1", "booking_id": "bk_1", "leg_id": "lg_1"}
    write_bronze(layout, [envelope("payout.created", "2026-01-01 00:00", payload)], name="a")
    build(layout, BuildOptions(quality_gates=False, with_nrt=False))
    perf = warehouse_dirs(layout).dbt_target("build") / "perf_info.json"
    assert json.loads(perf.read_text())["parsed_path_count"] > 0
    _dbt._PARSED.clear()  # what a new process starts with
    write_bronze(layout, [envelope("payout.paid", "2026-01-02 00:00", payload)], name="b")
    result = build(layout, BuildOptions(quality_gates=False, with_nrt=False))
    assert result.bronze_from is not None  # an incremental build: other vars than the first
    assert json.loads(perf.read_text())["parsed_path_count"] == 0
    with open_published(layout) as conn:
        events = conn.execute("SELECT count(*) FROM silver.fact_payouts").fetchall()
    assert events == [(2,)]
