"""A private copy of the session's built lake for the BI tests (they write extracts)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from rastup_data.lake.layout import LakeLayout


@pytest.fixture
def bi_lake(built_lake: Any, tmp_path: Path) -> LakeLayout:
    """A writable copy of the built lake (its published build holds the datasets)."""
    root = tmp_path / "lake"
    shutil.copytree(built_lake.root, root)
    return LakeLayout(root)
