"""When to retry a request to the collector, and how long to wait before doing so."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from rastup_data.errors import ErrorCode, RastupError

__all__ = ["RETRYABLE_STATUSES", "RetryPolicy", "parse_retry_after"]

#: Statuses that mean "not now": overload (429, 503) and gateway trouble (500, 502, 504).
#: Resending is safe because the collector deduplicates by event_id.
RETRYABLE_STATUSES: frozenset[int] = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with full jitter, honouring the server's Retry-After.

    ``max_attempts`` counts the first try: 1 means never retry.
    """

    max_attempts: int = 6
    base_delay: float = 0.2
    max_delay: float = 20.0
    max_retry_after: float = 60.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise RastupError(
                ErrorCode.CONFIG_INVALID,
                f"max_attempts must be at least 1, got {self.max_attempts}.",
            )
        if self.base_delay < 0 or self.max_delay < 0 or self.max_retry_after < 0:
            raise RastupError(ErrorCode.CONFIG_INVALID, "Retry delays must not be negative.")

    def delay(
        self, attempt: int, retry_after: float | None, rng: random.Random | None = None
    ) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based).

        With a Retry-After the wait is that many seconds plus up to 10 % jitter (so many
        clients told the same value do not return together), capped at ``max_retry_after``.
        Without one it is uniform in [0, min(max_delay, base_delay * 2**(attempt-1))].
        """
        draw: float = (rng or random).random()
        if retry_after is not None:
            wait = min(max(retry_after, 0.0), self.max_retry_after)
            return wait + 0.1 * wait * draw
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** max(attempt - 1, 0))
        return ceiling * draw


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date); None when absent or bad."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        return max(float(text), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    reference = now or datetime.now(UTC)
    return max((when - reference).total_seconds(), 0.0)
