"""A process parses the dbt project once and reuses it while nothing the parse reads changes;
the parse is made in the user's cache, where the next process and every other lake reuse it."""

from __future__ import annotations

import gc
import json
import os
import shutil
import time
import weakref
from pathlib import Path

import pytest
from bronze_fixture import envelope, write_bronze
from click.testing import CliRunner

from rastup_data.cli import cli
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.lake.layout import LakeLayout
from rastup_data.transform import BuildOptions, _dbt, build, open_published, prepare_build
from rastup_data.transform._dbt import (
    _ParseKey,
    _shared_parse_dir,
    dbt_project_dir,
    installed_parse_manifest,
)
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
    # A local lake's Bronze is relative to lake_path, which only running nodes read.
    assert _ParseKey.of(project, {**VARS, "lake_path": "/other"}, None) == key


def test_what_the_parse_depends_on_makes_a_new_parse(tmp_path: Path) -> None:
    project = _project(tmp_path)
    key = _ParseKey.of(project, VARS, None)
    assert _ParseKey.of(project, {**VARS, "lake_prefix": "s3://b/lake/"}, None) != key
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
    # Both invocations ran and wrote their manifest; the project was parsed once, in the
    # shared parse folder (dbt writes its partial-parse file where it parses).
    assert (_parse_dir() / "partial_parse.msgpack").exists()
    assert (dirs.dbt_target("build") / "manifest.json").exists()
    assert (dirs.dbt_target("nrt") / "manifest.json").exists()
    assert not (dirs.dbt_target("build") / "partial_parse.msgpack").exists()
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
    _dbt._PARSED.clear()
    build(layout, BuildOptions(quality_gates=False, with_nrt=False))
    perf = _parse_dir() / "perf_info.json"
    _dbt._PARSED.clear()  # what a new process starts with
    write_bronze(layout, [envelope("payout.paid", "2026-01-02 00:00", payload)], name="b")
    result = build(layout, BuildOptions(quality_gates=False, with_nrt=False))
    assert result.bronze_from is not None  # an incremental build: other vars than the first
    assert json.loads(perf.read_text())["parsed_path_count"] == 0  # dbt's partial parse
    with open_published(layout) as conn:
        events = conn.execute("SELECT count(*) FROM silver.fact_payouts").fetchall()
    assert events == [(2,)]


def _parse_dir() -> Path:
    folder = _shared_parse_dir(dbt_project_dir(), None)
    assert folder is not None
    return folder


def _payout_lake(root: Path, amounts: list[int]) -> LakeLayout:
    layout = LakeLayout(root)
    for n, amount in enumerate(amounts):
        payload = {"payout_id": f"po_{n}", "amount_cents": amount, "currency": "USD"}
        payload |= {"provider_id": "p_1", "booking_id": f"bk_{n}", "leg_id": f"lg_{n}"}
        event = envelope("payout.created", "2026-01-01 00:00", payload)
        write_bronze(layout, [event], name=f"f{n}")
    return layout


def _payouts(layout: LakeLayout) -> list[tuple[int, int]]:
    with open_published(layout, with_nrt=False) as conn:
        sql = "SELECT count(*), sum(amount_cents) FROM silver.fact_payouts"
        return [(int(n), int(total)) for n, total in conn.execute(sql).fetchall()]


def test_a_new_lake_in_a_new_process_reuses_the_parse_and_reads_its_own_bronze(
    tmp_path: Path,
) -> None:
    """The parse names no lake: the next lake's first build parses nothing and still reads
    that lake's Bronze, not the one the parse was made for."""
    _dbt._PARSED.clear()
    first = _payout_lake(tmp_path / "first", [100])
    build(first, BuildOptions(quality_gates=False, with_nrt=False))
    perf = _parse_dir() / "perf_info.json"
    assert (tmp_path / "first" / "_node").is_dir()
    _dbt._PARSED.clear()  # what a new process starts with
    second = _payout_lake(tmp_path / "second", [200, 300])
    build(second, BuildOptions(quality_gates=False))
    assert json.loads(perf.read_text())["parsed_path_count"] == 0
    assert _payouts(first) == [(1, 100)]
    assert _payouts(second) == [(2, 500)]
    with open_published(second) as conn:
        assert conn.execute("SELECT payouts FROM nrt.ops_payout_backlog").fetchall() == [(2,)]


def test_a_lake_whose_path_has_a_comma_gets_its_own_parse(tmp_path: Path) -> None:
    """DuckDB's file_search_path is a comma-separated list: such a lake's root is rendered
    into the Bronze sources instead (as a lake on S3's is), and it still builds from its own
    files. The root reaches dbt as an environment variable, so dbt re-parses only what reads
    it, not the whole project, and the process's environment is left as it was."""
    _dbt._PARSED.clear()
    plain = _payout_lake(tmp_path / "plain", [100])
    build(plain, BuildOptions(quality_gates=False, with_nrt=False))
    perf = _parse_dir() / "perf_info.json"
    whole = json.loads(perf.read_text())
    odd = _payout_lake(tmp_path / "a,b" / "lake", [200, 300, 400])
    build(odd, BuildOptions(quality_gates=False, with_nrt=False))
    assert _payouts(odd) == [(3, 900)]
    (key,) = _dbt._PARSED  # the comma lake's parse replaced the shared one
    assert json.loads(key.variables)["lake_prefix"] == f"{odd.lake.uri()}/"
    reparsed = json.loads(perf.read_text())
    assert reparsed["is_partial_parse_enabled"]
    # The sources and what names them (a fifth of the project), not the whole of it.
    assert 0 < reparsed["parsed_path_count"] < reparsed["path_count"] // 2, (whole, reparsed)
    assert "RASTUP_DBT_LAKE_PREFIX" not in os.environ
    build(plain, BuildOptions(quality_gates=False, with_nrt=False))  # and back
    assert _payouts(plain) == [(1, 100)]


