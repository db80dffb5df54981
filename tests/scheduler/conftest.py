"""Scheduler tests use the hand-written Bronze of the transform tests."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "transform"))
