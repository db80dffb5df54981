"""A collector whose spool writer stopped says so, refuses honestly and stops.

The writer is stopped by an injected fault at the spool's fsync (an error that is no
storage refusal, which the writer would ride out): a request it held and every later one
get 503 ``EVENT_PUT_FAILED`` at once — none hangs — ``/healthz`` answers 503, the process
stops (by itself, to be restarted, or on SIGTERM) within its grace period, and every event
acknowledged before is in Bronze after a restart.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import httpx
import orjson
import pytest
from tests.waiting import PATIENCE_S, stop_group, wait_healthy, wait_until

import rastup_data.spool.spool as spool_module

from .conftest import KEY, free_port, fresh_events, start_collector, start_serve

pytestmark = pytest.mark.slow

#: A refusal must come back at once; a request still unanswered after this hangs.
ANSWER_S = 30.0
_HEADERS = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
_WRITER_UP = re.compile(r"^rastup_spool_writer_up(?:\{[^}]*\})? (\S+)$", re.MULTILINE)


def _post(url: str, events: list[dict[str, Any]]) -> httpx.Response:
    return httpx.post(
        f"{url}/v1/events", content=orjson.dumps(events), headers=_HEADERS, timeout=ANSWER_S
    )


def _assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "EVENT_PUT_FAILED"
    assert response.headers["Retry-After"]


def _bronze_ids(lake: Path) -> list[str]:
    rows = duckdb.sql(
        f"SELECT event_id FROM read_parquet('{lake}/bronze/events/**/*.parquet')"
    ).fetchall()
    return [row[0] for row in rows]


def _ids(events: list[dict[str, Any]]) -> set[str]:
    return {event["ids"]["event_id"] for event in events}


def test_a_stopped_writer_refuses_at_once_reports_unhealthy_and_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = tmp_path / "lake"
    # Long enough to look at it before it stops by itself.
    live, server = start_collector(lake, unhealthy_exit_s=PATIENCE_S)
    try:
        acknowledged = fresh_events(20)
        assert _post(live.url, acknowledged).status_code == 202

        def broken(fd: int) -> None:
            raise RuntimeError("injected spool writer fault")

        monkeypatch.setattr(spool_module.os, "fdatasync", broken)
        _assert_refused(_post(live.url, fresh_events(10)))  # the request the writer held
        _assert_refused(_post(live.url, fresh_events(10)))  # and one after it stopped

        health = httpx.get(f"{live.url}/healthz", timeout=ANSWER_S)
        assert health.status_code == 503
        body = health.json()
        assert body["status"] == "unhealthy"
        assert body["error_code"] == "EVENT_PUT_FAILED"
        assert body["spool_writer"] == "stopped"
        assert "spool_error" not in body  # exception text only for a caller with a key
        detail = httpx.get(f"{live.url}/healthz", headers=_HEADERS, timeout=ANSWER_S).json()
        assert detail["spool_error"] == "RuntimeError: injected spool writer fault"
        metrics = httpx.get(f"{live.url}/metrics", timeout=ANSWER_S).text
        assert [float(v) for v in _WRITER_UP.findall(metrics)] == [0.0]
    finally:
        live.client.close()
        server.stop(timeout=PATIENCE_S)
    assert server.wait(timeout=0), "the collector did not stop"
    monkeypatch.undo()

    again, server = start_collector(lake)
    try:
        again.wait_landed(20)
        assert sorted(_bronze_ids(lake)) == sorted(_ids(acknowledged))
    finally:
        again.client.close()
        server.stop()


def _serve_with_fault(lake: Path, port: int, workers: int) -> tuple[subprocess.Popen[bytes], Path]:
    """`serve` whose writers stop once the returned marker file exists."""
    marker = lake.parent / "stop-the-writer"
    log = lake.parent / f"serve-{time.monotonic_ns()}.log"
    command = [
        sys.executable, "-m", "tests.collector.writer_fault", "serve", "--port", str(port),
        "--lake", str(lake), "--workers", str(workers), "--validation-workers", "0",
        "--nrt-interval", "0", "--log-level", "warning",
    ]  # fmt: skip
    env = dict(os.environ, RASTUP_INGEST_KEYS=KEY, WRITER_FAULT_MARKER=str(marker))
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            command,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=Path(__file__).parents[2],
        )
    wait_healthy(proc, port, log)
    return proc, marker


def test_serve_whose_writer_stopped_exits_to_be_restarted(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc, marker = _serve_with_fault(lake, port, workers=1)
    try:
        acknowledged = fresh_events(30)
        assert _post(url, acknowledged).status_code == 202
        marker.touch()
        _assert_refused(_post(url, fresh_events(5)))
        assert proc.wait(timeout=PATIENCE_S) == 2  # non-zero: a service manager restarts it
    finally:
        if proc.poll() is None:
            stop_group(proc)
    output = next(tmp_path.glob("serve-*.log")).read_text(errors="replace")
    assert output.count("the spool writer stopped; appends are refused") == 1, output
    assert "RuntimeError: injected spool writer fault" in output  # its traceback
    assert "error: EVENT_PUT_FAILED" in output

    marker.unlink()
    restarted = start_serve(lake, port)
    try:
        wait_until(lambda: len(_bronze_ids(lake)) >= 30, "the acknowledged events landed")
        assert sorted(_bronze_ids(lake)) == sorted(_ids(acknowledged))
    finally:
        restarted.send_signal(signal.SIGTERM)
        restarted.wait(timeout=PATIENCE_S)


def test_sigterm_stops_serve_whose_writer_stopped(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc, marker = _serve_with_fault(lake, port, workers=2)
    try:
        acknowledged = fresh_events(30)
        assert _post(url, acknowledged).status_code == 202
        marker.touch()
        _assert_refused(_post(url, fresh_events(5)))
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=PATIENCE_S) == 0
    finally:
        if proc.poll() is None:
            stop_group(proc)
    output = next(tmp_path.glob("serve-*.log")).read_text(errors="replace")
    # No request was left waiting until the graceful shutdown gave up on it.
    assert "graceful shutdown exceeded" not in output, output
    assert sorted(_bronze_ids(lake)) == sorted(_ids(acknowledged))


def test_a_spool_that_cannot_write_reports_unhealthy_until_storage_takes_writes(
    tmp_path: Path,
) -> None:
    """A storage refusal does not stop the writer (it rides it out), but while its writes
    fail /healthz says so (503, the code) rather than "ok"; once storage takes writes
    again it is healthy again by itself — with no traffic too — and nothing is lost."""
    lake = tmp_path / "lake"
    live, server = start_collector(lake)
    spool_dir = live.runtime.spool_dir
    try:
        acknowledged = fresh_events(10)
        assert _post(live.url, acknowledged).status_code == 202
        # The spool's folder is a file now (root ignores permission bits).
        shutil.move(spool_dir, tmp_path / "spool-aside")
        spool_dir.write_text("not a folder")

        def refused() -> bool:
            batch = fresh_events(5)
            response = _post(live.url, batch)
            if response.status_code == 202:  # still the segment opened before: kept
                acknowledged.extend(batch)
                return False
            _assert_refused(response)
            return True

        wait_until(refused, "a write refused by storage")
        health = httpx.get(f"{live.url}/healthz", timeout=ANSWER_S)
        assert health.status_code == 503
        body = health.json()
        assert body["status"] == "unhealthy"
        assert body["spool_writer"] == "failing"
        assert body["error_code"] == "EVENT_PUT_FAILED"
        assert live.runtime.spool.failure is None  # the writer goes on

        spool_dir.unlink()
        shutil.move(tmp_path / "spool-aside", spool_dir)
        wait_until(
            lambda: httpx.get(f"{live.url}/healthz", timeout=ANSWER_S).status_code == 200,
            "/healthz healthy again with no traffic",
        )
        after = fresh_events(10)
        assert _post(live.url, after).status_code == 202
        acknowledged.extend(after)
        live.wait_landed(len(acknowledged))
        assert sorted(_bronze_ids(lake)) == sorted(_ids(acknowledged))
    finally:
        live.client.close()
        server.stop()


def test_a_spool_folder_storage_cannot_list_gets_the_coded_refusal_not_a_500(
    tmp_path: Path,
) -> None:
    """Back-pressure samples the spool's size (at most 5 times a second) by listing its
    folder. While storage refuses that listing, every request gets the writes' refusal (503
    EVENT_PUT_FAILED) or is acknowledged, never a 500, and the events acknowledged land."""
    lake = tmp_path / "lake"
    live, server = start_collector(lake)
    spool_dir = live.runtime.spool_dir
    try:
        acknowledged = fresh_events(3)
        assert _post(live.url, acknowledged).status_code == 202
        shutil.move(spool_dir, tmp_path / "spool-aside")
        spool_dir.write_text("not a folder")
        answers = []
        for _ in range(5):
            time.sleep(0.3)  # past the sampling interval: the request lists the folder
            batch = fresh_events(2)
            answer = _post(live.url, batch)
            answers.append(answer.status_code)
            if answer.status_code == 202:
                acknowledged.extend(batch)
            else:
                _assert_refused(answer)
        assert 503 in answers
        spool_dir.unlink()
        shutil.move(tmp_path / "spool-aside", spool_dir)
        live.wait_landed(len(acknowledged))
        assert sorted(_bronze_ids(lake)) == sorted(_ids(acknowledged))
    finally:
        live.client.close()
        server.stop()
