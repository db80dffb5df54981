"""Turns generated events into the lines clients send, in send order, with faults.

Every event is encoded once (orjson), counted once in the ledger, and scheduled at its
send time: client events a few seconds after they occur (so lines arrive out of order),
some days later (late events), some twice (duplicate sends with the same bytes), and a
few broken copies with fresh event ids (malformed lines, never counted). A few payout and
refund events of the backend arrive a day or two late too (a delayed provider webhook).
"""

from __future__ import annotations

import heapq
import math
import random
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson

from rastup_data.simulate.clock import DAY_MS, TimestampFormatter
from rastup_data.simulate.config import SimulationConfig
from rastup_data.simulate.faults import MALFORMED_CLASSES, malformed_applies, malformed_line
from rastup_data.simulate.ids import EventIdSource
from rastup_data.simulate.ledger import GoldenLedger

__all__ = ["Actor", "EmitterCounts", "EventEmitter"]

_CLIENT_JITTER_MS = 20_000
_BACKEND_JITTER_MS = 1_500
#: Backend money events that may arrive late (their provider's webhook was delayed).
_LATE_MONEY_EVENTS = frozenset({"payout.created", "payout.paid", "payment.refund.succeeded"})
_NEVER = 1 << 62


class Actor(NamedTuple):
    """Who an event is about and where it comes from: its context and ids."""

    context: dict[str, str]
    user_id: str | None
    anon_id: str | None
    session_id: str | None


@dataclass(frozen=True, slots=True)
class EmitterCounts:
    """Lines written and what they were."""

    sent: int
    valid: int
    duplicates: int
    malformed: int
    late: int


def _geometric_gap(rng: random.Random, rate: float) -> int:
    """Events until the next fault when each event faults with probability ``rate``."""
    if rate <= 0.0:
        return _NEVER
    return int(math.log(1.0 - rng.random()) / math.log(1.0 - rate)) + 1


class EventEmitter:
    """Encodes, counts and schedules events; releases lines in send order."""

    def __init__(self, config: SimulationConfig, ledger: GoldenLedger) -> None:
        self._end_ms = config.end_ms
        self._ledger = ledger
        self._observe = ledger.observe
        self._config = config
        self._event_ids = EventIdSource(random.Random(config.seed * 1_000_003 + 11))
        self._faults = random.Random(config.seed * 1_000_003 + 29)
        self._timestamp = TimestampFormatter()
        self._heap: list[tuple[int, int, bytes]] = []
        self._seq = 0
        self._ready: list[bytes] = []
        self._valid = 0
        self._duplicates = 0
        self._malformed = 0
        self._late = 0
        self._dup_gap = _geometric_gap(self._faults, config.duplicate_rate)
        self._late_gap = _geometric_gap(self._faults, config.late_rate)
        self._late_money_gap = _geometric_gap(self._faults, config.late_money_rate)
        self._malformed_gap = _geometric_gap(self._faults, config.malformed_rate)
        self._pending_malformed: list[str] = []

    @property
    def end_ms(self) -> int:
        return self._end_ms

    def emit(
        self,
        name: str,
        occurred_ms: int,
        actor: Actor,
        payload: dict[str, Any],
        *,
        client: bool,
    ) -> bool:
        """Generate one event (``client``: sent by an app, else by a backend); False (and
        nothing happens) if it falls after the window."""
        if occurred_ms >= self._end_ms:
            return False
        faults = self._faults
        envelope = {
            "event": name,
            "v": 1,
            "occurred_at": self._timestamp(occurred_ms),
            "user_id": actor.user_id,
            "anon_id": actor.anon_id,
            "session_id": actor.session_id,
            "context": actor.context,
            "ids": {"event_id": self._event_ids.new()},
            "payload": payload,
        }
        line = orjson.dumps(envelope)
        self._observe(
            name, occurred_ms, actor.context["city"], actor.user_id, actor.anon_id, payload
        )
        self._valid += 1
        seq = self._seq
        self._seq = seq + 3
        if client:
            send_ms = occurred_ms + int(faults.random() * _CLIENT_JITTER_MS)
            self._late_gap -= 1
            if self._late_gap == 0:
                self._late_gap = _geometric_gap(faults, self._config.late_rate)
                self._late += 1
                send_ms += DAY_MS + int(faults.random() * 2 * DAY_MS)
        else:
            send_ms = occurred_ms + int(faults.random() * _BACKEND_JITTER_MS)
            if name in _LATE_MONEY_EVENTS:
                send_ms += self._late_money_delay()
        heap = self._heap
        heapq.heappush(heap, (send_ms, seq, line))
        self._dup_gap -= 1
        if self._dup_gap == 0:
            self._dup_gap = _geometric_gap(faults, self._config.duplicate_rate)
            self._duplicates += 1
            if faults.random() < 0.75:
                resend_ms = send_ms + 1_000 + int(faults.random() * 120_000)
            else:
                resend_ms = send_ms + 3_600_000 + int(faults.random() * 3 * DAY_MS)
            heapq.heappush(heap, (resend_ms, seq + 1, line))
        self._malformed_gap -= 1
        if self._malformed_gap == 0:
            self._malformed_gap = _geometric_gap(faults, self._config.malformed_rate)
            kind = MALFORMED_CLASSES[faults.randrange(len(MALFORMED_CLASSES))]
            self._pending_malformed.append(kind)
        if self._pending_malformed:
            self._try_malformed(envelope, send_ms, seq + 2)
        return True

    def _late_money_delay(self) -> int:
        """0, or one to two days for the few money events whose webhook is delayed."""
        self._late_money_gap -= 1
        if self._late_money_gap:
            return 0
        self._late_money_gap = _geometric_gap(self._faults, self._config.late_money_rate)
        self._late += 1
        return DAY_MS + int(self._faults.random() * DAY_MS)

    def _try_malformed(self, envelope: dict[str, Any], send_ms: int, seq: int) -> None:
        name = envelope["event"]
        for index, kind in enumerate(self._pending_malformed):
            if not malformed_applies(kind, name):
                continue
            broken = dict(envelope)
            broken["ids"] = {"event_id": self._event_ids.new()}
            line = malformed_line(kind, broken, self._faults)
            assert line is not None
            del self._pending_malformed[index]
            self._malformed += 1
            heapq.heappush(self._heap, (send_ms + 1, seq, line))
            return

    def release_until(self, watermark_ms: int) -> None:
        """Move every line due before ``watermark_ms`` to the ready list, in send order."""
        heap = self._heap
        ready = self._ready
        pop = heapq.heappop
        while heap and heap[0][0] < watermark_ms:
            ready.append(pop(heap)[2])

    def release_all(self) -> None:
        self.release_until(_NEVER)

    @property
    def ready_count(self) -> int:
        """How many released lines wait to be taken."""
        return len(self._ready)

    def take_ready(self) -> list[bytes]:
        """The lines released so far (and forget them)."""
        ready = self._ready
        self._ready = []
        return ready

    def counts(self) -> EmitterCounts:
        return EmitterCounts(
            sent=self._valid + self._duplicates + self._malformed,
            valid=self._valid,
            duplicates=self._duplicates,
            malformed=self._malformed,
            late=self._late,
        )
