"""Alert tests: the scenarios module beside them, and a lake with a state database."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "transform"))
sys.path.insert(0, str(Path(__file__).parent))
