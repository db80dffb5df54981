"""How an experiment is analysed: level, sequential testing, correction, finality."""

from __future__ import annotations

import math
from dataclasses import dataclass

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.experiments.stats.sequential import DEFAULT_TUNING
from rastup_data.experiments.stats.srm import SRM_THRESHOLD

__all__ = ["CORRECTIONS", "AnalysisOptions"]

#: Multiple-testing corrections of the primary metrics' p-values.
CORRECTIONS = ("holm", "bh", "none")


@dataclass(frozen=True, slots=True)
class AnalysisOptions:
    """``alpha``: two-sided level; ``sequential``: always-valid p-values and intervals with
    the mixture ``tuning``; ``correction``: over primary metrics (holm, bh or none);
    ``final``: the planned sample is reached (no winner then means stop);
    ``srm_threshold``: p-value below which the sample ratio mismatch check flags."""

    alpha: float = 0.05
    sequential: bool = False
    tuning: float = DEFAULT_TUNING
    correction: str = "holm"
    final: bool = False
    srm_threshold: float = SRM_THRESHOLD

    def check(self) -> AnalysisOptions:
        """These options, or EXPERIMENT_INVALID naming the one out of range."""
        if not (isinstance(self.alpha, float | int) and 0 < self.alpha < 1):
            raise _invalid(f"alpha must be between 0 and 1, got {self.alpha}.")
        if not (math.isfinite(self.tuning) and self.tuning > 0):
            raise _invalid(f"the sequential tuning must be positive, got {self.tuning}.")
        if self.correction not in CORRECTIONS:
            raise _invalid(
                f"unknown correction {self.correction!r}; use one of {', '.join(CORRECTIONS)}."
            )
        return self


def _invalid(message: str) -> RastupError:
    return RastupError(ErrorCode.EXPERIMENT_INVALID, message)
