"""Fixtures for the transform tests: lakes in temporary folders, Bronze helpers on sys.path."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from rastup_data.lake.layout import LakeLayout

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def layout(tmp_path: Path) -> LakeLayout:
    return LakeLayout(tmp_path / "lake")
