"""Shared test configuration."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("DO_NOT_TRACK", "1")


@dataclass(frozen=True)
class BuiltLake:
    """A small simulated marketplace landed into Bronze and built into Silver/Gold."""

    root: Path
    sim: Path
    layout: Any

    @property
    def golden(self) -> Path:
        return self.sim / "golden.json"


@pytest.fixture(scope="session")
def built_lake(tmp_path_factory: pytest.TempPathFactory) -> BuiltLake:
    """One published build shared (read-only) by the registry, catalogue and notebook tests."""
    from rastup_data.lake.layout import LakeLayout
    from rastup_data.lander import land_ndjson
    from rastup_data.simulate import simulate
    from rastup_data.transform import build

    root = tmp_path_factory.mktemp("built-lake")
    simulate(root / "sim", seed=5, days=4, users=800)
    layout = LakeLayout(root / "lake")
    with open(root / "sim" / "events.ndjson", "rb") as lines:
        land_ndjson(layout, lines, name="built-lake")
    build(layout)
    return BuiltLake(root / "lake", root / "sim", layout)
