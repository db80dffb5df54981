"""The shared lake and the node-local work folder: where each file goes."""

from __future__ import annotations

from pathlib import Path

import pytest

from rastup_data.config import resolve_work_dir
from rastup_data.lake.layout import LakeLayout, adopt_legacy_work
from rastup_data.lake.manifest import Manifest
from rastup_data.lander.direct import land_ndjson
from rastup_data.lander.replay import replay_quarantine
from rastup_data.state import open_state

from ..lander.conftest import NameCheck, envelope


def test_work_folder_is_the_argument_else_the_variable_else_inside_the_lake(
    tmp_path: Path,
) -> None:
    lake = tmp_path / "lake"
    assert resolve_work_dir(lake, environ={}) == lake / "_node"
    assert resolve_work_dir(lake, environ={"RASTUP_WORK_DIR": str(tmp_path / "w")}) == (
        tmp_path / "w"
    )
    assert resolve_work_dir(lake, tmp_path / "x", {"RASTUP_WORK_DIR": "/elsewhere"}) == (
        tmp_path / "x"
    )


def test_environment_variable_moves_the_work_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RASTUP_WORK_DIR", str(tmp_path / "node-a"))
    layout = LakeLayout(tmp_path / "lake")
    assert layout.spool == tmp_path / "node-a" / "spool"
    assert layout.state_db == tmp_path / "node-a" / "state" / "state.db"


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_two_nodes_share_a_lake_without_sharing_node_files(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    node_a = LakeLayout(lake, tmp_path / "a")
    node_b = LakeLayout(lake, tmp_path / "b")
    land_ndjson(node_a, [envelope() for _ in range(3)], name="from-a", validator=NameCheck())
    land_ndjson(
        node_b,
        [envelope(), envelope("bad.event")],
        name="from-b",
        validator=NameCheck({"bad.event"}),
    )
    # Both nodes' landings are in the one shared manifest and Bronze.
    assert {r.name for r in Manifest(node_a).records()} == {"from-a-000000", "from-b-000000"}
    shared = _files(lake)
    assert any(f.startswith("bronze/events/") for f in shared)
    assert any(f.startswith("bronze/_bad/") for f in shared)
    # Node-local files never land in the shared lake.
    assert not any(f.startswith(("spool", "state", "_spool", "_state", "_node")) for f in shared)
    assert replay_quarantine(node_b, validator=NameCheck()).landed == 1
    assert not any(f.startswith(("spool", "_spool", "_node")) for f in _files(lake))
    assert (tmp_path / "b" / "spool").is_dir()


def test_a_lake_from_before_the_work_folder_is_adopted_once(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    (lake / "_spool" / "w0").mkdir(parents=True)
    (lake / "_spool" / "w0" / "c1-000000000001.events.ndjson").write_bytes(b"{}\n")
    (lake / "_state").mkdir()
    (lake / "_state" / "state.db").write_bytes(b"db")
    elsewhere = LakeLayout(lake, tmp_path / "own-node")
    assert adopt_legacy_work(elsewhere) == []  # a node with its own folder takes nothing
    layout = LakeLayout(lake)
    assert adopt_legacy_work(layout) == ["_spool", "_state"]
    assert (layout.spool / "w0" / "c1-000000000001.events.ndjson").read_bytes() == b"{}\n"
    assert layout.state_db.read_bytes() == b"db"
    assert not (lake / "_spool").exists()
    assert not (lake / "_state").exists()
    assert adopt_legacy_work(layout) == []


def test_opening_the_state_of_an_old_lake_keeps_its_data(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    old = lake / "_state" / "state.db"
    old.parent.mkdir(parents=True)
    with open_state(f"sqlite:///{old}") as db:
        db.execute("CREATE TABLE kept (x TEXT)")
        db.execute("INSERT INTO kept VALUES ('still here')")
    with open_state(lake=lake) as db:
        assert db.fetchall("SELECT x FROM kept") == [("still here",)]
    assert not old.exists()
