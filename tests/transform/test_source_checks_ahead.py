"""Bronze's checks run ahead of the build, judged against Bronze's own clock at its start.

A build starts the checks of the project's sources on a thread while dbt starts; the gate
takes their results for every check whose spec its own manifest still has, and runs the
others itself.
"""

from __future__ import annotations

import json
import logging
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from rastup_data.lake.layout import LakeLayout
from rastup_data.lander import land_ndjson
from rastup_data.quality import QualityCatalog
from rastup_data.simulate import simulate
from rastup_data.transform import BuildOptions, build, open_published
from rastup_data.transform._gates import GateOutcome, SourceChecksAhead, run_gates
from rastup_data.transform.warehouse import warehouse_dirs

pytestmark = pytest.mark.slow

DAYS = 4
START = datetime(2026, 11, 1, tzinfo=UTC)
LAST_DAY = START + timedelta(days=DAYS - 1)
FRESHNESS = "bronze.events.freshness"

Built = tuple[LakeLayout, Path, list[bytes]]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[bytes]]:
    """A lake built through the day before the last, and the last day's first fourteen
    hours of every event but search impressions, not landed (with 300 users only search
    impressions are frequent enough for Bronze's freshness check to judge)."""
    root = tmp_path_factory.mktemp("checks-ahead")
    summary = simulate(root / "sim", seed=8, days=DAYS, users=300)
    before: list[bytes] = []
    later: list[bytes] = []
    for line in summary.events_path.read_bytes().splitlines():
        try:
            event = orjson.loads(line)
            occurred = datetime.fromisoformat(event["occurred_at"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            continue
        if occurred < LAST_DAY:
            before.append(line)
        elif event["event"] != "search.impression" and occurred < LAST_DAY + timedelta(hours=14):
            later.append(line)
    layout = LakeLayout(root / "lake")
    land_ndjson(layout, before, name="before")
    build(layout, BuildOptions(with_nrt=False))
    return layout.root, later


@pytest.fixture
def built(template: tuple[Path, list[bytes]], tmp_path: Path) -> Built:
    """A private copy of the template lake (its work folder and last build's manifest
    included), and the hours not landed."""
    root, later = template
    shutil.copytree(root, tmp_path / "lake")
    layout = LakeLayout(tmp_path / "lake")
    manifest = warehouse_dirs(layout).dbt_target("build") / "manifest.json"
    assert manifest.is_file()
    return layout, manifest, later


def _gates(layout: LakeLayout, manifest: Path, ahead: SourceChecksAhead | None) -> GateOutcome:
    with open_published(layout) as conn:
        return run_gates(conn, manifest, lake=layout.lake.uri(), ahead=ahead)


def _line(outcome: GateOutcome, name: str) -> str:
    return next(line for line in outcome.summary.splitlines() if f" {name} " in line)


def test_results_that_ran_ahead_are_taken_for_bronze_as_it_was(built: Built) -> None:
    layout, manifest, later = built
    with SourceChecksAhead(layout, lambda: manifest) as ahead:
        before = _gates(layout, manifest, ahead)  # waits for the checks ahead
        # Hours of the other event types land: judged against Bronze's own clock, search
        # impressions now lag by more than the source's 6-hour warning.
        land_ndjson(layout, later, name="later")
        taken = _gates(layout, manifest, ahead)
    now = _gates(layout, manifest, None)
    assert _line(taken, FRESHNESS) == _line(before, FRESHNESS)
    assert "lag" not in _line(before, FRESHNESS)
    assert FRESHNESS in now.warnings
    assert "stale data" in _line(now, FRESHNESS)
    # The warehouse's own checks are judged against the warehouse's clock: the landed hours
    # are not in Silver, so its facts do not lag.
    assert "silver.fact_search_impressions.freshness" not in now.warnings
    # On Bronze as it is now, search impressions also stopped in the day's same hours.
    assert not now.passed
    assert "bronze.events.volume" in {name for name, _, _ in now.blocking}
    for name in ("bronze.events.volume", "bronze.quarantine.invalid_event_rate"):
        assert _line(taken, name) == _line(before, name)
    assert taken.passed


def test_a_check_whose_spec_changed_runs_again(built: Built, tmp_path: Path) -> None:
    layout, manifest, later = built
    document = json.loads(manifest.read_text())
    events = document["sources"]["source.rastup.bronze.events"]
    for meta in (events["meta"], events["config"]["meta"]):
        meta["quality"]["freshness"]["min_daily_rows"] = 1
    older = tmp_path / "older-manifest.json"
    older.write_text(json.dumps(document))
    with SourceChecksAhead(layout, lambda: older) as ahead:
        before = _gates(layout, manifest, ahead)
        land_ndjson(layout, later, name="later")
        rerun = _gates(layout, manifest, ahead)
    # The freshness spec is not the build's: it runs at the gate, on Bronze as it is then.
    assert "lag" not in _line(before, FRESHNESS)
    assert "stale data" in _line(rerun, FRESHNESS)
    # The volume check's spec is the same: its result is the one that ran ahead.
    assert _line(rerun, "bronze.events.volume") == _line(before, "bronze.events.volume")
    assert "ERROR" in _line(_gates(layout, manifest, None), "bronze.events.volume")


def test_checks_that_ran_on_other_sources_are_not_taken(built: Built, tmp_path: Path) -> None:
    """A manifest that places Bronze elsewhere (another lake's parse): its results are not
    this lake's, whatever its specs."""
    layout, manifest, later = built
    document = json.loads(manifest.read_text())
    events = document["sources"]["source.rastup.bronze.events"]
    events["meta"]["location"] = events["config"]["meta"]["location"] = str(
        tmp_path / "elsewhere" / "*.parquet"
    )
    elsewhere = tmp_path / "elsewhere-manifest.json"
    elsewhere.write_text(json.dumps(document))
    with SourceChecksAhead(layout, lambda: elsewhere) as ahead:
        land_ndjson(layout, later, name="later")
        outcome = _gates(layout, manifest, ahead)
    assert "stale data" in _line(outcome, FRESHNESS)
    assert _line(outcome, FRESHNESS) == _line(_gates(layout, manifest, None), FRESHNESS)


def _with_alerting_check(manifest: Path, target: Path, limit: int) -> Path:
    """``manifest`` with a check on Bronze that finds ``limit`` failing rows and raises an
    alert."""
    document = json.loads(manifest.read_text())
    events = document["sources"]["source.rastup.bronze.events"]
    check = {
        "name": "flagged",
        "kind": "custom_sql",
        "severity": "warn",
        "alert": "bronze_flagged",
        "params": {"sql": f"SELECT event FROM bronze.events LIMIT {limit}"},
    }
    for meta in (events["meta"], events["config"]["meta"]):
        meta["quality"]["checks"] = [check]
    target.write_text(json.dumps(document))
    return target


def _alerts(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "rastup_data.quality.alerts"]


def test_an_alert_that_ran_ahead_is_logged_once_by_the_gate_that_takes_it(
    built: Built, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    layout, manifest, _ = built
    alerting = _with_alerting_check(manifest, tmp_path / "alerting.json", 3)
    with (
        caplog.at_level(logging.WARNING, logger="rastup_data.quality.alerts"),
        SourceChecksAhead(layout, lambda: alerting) as ahead,
    ):
        ahead.results(QualityCatalog(()), ())  # waits for the checks ahead
        assert _alerts(caplog) == []
        outcome = _gates(layout, alerting, ahead)
    assert "bronze_flagged" in outcome.alerts
    (alert,) = _alerts(caplog)
    assert "bronze_flagged" in alert
    assert "3 failing row(s)" in alert


def test_an_alert_of_a_spec_that_changed_is_logged_only_as_the_gate_ran_it(
    built: Built, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    layout, manifest, _ = built
    older = _with_alerting_check(manifest, tmp_path / "older.json", 3)
    current = _with_alerting_check(manifest, tmp_path / "current.json", 2)
    with (
        caplog.at_level(logging.WARNING, logger="rastup_data.quality.alerts"),
        SourceChecksAhead(layout, lambda: older) as ahead,
    ):
        _gates(layout, current, ahead)
    (alert,) = _alerts(caplog)
    assert "2 failing row(s)" in alert


def test_no_manifest_no_checks_ahead(tmp_path: Path) -> None:
    layout = LakeLayout(tmp_path / "lake")
    with SourceChecksAhead(layout, lambda: tmp_path / "missing.json") as ahead:
        assert ahead.results(QualityCatalog(()), ()) == {}
