"""Runaway queries: `queries running` lists a query another thread runs through the gate,
`queries kill` stops it (its caller gets QUERY_KILLED), and pinned dashboards read only
the extracts."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from gate_fixture import ADMIN

from rastup_data.cli import cli
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.governance import Gate, QueryPath
from rastup_data.lake.layout import LakeLayout
from rastup_data.state import open_state

SLOW = (
    "SELECT count(*) FROM gold.kpi_marketplace_daily AS k, range(100000000000) AS a "
    "WHERE k.dt >= DATE '2026-01-01'"
)


@pytest.fixture
def shared(lake: LakeLayout, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Gate:
    """A gate whose state database the CLI opens too (RASTUP_STATE_URL)."""
    url = f"sqlite:///{tmp_path / 'state.db'}"
    monkeypatch.setenv("RASTUP_STATE_URL", url)
    monkeypatch.setenv("RASTUP_ENV", "test")
    gate = Gate(lake, state=open_state(url), env="test")
    yield gate  # type: ignore[misc]
    gate.close()


def _cli(lake: LakeLayout, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["queries", *args, "--lake", str(lake.root)])
    return result.exit_code, result.output


def test_a_running_query_is_listed_and_killed(shared: Gate, lake: LakeLayout) -> None:
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            shared.run(ADMIN, SLOW, path=QueryPath.CLI)
        except RastupError as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    deadline = time.monotonic() + 30
    listed: list[dict[str, object]] = []
    while not listed and time.monotonic() < deadline:
        code, output = _cli(lake, "running", "--format", "json")
        assert code == 0, output
        listed = orjson.loads(output)["queries"]
        time.sleep(0.1)
    (query,) = listed
    assert (query["principal"], query["sql"], query["path"]) == ("alice", SLOW, "cli")
    assert query["scanned_bytes"] > 0
    assert query["running_s"] >= 0
    code, output = _cli(lake, "kill", str(query["query_id"]))
    assert code == 0, output
    assert output.strip().endswith("stopped")
    worker.join(30)
    (error,) = outcome
    assert isinstance(error, RastupError)
    assert error.code is ErrorCode.QUERY_KILLED
    assert shared.audit.records()[-1].code == "QUERY_KILLED"
    assert _cli(lake, "running", "--format", "json")[1].count("query_id") == 0
    code, output = _cli(lake, "kill", "no-such-query")
    assert code == 2
    assert "QUERY_NOT_RUNNING" in output


def test_pinned_dashboards_read_only_extracts(shared: Gate, lake: LakeLayout) -> None:
    sql = "SELECT count(*) FROM gold.kpi_marketplace_daily"
    assert shared.run(ADMIN, sql, path=QueryPath.DASHBOARD).rows[0][0] > 0
    assert _cli(lake, "pin-dashboards", "--reason", "high spend")[0] == 0
    time.sleep(2.1)  # gates read the switch at most every 2 s
    with pytest.raises(RastupError) as refused:
        shared.run(ADMIN, sql, path=QueryPath.DASHBOARD)
    assert refused.value.code is ErrorCode.ACCESS_DENIED
    assert "pinned to the BI extracts" in refused.value.message
    assert shared.run(ADMIN, sql, path=QueryPath.CLI).rows[0][0] > 0  # only dashboards
    assert _cli(lake, "unpin-dashboards")[0] == 0
    time.sleep(2.1)
    assert shared.run(ADMIN, sql, path=QueryPath.DASHBOARD).rows[0][0] > 0


def test_a_non_admin_token_cannot_list_or_kill(shared: Gate, lake: LakeLayout) -> None:
    token, _ = shared.tokens.create(
        "viewer-1", "viewer", known_roles=shared.policy.roles, created_by="t"
    )
    result = CliRunner().invoke(
        cli, ["queries", "running", "--lake", str(lake.root), "--token", token]
    )
    assert result.exit_code == 2
    assert "ACCESS_DENIED" in result.output
