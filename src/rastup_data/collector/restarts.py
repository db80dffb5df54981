"""When the supervisor restarts a worker that died: soon after one that had been up a
while, later and later after one that keeps dying soon after it starts (a writer that
cannot start, a broken disk) instead of every half second.

A worker's history is the uptimes of its ended lives, oldest first. With ``n`` the number
of lives, counted back from the last, each shorter than ``stable_s``:

    delay = first_s                            if n = 0 (the last life was long: reset)
    delay = min(first_s · 2^(n − 1), max_s)    otherwise

so 0.5 s, 1 s, 2 s, … 30 s with the defaults, back to 0.5 s once a worker stayed up a minute.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["DEFAULT_RESTARTS", "HISTORY", "RestartPolicy", "restart_delay"]

#: Lives remembered per worker: enough for any delay to reach its cap (2^7 · 0.5 s > 30 s).
HISTORY = 16


@dataclass(frozen=True, slots=True)
class RestartPolicy:
    """The first delay, its cap, and the uptime after which a worker counts as stable."""

    first_s: float = 0.5
    max_s: float = 30.0
    stable_s: float = 60.0


#: 0.5 s doubling to 30 s, reset after a minute up.
DEFAULT_RESTARTS = RestartPolicy()


def restart_delay(uptimes: Sequence[float], policy: RestartPolicy = DEFAULT_RESTARTS) -> float:
    """Seconds to wait before restarting a worker whose ended lives lasted ``uptimes``."""
    short = 0
    for uptime in reversed(uptimes):
        if uptime >= policy.stable_s:
            break
        short += 1
    if short == 0:
        return policy.first_s
    return min(policy.first_s * 2.0 ** min(short - 1, 64), policy.max_s)
