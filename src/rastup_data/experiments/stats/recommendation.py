"""The ship / stop / continue / invalid recommendation, from SRM, guardrails, quality and primaries.

Rules, first match wins:

1. ``invalid``: the sample ratio mismatch check flagged the assignment; nothing else can be
   trusted until the cause is found.
2. ``stop``: every treatment is harmful — a guardrail ``fail`` or a primary metric that is
   significantly worse (corrected p < alpha, in its bad direction).
3. ``continue``: data-quality flags are present (given by the caller, duplicate units or an
   empty variant); results must not be acted on until they are resolved.
4. ``ship``: some treatment has a primary metric significantly better (corrected p < alpha,
   good direction), no primary significantly worse, and every guardrail ``pass``. The
   winner is the candidate with the largest relative effect on its best primary metric.
5. ``stop`` when the analysis is final (planned sample reached) with no winner.
6. ``continue`` otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from rastup_data.experiments.stats.guardrails import Direction, GuardrailStatus
from rastup_data.experiments.stats.results import MetricResult
from rastup_data.experiments.stats.spec import MetricRole

__all__ = ["Decision", "Recommendation", "recommend"]


class Recommendation(str, Enum):
    SHIP = "ship"
    STOP = "stop"
    CONTINUE = "continue"
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class Decision:
    recommendation: Recommendation
    winner: str | None
    reasons: tuple[str, ...]


def _good(row: MetricResult) -> bool:
    return (row.effect > 0) == (row.direction is Direction.INCREASE)


@dataclass(slots=True)
class _Tally:
    """Per treatment: why it is harmful, its significant wins, whether its guardrails pass."""

    harmful: dict[str, list[str]]
    wins: dict[str, list[MetricResult]]
    guardrails_clear: dict[str, bool]

    @classmethod
    def of(cls, rows: Sequence[MetricResult], treatments: list[str], alpha: float) -> _Tally:
        tally = cls({v: [] for v in treatments}, {v: [] for v in treatments}, {})
        tally.guardrails_clear = dict.fromkeys(treatments, True)
        for row in rows:
            if row.is_control:
                continue
            if row.role is MetricRole.GUARDRAIL:
                tally.add_guardrail(row)
            elif row.role is MetricRole.PRIMARY and row.p_value_adjusted < alpha:
                tally.add_primary(row)
        return tally

    def add_guardrail(self, row: MetricResult) -> None:
        if row.guardrail is GuardrailStatus.FAIL:
            self.harmful[row.variant].append(f"guardrail {row.metric} failed")
        if row.guardrail != "pass":
            self.guardrails_clear[row.variant] = False

    def add_primary(self, row: MetricResult) -> None:
        if _good(row):
            self.wins[row.variant].append(row)
        else:
            self.harmful[row.variant].append(f"primary {row.metric} significantly worse")

    def candidates(self) -> list[str]:
        """Treatments with a win, no harm, and every guardrail passed."""
        return [
            v
            for v in self.wins
            if self.wins[v] and not self.harmful[v] and self.guardrails_clear[v]
        ]

    def best_lift(self, variant: str) -> float:
        lifts = [
            abs(r.relative_effect) for r in self.wins[variant] if math.isfinite(r.relative_effect)
        ]
        return max(lifts, default=0.0)


_SRM_REASON = (
    "sample ratio mismatch: unit counts do not match the configured weights; "
    "find the assignment or logging bug before reading any metric"
)


def recommend(
    rows: Sequence[MetricResult],
    *,
    srm_flag: bool,
    quality_flags: Sequence[str],
    alpha: float,
    final: bool = False,
) -> Decision:
    """Apply the documented rules to analysed rows (with corrected p-values)."""
    if srm_flag:
        return Decision(Recommendation.INVALID, None, (_SRM_REASON,))
    treatments = sorted({r.variant for r in rows if not r.is_control})
    tally = _Tally.of(rows, treatments, alpha)
    reasons = [f"{v}: " + "; ".join(tally.harmful[v]) for v in treatments if tally.harmful[v]]
    if treatments and all(tally.harmful[v] for v in treatments):
        return Decision(Recommendation.STOP, None, tuple(reasons))
    if quality_flags:
        reasons.append(
            "data-quality flags: " + ", ".join(quality_flags) + "; resolve them before deciding"
        )
        return Decision(Recommendation.CONTINUE, None, tuple(reasons))
    candidates = tally.candidates()
    if candidates:
        winner = max(candidates, key=tally.best_lift)
        metrics = ", ".join(r.metric for r in tally.wins[winner])
        reasons.append(f"{winner}: significant improvement on {metrics}; guardrails pass")
        return Decision(Recommendation.SHIP, winner, tuple(reasons))
    return _no_winner(tally, treatments, reasons, final=final)


def _no_winner(
    tally: _Tally, treatments: list[str], reasons: list[str], *, final: bool
) -> Decision:
    for variant in treatments:
        if tally.wins[variant] and not tally.harmful[variant]:
            reasons.append(f"{variant}: primary improved but guardrails not yet cleared")
    if final:
        reasons.append("no treatment showed a significant improvement by the planned end")
        return Decision(Recommendation.STOP, None, tuple(reasons))
    reasons.append("no significant improvement yet; keep collecting data")
    return Decision(Recommendation.CONTINUE, None, tuple(reasons))
