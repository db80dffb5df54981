"""`queries running` lists the queries two `rastup-data serve` worker processes run for
HTTP callers, with their principal, SQL, elapsed time and scanned bytes; `queries kill`
interrupts each one in the worker running it, whose caller gets QUERY_KILLED (audited)."""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from click.testing import CliRunner
from tests.collector.conftest import descendants, free_port, start_serve
from tests.waiting import PATIENCE_S, wait_until

from rastup_data.cli import cli
from rastup_data.governance import Gate
from rastup_data.lake.layout import LakeLayout

pytestmark = pytest.mark.slow

LONG = (
    "SELECT count(*) FROM gold.kpi_marketplace_daily AS k, range(100000000000) AS a "
    "WHERE k.dt >= DATE '2026-01-01'"
)


@pytest.fixture
def own(lake: LakeLayout, tmp_path: Path) -> LakeLayout:
    """A copy of the shared lake: serve's schedules may refresh extracts into it."""
    shutil.copytree(lake.root, tmp_path / "lake")
    return LakeLayout(tmp_path / "lake")


@pytest.fixture
def served(own: LakeLayout, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str, int]]:
    """Two serve workers over the lake (its default state database), an admin token."""
    monkeypatch.delenv("RASTUP_STATE_URL", raising=False)
    lake = own
    with Gate.open(lake.root) as gate:
        token, _ = gate.tokens.create(
            "ops-killer", "admin", known_roles=gate.policy.roles, created_by="t"
        )
    port = free_port()
    proc = start_serve(lake.root, port, workers=2)
    try:
        yield f"http://127.0.0.1:{port}", token, proc.pid
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(PATIENCE_S)


def _queries(lake: LakeLayout, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["queries", *args, "--lake", str(lake.root)])
    return result.exit_code, result.output


def _running(lake: LakeLayout) -> list[dict[str, Any]]:
    code, output = _queries(lake, "running", "--format", "json")
    assert code == 0, output
    found: list[dict[str, Any]] = orjson.loads(output)["queries"]
    return found


def _listed(lake: LakeLayout, count: int) -> list[dict[str, Any]]:
    """The running queries, once at least ``count`` of them are listed."""
    found: list[dict[str, Any]] = wait_until(
        lambda: q if len(q := _running(lake)) >= count else None,
        f"{count} queries listed as running",
    )
    return found


def test_serve_queries_are_listed_and_killed(served: tuple[str, str, int], own: LakeLayout) -> None:
    lake = own
    url, token, serve_pid = served
    answers: list[httpx.Response] = []

    def ask() -> None:
        answers.append(
            httpx.post(
                f"{url}/v1/query",
                json={"sql": LONG},
                headers={"Authorization": f"Bearer {token}"},
                timeout=120,
            )
        )

    callers = [threading.Thread(target=ask) for _ in range(2)]
    for caller in callers:
        caller.start()
    listed = _listed(lake, 2)
    assert {(q["principal"], q["path"], q["sql"]) for q in listed} == {("ops-killer", "http", LONG)}
    assert all(q["scanned_bytes"] > 0 and q["running_s"] >= 0 for q in listed)
    workers = descendants(serve_pid)
    assert {int(q["runner"].rpartition(":")[2]) for q in listed} <= workers

    started = time.monotonic()
    for query in listed:
        code, output = _queries(lake, "kill", query["query_id"])
        assert code == 0, output
        assert output.strip() == f"{query['query_id']}: stopped"
    for caller in callers:
        caller.join(PATIENCE_S)
    assert time.monotonic() - started < 10  # both interrupted, not run to the end
    codes = [(a.status_code, a.json()["error"]["code"]) for a in answers]
    assert codes == [(400, "QUERY_KILLED")] * 2
    assert _running(lake) == []

    with Gate.open(lake.root) as gate:
        killed = {r.query_id for r in gate.audit.records() if r.code == "QUERY_KILLED"}
    assert {q["query_id"] for q in listed} <= killed

    code, output = _queries(lake, "kill", listed[0]["query_id"])
    assert code == 2
    assert "QUERY_NOT_RUNNING" in output
