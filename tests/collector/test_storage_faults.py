"""A moment when storage refuses writes never stops `serve`: it reports degraded, retries,
and lands every acknowledged event once storage takes writes again — by itself.

The faults are real filesystem refusals (root ignores permission bits, so paths are made
unusable instead): Bronze's folder replaced by a file, the lander status file by a folder.
"""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import duckdb
import httpx
import orjson
import pytest
from tests.waiting import PATIENCE_S, wait_until

from rastup_data.lake.layout import LakeLayout

from .conftest import KEY, free_port, fresh_events, start_serve

pytestmark = pytest.mark.slow


def _post(url: str, events: list[dict[str, object]]) -> httpx.Response:
    return httpx.post(
        f"{url}/v1/events",
        content=orjson.dumps(events),
        headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"},
        timeout=PATIENCE_S,
    )


def _health(url: str) -> dict[str, object]:
    answer: dict[str, object] = httpx.get(f"{url}/healthz", timeout=PATIENCE_S).json()
    return answer


def test_serve_survives_storage_refusing_writes_and_recovers_by_itself(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start_serve(lake, port, workers=2)
    try:
        first = fresh_events(30)
        assert _post(url, first).status_code == 202
        wait_until(lambda: any(lake.glob("bronze/events/dt=*/*.parquet")), "a first landing")

        # Bronze cannot be written: the events folder is a file now.
        events_dir = lake / "bronze" / "events"
        shutil.move(events_dir, tmp_path / "events-aside")
        events_dir.write_text("not a folder")
        # Nor can the lander's status: its file is a folder now.
        status = LakeLayout(lake).spool / "lander-status.json"
        status.unlink()
        status.mkdir()
        status_kept = True

        second = fresh_events(40)
        assert _post(url, second).status_code == 202  # the spool still takes events
        # Both refusals have been met (and logged) while serve goes on.
        log = next(tmp_path.glob("serve-*.log"))
        for refusal in ("landing failed; will retry", "cannot write the lander status"):
            wait_until(lambda r=refusal: r in log.read_text(errors="replace"), f"{refusal!r}")
        assert proc.poll() is None, "serve exited while storage refused writes"
        assert _post(url, fresh_events(5)).status_code == 202
        # Let the status be written again so the workers can report the lander's state.
        status.rmdir()
        status_kept = False
        wait_until(lambda: _health(url)["status"] == "degraded", "/healthz reports degraded")
        health = _health(url)
        assert health["lander_error_code"] == "LAND_FAILED"
        assert health["lander_backlog_segments"] > 0

        # Storage takes writes again: nobody restarts anything.
        events_dir.unlink()
        shutil.move(tmp_path / "events-aside", events_dir)
        wait_until(lambda: _health(url)["status"] == "ok", "/healthz back to ok")
        assert proc.poll() is None
    finally:
        if "status_kept" in locals() and status_kept:
            status.rmdir()
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=PATIENCE_S)
    assert proc.returncode == 0
    landed = duckdb.sql(
        f"SELECT event_id FROM read_parquet('{lake}/bronze/events/**/*.parquet')"
    ).fetchall()
    ids = [row[0] for row in landed]
    assert len(ids) == len(set(ids)) == 75
    assert {e["ids"]["event_id"] for e in first + second} <= set(ids)
