"""Backoff delays and Retry-After parsing."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from rastup_data.client.retry import RetryPolicy, parse_retry_after
from rastup_data.errors import RastupError


def test_parse_retry_after_seconds_and_dates() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(" 0.5 ") == 0.5
    assert parse_retry_after("-4") == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    now = datetime(2026, 11, 22, 5, 0, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=42), usegmt=True)
    assert parse_retry_after(later, now=now) == pytest.approx(42.0)
    earlier = format_datetime(now - timedelta(seconds=42), usegmt=True)
    assert parse_retry_after(earlier, now=now) == 0.0


def test_backoff_grows_exponentially_within_jitter_bounds() -> None:
    policy = RetryPolicy(base_delay=0.1, max_delay=1.0)
    rng = random.Random(7)
    for attempt, ceiling in [(1, 0.1), (2, 0.2), (3, 0.4), (4, 0.8), (5, 1.0), (9, 1.0)]:
        draws = [policy.delay(attempt, None, rng) for _ in range(300)]
        assert all(0.0 <= d <= ceiling for d in draws)
        # Full jitter spreads retries over the whole window.
        assert max(draws) > 0.8 * ceiling
        assert min(draws) < 0.2 * ceiling


def test_retry_after_is_honoured_and_capped() -> None:
    policy = RetryPolicy(max_retry_after=5.0)
    rng = random.Random(1)
    draws = [policy.delay(1, 2.0, rng) for _ in range(200)]
    assert all(2.0 <= d <= 2.2 for d in draws)
    assert all(5.0 <= policy.delay(1, 600.0, rng) <= 5.5 for _ in range(50))


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(RastupError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(RastupError):
        RetryPolicy(base_delay=-1)
