"""Runbooks run: for each alert family, put a lake in the state the alert describes, check
the page's Check step sees it (`alerts test RULE` exits 1), run its Act commands as written
in the markdown, and check its Verify step sees the alert resolved (exit 0).

One copy of the session's built lake serves the module (a small simulated marketplace with
a published build and its BI datasets); each test restores what it changed."""

from __future__ import annotations

import os
import shutil
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from runbook import Command, run, run_all, section
from tests.contracts.registry_fixture import V1_TO_V2, old_click, registry_with_click_v2

from rastup_data.bi.runs import RefreshRun, RunLog
from rastup_data.bi.scheduler import DAILY_ONLY_CONTROL, JOB
from rastup_data.contracts import load_validator
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.governance import Gate, QueryPath, local_principal
from rastup_data.lake.layout import LakeLayout
from rastup_data.lander import land_ndjson
from rastup_data.scheduler.jobs import SERVE_JOBS
from rastup_data.spool.segments import segment_name
from rastup_data.state import OpsControls, open_state
from rastup_data.transform.runs import BuildRun, append_build_run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def lake(built_lake: object, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("runbooks") / "lake"
    shutil.copytree(built_lake.root, root)  # type: ignore[attr-defined]
    return root


@pytest.fixture(autouse=True)
def _dev_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The lake's own state database and the default profile, whatever the caller set."""
    for name in ("RASTUP_STATE_URL", "RASTUP_ENV", "RASTUP_PROFILE", "RASTUP_WORK_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DO_NOT_TRACK", "1")


def _check(page: str, lake: Path, rule: str, values: dict[str, str] | None = None) -> None:
    """The Check step: `alerts test RULE` holds (exit 1); the other commands run (a
    diagnostic may exit non-zero on what it finds, e.g. `quality check`), never crash."""
    seen = False
    for command in section(page, "Check"):
        result = run(command, lake, values)
        if command.line == f"rastup-data alerts test {rule}":
            assert result.exit_code == 1, result.output
            assert "HOLDS" in result.output
            seen = True
        else:
            assert isinstance(result.exception, SystemExit | None), f"{command.line}: {result}"
            assert "Traceback" not in result.output
    assert seen, f"the Check step of {page} does not test {rule}"


def _verify(page: str, lake: Path, values: dict[str, str] | None = None) -> None:
    run_all(section(page, "Verify"), lake, values)


def _controls(lake: Path) -> dict[str, str]:
    with open_state(lake=lake) as state:
        return {c.name: c.value for c in OpsControls(state).with_prefix("")}


def _record_build(lake: Path, status: str, code: str | None = None) -> None:
    at = datetime.now(UTC).isoformat()
    append_build_run(LakeLayout(lake), BuildRun("build", at, at, 1.0, status, code=code))


@pytest.mark.parametrize(
    ("page", "rule", "code"),
    [
        ("build-failure.md", "build_failed", "CTAS_FAILURE"),
        ("quality-failure.md", "quality_check_failed", "QUALITY_CHECK_FAILED"),
    ],
)
def test_a_failed_build_is_resolved_by_its_runbook(
    lake: Path, page: str, rule: str, code: str
) -> None:
    _record_build(lake, "failed", code)
    _check(page, lake, rule)
    run_all(section(page, "Act"), lake)
    _verify(page, lake)


def test_bi_refresh_failures_are_resolved_by_their_runbook(lake: Path) -> None:
    with open_state(lake=lake) as state:
        log = RunLog(state)
        for minutes in (20, 10):
            at = (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat()
            log.record(RefreshRun("ds_comms", "scheduled", at, at, 5.0, "failed", error="disk"))
    values = {"DATASET": "ds_comms"}
    _check("bi-refresh-failed.md", lake, "bi_refresh_failed", values)
    run_all(section("bi-refresh-failed.md", "Act"), lake, values)
    run_all(section("bi-refresh-failed.md", "Act / If the pipeline is lagging"), lake)
    assert JOB in SERVE_JOBS
    assert _controls(lake)[DAILY_ONLY_CONTROL] == "1"  # the BI scheduler reads this one
    _verify("bi-refresh-failed.md", lake, values)
    run_all(section("bi-refresh-failed.md", "Afterwards"), lake)
    assert DAILY_ONLY_CONTROL not in _controls(lake)


def test_a_stalled_lander_is_resolved_by_its_runbook(lake: Path) -> None:
    layout = LakeLayout(lake)
    layout.spool.mkdir(parents=True, exist_ok=True)
    segment = layout.spool / f"{segment_name('c0ffee00', 7)}.events.ndjson"
    events = [old_click() | {"v": 1} for _ in range(3)]
    received = "2026-11-29T10:00:01.000Z"
    segment.write_bytes(
        b"".join(orjson.dumps(e | {"received_at": received}) + b"\n" for e in events)
    )
    stale = time.time() - 600
    os.utime(segment, (stale, stale))
    _check("pipeline-lag.md", lake, "lander_stalled")
    run_all(section("pipeline-lag.md", "Act"), lake)
    controls = _controls(lake)
    assert controls["jobs.paused.heavy"] == "1"
    assert (controls["lander.spool_max_bytes"], controls["lander.max_backlog"]) == (
        str(8 * 10**9),
        "2000",
    )
    assert controls[DAILY_ONLY_CONTROL] == "1"
    run_all(
        section(
            "pipeline-lag.md",
            "Act / If no serve runs on this node (the collector stopped, its lander died)",
        ),
        lake,
    )
    assert not segment.exists()
    _verify("pipeline-lag.md", lake)
    run_all(section("pipeline-lag.md", "Afterwards"), lake)
    assert not {
        k for k in _controls(lake) if k.startswith(("lander.", "jobs.paused", "scheduler."))
    }


def test_a_runaway_query_is_resolved_by_its_runbook(lake: Path) -> None:
    gate = Gate.open(lake)
    outcome: list[RastupError] = []
    sql = (
        "SELECT count(*) FROM gold.kpi_marketplace_daily AS k, range(100000000000) AS a "
        "WHERE k.dt >= DATE '2020-01-01'"
    )

    def runaway() -> None:
        try:
            gate.run(local_principal(), sql, path=QueryPath.CLI)
        except RastupError as exc:
            outcome.append(exc)

    worker = threading.Thread(target=runaway)
    worker.start()
    try:
        deadline = time.monotonic() + 30
        while not gate.running.listing() and time.monotonic() < deadline:
            time.sleep(0.1)
        (query,) = gate.running.listing()
        earlier = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
        gate.state.execute(  # it has run for ten minutes
            "UPDATE running_queries SET started_at = ? WHERE query_id = ?",
            (earlier, query.query_id),
        )
        values = {"QUERY_ID": query.query_id}
        _check("runaway-query.md", lake, "runaway_query", values)
        listed = run(Command("Check", "rastup-data queries running --format json"), lake)
        assert [q["query_id"] for q in orjson.loads(listed.output)["queries"]] == [query.query_id]
        run_all(section("runaway-query.md", "Act"), lake, values)
        worker.join(30)
        assert [e.code for e in outcome] == [ErrorCode.QUERY_KILLED]
        time.sleep(2.1)  # gates read the pin at most every 2 s
        with pytest.raises(RastupError) as pinned:
            gate.run(
                local_principal(),
                "SELECT count(*) FROM gold.kpi_marketplace_daily WHERE dt >= DATE '2020-01-01'",
                path=QueryPath.DASHBOARD,
            )
        assert "pinned to the BI extracts" in pinned.value.message
        _verify("runaway-query.md", lake, values)
        run_all(section("runaway-query.md", "Afterwards"), lake)
        assert "gate.dashboards_pinned" not in _controls(lake)
    finally:
        for running in gate.running.listing():
            gate.running.request_kill(running.query_id, by="test")
        worker.join(30)
        gate.close()


def test_a_schema_break_is_resolved_by_an_adapter_on_replay(lake: Path, tmp_path: Path) -> None:
    own = tmp_path / "lake"  # its own copy: the v2 clicks it lands are not the others' data
    shutil.copytree(lake, own)
    registry = registry_with_click_v2(tmp_path / "registry")
    adapters = tmp_path / "adapters" / "search.click"
    adapters.mkdir(parents=True)
    (adapters / "v1.json").write_bytes(orjson.dumps(V1_TO_V2))
    old_app = [orjson.dumps(old_click()) for _ in range(60)]
    rejected = land_ndjson(
        LakeLayout(own), old_app, name="old-app", validator=load_validator(registry)
    )
    assert rejected.accepted == 0
    values = {"REGISTRY": str(registry), "ADAPTERS": str(tmp_path / "adapters")}
    _check("schema-break.md", own, "invalid_events_spike", values)
    act = "Act / If an old app still sends a retired version: add an adapter"
    run_all(section("schema-break.md", act), own, values)
    _verify("schema-break.md", own, values)
