"""The spill limit: what one query may write to DuckDB's temporary folder is its role's
``limits.max_temp_bytes``; past it the query is stopped with QUERY_SPILL_TOO_LARGE, audited
as refused, over the real HTTP route."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from gate_fixture import serve_lake

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.governance import Gate, session
from rastup_data.governance.audit import AuditLog
from rastup_data.governance.gate import QueryPath
from rastup_data.governance.policy import (
    DEFAULT_MAX_TEMP_BYTES,
    default_policy_path,
    load_policy,
    parse_policy,
)
from rastup_data.lake.layout import LakeLayout
from rastup_data.state import open_state

MIB = 1024 * 1024
GIB = 1024 * MIB
#: A sort of two million 32-character texts: far more than a 16 MiB session holds, so DuckDB
#: must spill it before the first row (and its answer is past the viewer's budget, so a
#: missing spill limit shows as QUERY_ANSWER_TOO_LARGE instead).
SPILLING = "SELECT i, md5(CAST(i AS VARCHAR)) AS m FROM range(2000000) AS t(i) ORDER BY m"


def _document() -> Any:
    return copy.deepcopy(yaml.safe_load(default_policy_path().read_text()))


def test_the_shipped_roles_may_spill_4_gib_and_the_default_is_4_gib() -> None:
    assert DEFAULT_MAX_TEMP_BYTES == 4 * GIB
    policy = load_policy()
    assert {role.limits.max_temp_bytes for role in policy.roles.values()} == {4 * GIB}
    data = _document()
    data["roles"]["viewer"]["limits"] = {"max_rows": 10}
    assert parse_policy(data).role("viewer").limits.max_temp_bytes == 4 * GIB
    data["roles"]["viewer"]["limits"]["max_temp_bytes"] = "512 MiB"
    assert parse_policy(data).role("viewer").limits.max_temp_bytes == 512 * MIB


@pytest.mark.parametrize("value", ["lots", 0, -5, True, "0 GiB"])
def test_a_malformed_spill_limit_names_its_path(value: object) -> None:
    data = _document()
    data["roles"]["viewer"]["limits"]["max_temp_bytes"] = value
    with pytest.raises(RastupError) as error:
        parse_policy(data, source="policy.yaml")
    assert error.value.code is ErrorCode.POLICY_INVALID
    assert "roles.viewer.limits.max_temp_bytes" in error.value.message


@dataclass
class Served:
    client: httpx.Client
    token: str
    state_url: str


@pytest.fixture
def served(lake: LakeLayout, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    """A collector whose viewers may spill 1 MiB, in sessions of 16 MiB of memory (the
    floor lowered from 1 GiB so that a modest sort spills), run from the test's folder."""
    data = _document()
    data["roles"]["viewer"]["limits"] |= {"max_answer_bytes": "4 MiB", "max_temp_bytes": "1 MiB"}
    (tmp_path / "policy.yaml").write_text(yaml.safe_dump(data))
    monkeypatch.setenv("RASTUP_POLICY", str(tmp_path / "policy.yaml"))
    monkeypatch.setattr(session, "MIN_SESSION_MEMORY", 16 * MIB)
    monkeypatch.chdir(tmp_path)  # DuckDB's default spill folder would be ./.tmp
    state_url = f"sqlite:///{tmp_path / 'state.db'}"
    policy = load_policy(tmp_path / "policy.yaml")
    with Gate(lake, state=open_state(state_url), policy=policy, env="test") as gate:
        token, _ = gate.tokens.create(
            "spill-viewer", "viewer", known_roles=gate.policy.roles, created_by="test"
        )
    with serve_lake(lake, state_url=state_url) as client:
        yield Served(client, token, state_url)


def _query(served: Served, sql: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {served.token}"}
    return served.client.post("/v1/query", json={"sql": sql}, headers=headers)


def test_a_query_past_its_spill_limit_is_refused_and_audited(
    served: Served, lake: LakeLayout, tmp_path: Path
) -> None:
    before = _spill_folders(lake)
    response = _query(served, SPILLING)
    assert response.status_code == 400, response.text[:300]
    body = response.json()["error"]
    assert body["code"] == "QUERY_SPILL_TOO_LARGE"
    assert "1.0 MiB" in body["message"]
    assert "viewer" in body["message"]
    assert "\n" not in body["message"]
    last = AuditLog(open_state(served.state_url)).records()[-1]
    assert (last.status, last.code, last.rows, last.sql) == (
        "refused",
        "QUERY_SPILL_TOO_LARGE",
        0,
        SPILLING,
    )
    # The session stays usable: a sort that fits in memory is answered.
    small = _query(served, "SELECT i FROM range(1000) AS t(i) ORDER BY i DESC")
    assert small.status_code == 200, small.text[:300]
    assert small.json()["rows"][:2] == [[999], [998]]
    # It spilled into its own folder in the node's work folder, not the server's folder.
    assert len(_spill_folders(lake) - before) == 1
    assert not (tmp_path / ".tmp").exists()


def test_a_closed_session_leaves_no_spill_folder(
    lake: LakeLayout, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _document()
    data["roles"]["viewer"]["limits"] |= {"max_answer_bytes": "4 MiB", "max_temp_bytes": "1 MiB"}
    monkeypatch.setattr(session, "MIN_SESSION_MEMORY", 16 * MIB)
    before = _spill_folders(lake)
    state_url = f"sqlite:///{tmp_path / 'state.db'}"
    with Gate(lake, state=open_state(state_url), policy=parse_policy(data), env="test") as gate:
        token, _ = gate.tokens.create(
            "spill-viewer", "viewer", known_roles=gate.policy.roles, created_by="test"
        )
        with pytest.raises(RastupError) as refused:
            gate.run(gate.authenticate(token), SPILLING, path=QueryPath.CLI)
        assert refused.value.code is ErrorCode.QUERY_SPILL_TOO_LARGE
        assert len(_spill_folders(lake) - before) == 1
    assert _spill_folders(lake) - before == set()


def _spill_folders(lake: LakeLayout) -> set[str]:
    """The sessions' spill folders now (other tests' gates may hold sessions open)."""
    root = lake.work.path(session.SPILL_ROOT)
    return {p.name for p in root.iterdir() if p.is_dir()} if root.is_dir() else set()
