"""The plain vocabulary of guardrails: which way a metric should move and how a margin is
measured. Kept apart from ``guardrails`` (scipy) so metric definitions load without it."""

from __future__ import annotations

from enum import Enum

__all__ = ["Direction", "MarginKind"]


class Direction(str, Enum):
    """Which way a metric should move."""

    INCREASE = "increase"
    DECREASE = "decrease"


class MarginKind(str, Enum):
    """Whether a margin is a fraction of the control mean or in the metric's own units."""

    RELATIVE = "relative"
    ABSOLUTE = "absolute"
