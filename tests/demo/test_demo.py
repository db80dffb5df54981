"""The demo end to end: simulator → real collector over HTTP → Bronze → dbt → gates → drill."""

from __future__ import annotations

from pathlib import Path

import duckdb
import orjson
import pytest
from rich.console import Console

from rastup_data.demo import DemoOptions, run_demo
from rastup_data.transform import open_published

from ..collector.conftest import free_port, gate_token, start_collector

REPO = Path(__file__).parents[2]

pytestmark = pytest.mark.slow


def test_demo_drill_passes_and_every_event_is_accounted_for(tmp_path: Path) -> None:
    console = Console(file=open(tmp_path / "demo.log", "w"), width=120)  # noqa: SIM115
    options = DemoOptions(
        seed=11, days=3, users=400, port=free_port(), serve=False, validation_workers=1
    )
    report = run_demo(tmp_path / "out", options, console=console)
    console.file.close()
    assert report.drill_ok, report.drill_text
    # Accounting: sent = landed + quarantined + duplicates.
    assert report.sent == report.landed + report.quarantined + report.duplicates
    assert report.accepted == report.landed
    assert report.quarantined == report.rejected > 0
    assert report.duplicates > 0
    # …and every count equals the simulator's own ledger.
    ingest = orjson.loads((tmp_path / "out" / "golden.json").read_bytes())["ingest"]
    assert (report.sent, report.landed) == (ingest["sent"], ingest["valid"])
    assert (report.quarantined, report.duplicates) == (ingest["malformed"], ingest["duplicates"])
    bad_codes = duckdb.sql(
        f"SELECT DISTINCT code FROM read_parquet('{report.lake}/bronze/_bad/**/*.parquet')"
    ).fetchall()
    assert {c for (c,) in bad_codes} <= {
        "EVENT_MALFORMED_JSON",
        "EVENT_SCHEMA_INVALID",
        "EVENT_UNKNOWN",
        "EVENT_PII_DETECTED",
        "EVENT_ENVELOPE_INVALID",
    }
    from rastup_data.lake.layout import LakeLayout

    conn = open_published(LakeLayout(report.lake))
    try:
        dupes = conn.execute(
            "SELECT count(*) - count(DISTINCT event_id) FROM silver.fact_search_impressions"
        ).fetchall()[0][0]
    finally:
        conn.close()
    assert dupes == 0
    log = (tmp_path / "demo.log").read_text()
    assert "DRILL PASSED" in log
    assert "balanced" in log
    _assert_extracts_refreshed(report.lake)

    # The KPI summary and the experiment analyses read through the query gate, audited.
    from rastup_data.governance import Gate

    with Gate.open(report.lake) as gate:
        audited = gate.audit.records()
    assert {(r.path, r.status) for r in audited} >= {("cli", "ok"), ("report", "ok")}
    assert any("gold.kpi_marketplace_daily" in r.relations for r in audited)

    # The collector serves each experiment's report from the published lake, to a token.
    live, server = start_collector(report.lake, experiments_dir=REPO / "experiments")
    auth = gate_token(live, role="finance")
    try:
        assert live.client.get("/experiments/search_ranking_v2", timeout=60).status_code == 401
        # Its revenue metric reads Silver amounts: financial detail, denied to analysts.
        denied = live.client.get(
            "/experiments/search_ranking_v2",
            headers=gate_token(live, role="analyst"),
            timeout=120,
        )
        assert denied.status_code == 403
        assert denied.json()["error"]["code"] == "ACCESS_DENIED"
        page = live.client.get("/experiments/search_ranking_v2", headers=auth, timeout=120)
        assert page.status_code == 200, page.text
        assert page.headers["content-type"].startswith("text/html")
        assert "search_ranking_v2" in page.text
        assert "</html>" in page.text
        missing = live.client.get("/experiments/no_such_experiment", headers=auth, timeout=60)
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "EXPERIMENT_INVALID"
    finally:
        live.client.close()
        server.stop()


def _assert_extracts_refreshed(lake: Path) -> None:
    """The dashboards' extracts were refreshed from the published build."""
    from rastup_data.bi import current_snapshot
    from rastup_data.lake.layout import LakeLayout

    for dataset in ("ds_kpi_marketplace", "ds_ops_health", "ds_trust"):
        snapshot = current_snapshot(LakeLayout(lake).lake, dataset)
        assert snapshot is not None
        assert snapshot.rows > 0