def test_a_cache_that_cannot_be_written_keeps_the_parse_in_the_work_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shared parse is an optimisation: without a writable cache the lake's own dbt
    target folder keeps the parse, as it did before, and the build is the same."""
    blocker = tmp_path / "cache-is-a-file"
    blocker.write_text("")
    monkeypatch.setenv("RASTUP_CACHE_DIR", str(blocker))
    assert _shared_parse_dir(dbt_project_dir(), None) is None
    _dbt._PARSED.clear()
    layout = _payout_lake(tmp_path / "lake", [100, 250])
    build(layout, BuildOptions(quality_gates=False, with_nrt=False))
    assert _payouts(layout) == [(2, 350)]
    assert (warehouse_dirs(layout).dbt_target("build") / "partial_parse.msgpack").exists()


class _Cycle:
    """An object in a reference cycle: only the cyclic collector frees it."""

    def __init__(self) -> None:
        self.me = self


def test_what_lives_as_long_as_the_process_is_frozen_and_garbage_is_not() -> None:
    gc.unfreeze()
    try:
        garbage = _Cycle()
        gone = weakref.ref(garbage)
        del garbage
        with _dbt._long_lived():
            assert not gc.isenabled()
            kept = [_Cycle() for _ in range(3)]
        assert gc.isenabled()
        assert gone() is None, "garbage made before the freeze is collected, not frozen"
        assert gc.get_freeze_count() >= len(kept)
        gc.disable()
        with _dbt._long_lived():
            pass
        assert not gc.isenabled(), "a collector the caller turned off stays off"
    finally:
        gc.enable()
        gc.unfreeze()


def test_parse_only_makes_the_parse_a_new_process_builds_with(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`build --parse-only` (for images and CI runners) parses the project into the user
    cache before any lake exists; a lake's first build in a new process then parses
    nothing."""
    monkeypatch.setenv("RASTUP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("RASTUP_INSTALL_CACHE_DIR", "")  # no parse installed
    _dbt._PARSED.clear()
    absent = tmp_path / "not-yet"
    result = CliRunner().invoke(cli, ["build", "--parse-only", "--lake", str(absent)])
    assert result.exit_code == 0, result.output
    assert f"parsed into {_parse_dir()}" in result.output
    assert not absent.exists()
    perf = _parse_dir() / "perf_info.json"
    assert json.loads(perf.read_text())["parsed_path_count"] > 0  # the whole project
    _dbt._PARSED.clear()  # what a new process starts with
    layout = _payout_lake(tmp_path / "lake", [100, 250])
    build(layout, BuildOptions(quality_gates=False, with_nrt=False))
    assert json.loads(perf.read_text())["parsed_path_count"] == 0
    assert _payouts(layout) == [(2, 350)]


def test_a_user_cache_without_a_parse_starts_from_the_environments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`build --parse-only --into-environment` (what `make setup` runs) parses the project
    once for the environment; a user whose cache has no parse yet copies it, and that
    machine's first build parses nothing and reads its own lake."""
    monkeypatch.setenv("RASTUP_INSTALL_CACHE_DIR", str(tmp_path / "environment"))
    monkeypatch.setenv("RASTUP_CACHE_DIR", str(tmp_path / "user"))
    _dbt._PARSED.clear()
    result = CliRunner().invoke(cli, ["build", "--parse-only", "--into-environment"])
    assert result.exit_code == 0, result.output
    installed = _shared_parse_dir(dbt_project_dir(), None, into_environment=True)
    assert installed is not None
    assert installed.parent.parent == tmp_path / "environment"
    assert f"parsed into {installed}" in result.output
    assert json.loads((installed / "perf_info.json").read_text())["parsed_path_count"] > 0
    assert installed_parse_manifest(None) == installed / "manifest.json"
    s3 = installed_parse_manifest("duckdb_s3")  # a lake on S3 has a target of its own
    assert s3 is not None
    assert s3.parent != installed
    assert not (tmp_path / "user").exists()
    assert not (Path.cwd() / "_staging.duckdb").exists()  # the stand-in is never opened

    _dbt._PARSED.clear()  # a new process of another user
    layout = _payout_lake(tmp_path / "lake", [100, 250])
    build(layout, BuildOptions(quality_gates=False, with_nrt=False))
    user = _parse_dir()
    assert user.parent.parent == tmp_path / "user"
    assert json.loads((user / "perf_info.json").read_text())["parsed_path_count"] == 0
    assert _payouts(layout) == [(2, 350)]
    # The user's own parse is the user's from now on: the seed is not copied over it again.
    (user / "partial_parse.msgpack").write_bytes(b"the user's own")
    _shared_parse_dir(dbt_project_dir(), None)
    assert (user / "partial_parse.msgpack").read_bytes() == b"the user's own"


def test_a_seed_made_before_a_project_file_changed_is_parsed_again_where_it_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A checkout edited after `make setup`: dbt checks the copied parse against the
    project's files like any other, so the build runs the edited model."""
    project = tmp_path / "project"
    shutil.copytree(dbt_project_dir(), project, ignore=shutil.ignore_patterns("target", "logs"))
    monkeypatch.setattr(_dbt, "dbt_project_dir", lambda: project)
    monkeypatch.setenv("RASTUP_INSTALL_CACHE_DIR", str(tmp_path / "environment"))
    monkeypatch.setenv("RASTUP_CACHE_DIR", str(tmp_path / "user"))
    _dbt._PARSED.clear()
    prepare_build(LakeLayout(tmp_path / "lake"), into_environment=True)
    model = project / "models" / "silver" / "fact_payouts.sql"
    model.write_text(model.read_text() + "\n-- edited\n")
    extra = project / "models" / "silver" / "edited_since.sql"
    extra.write_text("select 42 as answer\n")
    _dbt._PARSED.clear()
    layout = _payout_lake(tmp_path / "lake", [100])
    result = build(layout, BuildOptions(quality_gates=False, with_nrt=False))
    user = _shared_parse_dir(project, None)
    assert user is not None
    perf = json.loads((user / "perf_info.json").read_text())
    assert 0 < perf["parsed_path_count"] < 10  # only what changed
    assert "silver.edited_since" in {m.relation for m in result.models}
    assert _payouts(layout) == [(1, 100)]


def test_into_environment_is_refused_where_it_cannot_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone = CliRunner().invoke(cli, ["build", "--into-environment"])
    assert alone.exit_code == 2
    assert "CONFIG_INVALID" in alone.output
    assert "--parse-only" in alone.output
    blocker = tmp_path / "environment-is-a-file"
    blocker.write_text("")
    monkeypatch.setenv("RASTUP_INSTALL_CACHE_DIR", str(blocker))
    _dbt._PARSED.clear()
    result = CliRunner().invoke(cli, ["build", "--parse-only", "--into-environment"])
    assert result.exit_code == 2
    assert "CONFIG_INVALID" in result.output
    assert "RASTUP_INSTALL_CACHE_DIR" in result.output


def test_parse_only_refuses_what_it_cannot_prepare(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spark = CliRunner().invoke(cli, ["build", "--parse-only", "--target", "spark"])
    assert spark.exit_code == 2
    assert "CONFIG_INVALID" in spark.output
    blocker = tmp_path / "cache-is-a-file"
    blocker.write_text("")
    monkeypatch.setenv("RASTUP_CACHE_DIR", str(blocker))
    _dbt._PARSED.clear()
    with pytest.raises(RastupError) as raised:
        prepare_build(LakeLayout(tmp_path / "lake"))
    assert raised.value.code is ErrorCode.CONFIG_INVALID
    assert "RASTUP_CACHE_DIR" in str(raised.value)
    assert not (tmp_path / "lake").exists()


def test_parse_folders_unused_for_a_month_are_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A checkout since removed, or an older dbt, leaves its parse folder in the user cache:
    one no process parsed in for 30 days is removed; the others stay."""
    monkeypatch.setenv("RASTUP_CACHE_DIR", str(tmp_path / "cache"))
    parses = tmp_path / "cache" / "dbt-parse"
    old = time.time() - _dbt.STALE_PARSE_S - 3_600
    stale, recent = parses / "0000stale0000000", parses / "0000recent000000"
    for folder, when in ((stale, old), (recent, time.time() - 86_400)):
        folder.mkdir(parents=True)
        (folder / "manifest.json").write_text("{}")
        for path in (folder / "manifest.json", folder):
            os.utime(path, (when, when))
    _dbt._prune_stale_parses.cache_clear()
    folder = _shared_parse_dir(dbt_project_dir(), None)
    assert folder is not None
    assert sorted(p.name for p in parses.iterdir()) == sorted([folder.name, recent.name])


def test_parse_only_of_a_project_that_does_not_parse_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    shutil.copytree(dbt_project_dir(), project, ignore=shutil.ignore_patterns("target", "logs"))
    (project / "models" / "silver" / "broken.sql").write_text("select {{ 1 +  }}\n")
    monkeypatch.setattr(_dbt, "dbt_project_dir", lambda: project)
    monkeypatch.setenv("RASTUP_CACHE_DIR", str(tmp_path / "cache"))
    _dbt._PARSED.clear()
    result = CliRunner().invoke(cli, ["build", "--parse-only", "--lake", str(tmp_path / "lake")])
    assert result.exit_code == 2
    assert "CTAS_FAILURE" in result.output
    assert "could not parse the project" in result.output
