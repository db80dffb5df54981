"""A small simulated lake with data about one subject in every store, copied per test."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import orjson
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from privacy_fixture import Subjects

from rastup_data.lake.layout import LakeLayout
from rastup_data.lander import land_ndjson
from rastup_data.privacy import Actor, PrivacyContext, open_privacy
from rastup_data.simulate import simulate
from rastup_data.transform import BuildOptions, build

#: Bronze files the fixture lands (the crash test needs several to kill a purge half-way).
CHUNKS = 8


def _linked(glob: str) -> dict[str, set[str]]:
    with duckdb.connect() as conn:
        rows = conn.execute(
            "SELECT coalesce(payload ->> 'user_id', user_id), payload ->> 'anon_id' "
            f"FROM read_parquet('{glob}') WHERE event = 'identity.linked'"
        ).fetchall()
    links: dict[str, set[str]] = {}
    for user, anon in rows:
        links.setdefault(str(user), set()).add(str(anon))
    return links


def _land_in_chunks(layout: LakeLayout, events: Path) -> None:
    lines = events.read_bytes().splitlines()
    size = len(lines) // CHUNKS + 1
    for n in range(CHUNKS):
        land_ndjson(layout, lines[n * size : (n + 1) * size], name=f"chunk{n:02d}")


@pytest.fixture(scope="package")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Subjects]:
    root = Path(tmp_path_factory.mktemp("privacy"))
    simulate(root / "sim", seed=11, days=2, users=300)
    layout = LakeLayout(root / "lake")
    _land_in_chunks(layout, root / "sim" / "events.ndjson")
    links = _linked(layout.events_glob)
    ranked = sorted(links, key=lambda u: (-len(links[u]), u))
    subjects = Subjects(
        ranked[0], frozenset(links[ranked[0]]), ranked[1], frozenset(links[ranked[1]])
    )
    # A rejected event naming the subject (its raw text goes to quarantine).
    bad = {"event": "no.such.event", "v": 1, "user_id": subjects.user, "payload": {}}
    land_ndjson(layout, [orjson.dumps(bad)], name="rejected")
    build(layout, BuildOptions(quality_gates=False))
    return layout.root, subjects


@pytest.fixture
def lake(
    template: tuple[Path, Subjects],
    tmp_path: Path,
    state_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> LakeLayout:
    """A private copy of the template lake (work folder included), its state database on
    SQLite and on PostgreSQL (RASTUP_STATE_URL, so the commands and subprocesses use it)."""
    shutil.copytree(template[0], tmp_path / "lake")
    monkeypatch.setenv("RASTUP_STATE_URL", state_url)
    return LakeLayout(tmp_path / "lake")


@pytest.fixture
def subjects(template: tuple[Path, Subjects]) -> Subjects:
    return template[1]


@pytest.fixture
def ctx(lake: LakeLayout) -> Iterator[PrivacyContext]:
    with open_privacy(lake.root, actor=Actor("officer")) as context:
        yield context
