"""Fixtures for the serving tests: one small published lake shared by the module."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "transform"))
