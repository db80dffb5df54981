"""Legs that need the provider's acceptance (catalogue v1.1).

Some legs are not instant-book: the platform sends ``booking.leg.requested`` with an
``accept_by`` deadline, and the provider answers with ``booking.leg.accepted`` (then the
leg is confirmed) or ``booking.leg.declined`` — or never answers, and the request expires.
Most answers come within hours; a few acceptances arrive after the deadline (late, still
accepted). A declined or expired leg is cancelled and refunded like any cancellation.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import Enum

__all__ = ["ACCEPT_WINDOW_MS", "AcceptanceDesk", "Answer", "LegAnswer"]

_MINUTE_MS = 60_000
_HOUR_MS = 3_600_000
#: How long a provider has to answer a request.
ACCEPT_WINDOW_MS = 24 * _HOUR_MS
#: Share of legs that need acceptance, by provider type (studios more often).
_NEEDS_ACCEPTANCE = {"talent": 0.3, "studio": 0.5}
_ACCEPTED, _DECLINED = 0.80, 0.10  # the rest never answer
_LATE_SHARE = 0.06  # of acceptances, after accept_by
_DECLINE_REASONS = (
    "fully booked that day",
    "outside my service area",
    "not the kind of shoot I do",
    "need more notice",
)


class Answer(str, Enum):
    """How a provider answered a request."""

    ACCEPTED = "accepted"
    DECLINED = "declined"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class LegAnswer:
    """The provider's answer to one request and when it came (``t`` of the answer, or of
    the deadline when none came)."""

    answer: Answer
    t: int
    reason: str = ""


class AcceptanceDesk:
    """Decides which legs need acceptance and how and when their providers answer."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def needs_acceptance(self, provider_type: str) -> bool:
        return self._rng.random() < _NEEDS_ACCEPTANCE.get(provider_type, 0.0)

    def accept_by(self, requested_at: int) -> int:
        return requested_at + ACCEPT_WINDOW_MS

    def answer(self, requested_at: int) -> LegAnswer:
        """The answer to a request made at ``requested_at`` (epoch ms)."""
        rng = self._rng
        deadline = self.accept_by(requested_at)
        draw = rng.random()
        if draw < _ACCEPTED:
            if rng.random() < _LATE_SHARE:
                delay = ACCEPT_WINDOW_MS + _MINUTE_MS + int(rng.random() * 12 * _HOUR_MS)
            else:
                # Mostly within a few hours: an exponential with a 3 h mean, inside the window.
                delay = min(int(rng.expovariate(1 / (3 * _HOUR_MS))), ACCEPT_WINDOW_MS - 1)
            return LegAnswer(Answer.ACCEPTED, requested_at + _MINUTE_MS + delay)
        if draw < _ACCEPTED + _DECLINED:
            delay = min(int(rng.expovariate(1 / (2 * _HOUR_MS))), ACCEPT_WINDOW_MS - 1)
            reason = _DECLINE_REASONS[rng.randrange(len(_DECLINE_REASONS))]
            return LegAnswer(Answer.DECLINED, requested_at + _MINUTE_MS + delay, reason)
        return LegAnswer(Answer.NONE, deadline)
