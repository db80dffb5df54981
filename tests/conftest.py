"""Shared test configuration."""

from __future__ import annotations

import os

os.environ.setdefault("DO_NOT_TRACK", "1")
