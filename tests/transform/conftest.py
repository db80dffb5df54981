"""Fixtures for the transform tests: a lake in a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from rastup_data.lake.layout import LakeLayout


@pytest.fixture
def layout(tmp_path: Path) -> LakeLayout:
    return LakeLayout(tmp_path / "lake")
