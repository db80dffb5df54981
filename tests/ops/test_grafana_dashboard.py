"""The Grafana dashboard (operations/grafana/rastup.json): Grafana's dashboard shape, and
every metric its PromQL reads is on the ``/metrics`` of a real ``serve``."""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import yaml
from tests.waiting import PATIENCE_S, start_serve_process, stop_gently, wait_until

from rastup_data.alerts.samples import parse_exposition
from rastup_data.bi.runs import RefreshRun, RefreshStatus, RunLog
from rastup_data.contracts.loader import DEFAULT_REGISTRY_PATH
from rastup_data.environments import default_profiles_dir
from rastup_data.lake.layout import LakeLayout
from rastup_data.state import open_state
from rastup_data.state.database import state_url_for_layout
from rastup_data.transform.runs import BuildRun, append_build_run

DASHBOARD = Path(__file__).parents[2] / "operations" / "grafana" / "rastup.json"
METRIC = re.compile(r"\brastup_[a-z0-9_]+")


def _dashboard() -> dict[str, Any]:
    return dict(json.loads(DASHBOARD.read_text()))


def _queries(dashboard: dict[str, Any]) -> list[str]:
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            exprs.append(variable["definition"])
    return exprs


def test_the_dashboard_has_grafanas_shape() -> None:
    dashboard = _dashboard()
    assert dashboard["title"]
    assert dashboard["uid"]
    assert isinstance(dashboard["schemaVersion"], int)
    assert dashboard["schemaVersion"] >= 36
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    cells: set[tuple[int, int]] = set()
    graphs = [p for p in dashboard["panels"] if p["type"] != "row"]
    assert len(graphs) >= 20
    for panel in dashboard["panels"]:
        pos = panel["gridPos"]
        assert pos["x"] >= 0, panel["title"]
        assert pos["x"] + pos["w"] <= 24, panel["title"]
        assert pos["h"] > 0, panel["title"]
        mine = {(x, y) for x in range(pos["x"], pos["x"] + pos["w"])
                for y in range(pos["y"], pos["y"] + pos["h"])}  # fmt: skip
        assert not mine & cells, f"{panel['title']} overlaps another panel"
        cells |= mine
    for panel in graphs:
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert panel["targets"], panel["title"]
        refs = [t["refId"] for t in panel["targets"]]
        assert len(refs) == len(set(refs)), panel["title"]
        for target in panel["targets"]:
            assert METRIC.search(target["expr"]), (panel["title"], target["expr"])
            assert target["expr"].count("(") == target["expr"].count(")")
            assert 'job=~"$job"' in target["expr"], (panel["title"], target["expr"])


def test_the_dashboard_covers_what_operations_watch() -> None:
    used = {m for expr in _queries(_dashboard()) for m in METRIC.findall(expr)}
    for family in (
        "rastup_ingest_events_total",  # ingest rate
        "rastup_http_request_duration_seconds_bucket",  # ingest latency
        "rastup_errors_total",  # errors by code
        "rastup_ingest_lag_seconds_bucket",  # lag
        "rastup_nrt_freshness_seconds",
        "rastup_build_failing",
        "rastup_query_scanned_hour_bytes",
        "rastup_bi_refreshes_total",
        "rastup_alerts_active",
        "rastup_budget_used_ratio",
    ):
        assert family in used, family


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _catalogue_lines() -> list[bytes]:
    lines = []
    for path in sorted((DEFAULT_REGISTRY_PATH / "events").glob("*/v*.json")):
        example = orjson.loads(path.read_bytes())["examples"][0]
        example.pop("received_at", None)
        lines.append(orjson.dumps(example))
    return lines


@pytest.fixture
def serve_url(tmp_path: Path) -> Iterator[str]:
    """A serve on a lake with events in Bronze and a published build, alerts every second."""
    layout = LakeLayout(tmp_path / "lake")
    events = tmp_path / "events.ndjson"
    invalid = orjson.loads(_catalogue_lines()[1])
    invalid["payload"] = {}  # quarantined: the quarantine gauges have a row too
    # Its own id: a quarantined event whose id is in Bronze counts as replayed since.
    invalid["ids"]["event_id"] = str(uuid.uuid4())
    events.write_bytes(b"\n".join([*_catalogue_lines(), orjson.dumps(invalid)]) + b"\n")
    env = dict(os.environ, RASTUP_INGEST_KEYS="k", DO_NOT_TRACK="1")
    load = [sys.executable, "-m", "rastup_data.cli", "lake", "load", "--lake", str(layout.root)]
    subprocess.run([*load, str(events)], env=env, check=True, capture_output=True)
    now = datetime.now(UTC).isoformat()
    append_build_run(layout, BuildRun("build", now, now, 1.0, "published"))
    # One refresh on record: the probe's per-dataset gauge has a row (the counter's series
    # exist from serve's start).
    with open_state(state_url_for_layout(layout)) as state:
        RunLog(state).record(
            RefreshRun("ds_comms", "schedule", now, now, 1.0, RefreshStatus.FAILED.value)
        )
    profile = yaml.safe_load((default_profiles_dir() / "test.yaml").read_text())
    profile["schedule"] = {"alerts": {"every": "1s"}}
    (tmp_path / "profile.yaml").write_text(yaml.safe_dump(profile))
    env["RASTUP_PROFILE"] = str(tmp_path / "profile.yaml")
    port = _free_port()
    arguments = ["--lake", str(layout.root), "--nrt-interval", "0"]
    proc = start_serve_process(port, arguments, env=env, log=tmp_path / "serve.log")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        if proc.poll() is None:
            stop_gently(proc)


def test_every_metric_of_the_dashboard_is_on_serves_metrics(serve_url: str) -> None:
    used = {m for expr in _queries(_dashboard()) for m in METRIC.findall(expr)}
    body = b"[" + b",".join(_catalogue_lines()[:5]) + b"]"
    answer = httpx.post(
        f"{serve_url}/v1/events",
        content=body,
        headers={"Authorization": "Bearer k", "Content-Type": "application/json"},
        timeout=30,
    )
    assert answer.status_code == 202
    names: set[str] = set()

    def all_there() -> bool:
        text = httpx.get(f"{serve_url}/metrics", timeout=PATIENCE_S).text
        names.update(sample.name for sample in parse_exposition(text))
        return used <= names

    # the scheduler's probe runs every 30 s: its gauges come with its second run at the latest
    with contextlib.suppress(AssertionError):  # the assertion below names what is missing
        wait_until(all_there, "every metric of the dashboard", ignoring=(httpx.HTTPError,))
    assert not used - names, f"not on /metrics: {sorted(used - names)}"
