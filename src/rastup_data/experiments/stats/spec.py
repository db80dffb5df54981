"""What to measure: a metric's column(s), kind, role, preferred direction and guardrail margin."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from enum import Enum

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.experiments.stats.margins import Direction, MarginKind

__all__ = ["MetricKind", "MetricRole", "MetricSpec", "parse_guardrail"]


class MetricKind(str, Enum):
    """``auto`` becomes ``proportion`` when every value is 0 or 1, else ``mean``."""

    AUTO = "auto"
    MEAN = "mean"
    PROPORTION = "proportion"
    RATIO = "ratio"


class MetricRole(str, Enum):
    """Primary metrics decide the recommendation (multiple-testing corrected); guardrails
    must not get worse by more than their margin; secondary metrics are informational."""

    PRIMARY = "primary"
    GUARDRAIL = "guardrail"
    SECONDARY = "secondary"


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One metric over the unit table.

    ``column`` is the value (the numerator for a ratio); ``denominator`` makes it a ratio
    of per-unit sums. ``covariates`` are pre-period columns for CUPED.
    """

    name: str
    column: str
    kind: MetricKind = MetricKind.AUTO
    denominator: str | None = None
    covariates: tuple[str, ...] = field(default_factory=tuple)
    role: MetricRole = MetricRole.PRIMARY
    direction: Direction = Direction.INCREASE
    margin: float = 0.0
    margin_kind: MarginKind = MarginKind.RELATIVE

    def __post_init__(self) -> None:
        # Accept plain strings ("ratio", "guardrail", "decrease") for the enum fields.
        for name, enum in (
            ("kind", MetricKind),
            ("role", MetricRole),
            ("direction", Direction),
            ("margin_kind", MarginKind),
        ):
            value = getattr(self, name)
            try:
                object.__setattr__(self, name, enum(value))
            except ValueError:
                allowed = ", ".join(e.value for e in enum)
                raise RastupError(
                    ErrorCode.EXPERIMENT_INVALID,
                    f"metric {self.name!r}: {name} must be one of {allowed}, not {value!r}.",
                ) from None
        object.__setattr__(self, "covariates", tuple(self.covariates))
        if not self.name or not self.column:
            raise RastupError(ErrorCode.EXPERIMENT_INVALID, "a metric needs a name and a column.")
        if (self.kind is MetricKind.RATIO) != (self.denominator is not None):
            raise RastupError(
                ErrorCode.EXPERIMENT_INVALID,
                f"metric {self.name!r}: a ratio metric needs a denominator "
                "column, and only ratio metrics take one.",
            )
        if not (math.isfinite(self.margin) and self.margin >= 0):
            raise RastupError(
                ErrorCode.EXPERIMENT_INVALID,
                f"metric {self.name!r}: the margin must be a non-negative number.",
            )

    @classmethod
    def of(cls, value: str | MetricSpec) -> MetricSpec:
        """A spec from a spec, a column name, or ``NAME=NUM/DEN`` for a ratio."""
        if isinstance(value, MetricSpec):
            return value
        text = value.strip()
        ratio = re.fullmatch(r"([^=/\s]+)\s*=\s*([^=/\s]+)\s*/\s*([^=/\s]+)", text)
        if ratio:
            return cls(ratio[1], ratio[2], MetricKind.RATIO, ratio[3])
        if not text or "=" in text or "/" in text:
            raise RastupError(
                ErrorCode.EXPERIMENT_INVALID,
                f"cannot read metric {value!r}: give a column name, or "
                "NAME=NUMERATOR/DENOMINATOR for a ratio.",
            )
        return cls(text, text)


_GUARDRAIL = re.compile(r"\s*([^<>=\s]+)\s*(>=|<=)\s*([+-]?\d+(?:\.\d*)?|[+-]?\.\d+)\s*(%?)\s*")


def parse_guardrail(text: str) -> MetricSpec:
    """``COL>=-1%`` (must not drop more than 1 %), ``COL<=+50`` (must not rise more than 50).

    ``>=`` means higher is better, ``<=`` lower is better; ``%`` makes the margin relative.
    """
    match = _GUARDRAIL.fullmatch(text)
    if match is None:
        raise RastupError(
            ErrorCode.EXPERIMENT_INVALID,
            f"cannot read guardrail {text!r}: write COLUMN>=-1% (must not drop "
            "more than 1 %) or COLUMN<=+50 (must not rise by more than 50).",
        )
    column, op, number, percent = match.groups()
    value = float(number)
    direction = Direction.INCREASE if op == ">=" else Direction.DECREASE
    if (direction is Direction.INCREASE and value > 0) or (
        direction is Direction.DECREASE and value < 0
    ):
        raise RastupError(
            ErrorCode.EXPERIMENT_INVALID,
            f"guardrail {text!r}: the margin must allow a move in the bad "
            "direction (e.g. >=-1% or <=+2%).",
        )
    return MetricSpec(
        column,
        column,
        role=MetricRole.GUARDRAIL,
        direction=direction,
        margin=abs(value) / 100.0 if percent else abs(value),
        margin_kind=MarginKind.RELATIVE if percent else MarginKind.ABSOLUTE,
    )
