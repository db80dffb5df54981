"""The simulator's knobs, validated in one place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from rastup_data.errors import ErrorCode, RastupError

__all__ = ["DEFAULT_START", "SimulationConfig", "parse_start"]

DEFAULT_START = date(2026, 11, 1)
_MAX_DAYS = 366
_MAX_USERS = 50_000_000


@dataclass(frozen=True, slots=True)
class SimulationConfig:
    """What to simulate. Same config, same bytes."""

    seed: int = 7
    days: int = 7
    users: int = 10_000
    start: date = DEFAULT_START
    duplicate_rate: float = 0.005
    late_rate: float = 0.01
    malformed_rate: float = 0.005
    late_money_rate: float = 0.02

    def __post_init__(self) -> None:
        if not 1 <= self.days <= _MAX_DAYS:
            raise RastupError(
                ErrorCode.CONFIG_INVALID,
                f"--days must be between 1 and {_MAX_DAYS}, got {self.days}.",
            )
        if not 1 <= self.users <= _MAX_USERS:
            raise RastupError(
                ErrorCode.CONFIG_INVALID,
                f"--users must be between 1 and {_MAX_USERS:,}, got {self.users}.",
            )
        if not 0 <= self.seed < 2**63:
            raise RastupError(
                ErrorCode.CONFIG_INVALID,
                f"--seed must be an integer from 0 to 2**63 - 1, got {self.seed}.",
            )
        for name in ("duplicate_rate", "late_rate", "malformed_rate", "late_money_rate"):
            value = getattr(self, name)
            if not 0.0 <= value < 0.5:
                raise RastupError(
                    ErrorCode.CONFIG_INVALID, f"{name} must be in [0, 0.5), got {value}."
                )

    @property
    def start_ms(self) -> int:
        """Start of the first simulated day, in epoch milliseconds (UTC)."""
        midnight = datetime(self.start.year, self.start.month, self.start.day, tzinfo=UTC)
        return int(midnight.timestamp()) * 1000

    @property
    def end_ms(self) -> int:
        """End (exclusive) of the simulated window, in epoch milliseconds (UTC)."""
        return self.start_ms + self.days * 86_400_000

    @property
    def experiment_start_day(self) -> int:
        """Day index when experiments start; the days before are the pre-period."""
        return min(3, self.days - 1) if self.days > 1 else 0


def parse_start(text: str) -> date:
    """Parse a ``YYYY-MM-DD`` start date or raise ``CONFIG_INVALID``."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise RastupError(
            ErrorCode.CONFIG_INVALID, f"--start must be a date like 2026-11-01, got {text!r}."
        ) from None
