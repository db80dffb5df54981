"""A small published lake (two cities, payments, searches, Bronze) shared by the gate tests."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "transform"))
sys.path.insert(0, str(Path(__file__).parent))

from bronze_fixture import write_bronze
from gate_fixture import market_events

from rastup_data.governance import Gate
from rastup_data.lake.layout import LakeLayout
from rastup_data.state import open_state
from rastup_data.transform import BuildOptions, build


@pytest.fixture(scope="package")
def lake(tmp_path_factory: pytest.TempPathFactory) -> LakeLayout:
    layout = LakeLayout(Path(tmp_path_factory.mktemp("governance")) / "lake")
    write_bronze(layout, market_events(), name="market")
    build(layout, BuildOptions(quality_gates=False))
    return layout


@pytest.fixture
def gate(lake: LakeLayout, tmp_path: Path) -> Iterator[Gate]:
    """A gate over the shared lake with its own state database (audit, tokens, key)."""
    state = open_state(f"sqlite:///{tmp_path / 'state.db'}")
    with Gate(lake, state=state, env="test") as g:
        yield g
