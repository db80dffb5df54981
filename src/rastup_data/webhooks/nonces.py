"""Replay refusal: every signed delivery is remembered until long after the timestamp
tolerance would refuse it anyway.

The store is the state database (a numbered migration adds ``webhook_deliveries``): it is
shared by every worker process of ``serve --workers N`` and, on PostgreSQL, by every
collector node behind a load balancer, so a delivery replayed to another process or node
is refused too. A node-local file could not promise that.

A replay is the same (provider, delivery id, signing time): providers re-sign their own
retries with a new time, so a genuine retry is never refused (and the event ids make it
count once).
"""

from __future__ import annotations

from typing import Protocol

from rastup_data.state.database import StateDB
from rastup_data.webhooks.signatures import TOLERANCE_S

__all__ = ["KEEP_S", "MemoryNonces", "NonceStore", "StateNonces"]

#: How long a delivery is remembered after its signing time: three tolerances.
KEEP_S = 3 * TOLERANCE_S
_PURGE_EVERY = 200


class NonceStore(Protocol):
    def remember(self, provider: str, delivery_id: str, signed_at: int, *, now: int) -> bool:
        """True the first time a delivery is seen, False for a replay."""
        ...

    def forget(self, provider: str, delivery_id: str, signed_at: int) -> None:
        """Undo ``remember`` (the delivery was not made durable and will be retried)."""
        ...


class StateNonces:
    """Deliveries in the state database's ``webhook_deliveries`` table."""

    def __init__(self, db: StateDB) -> None:
        self.db = db
        self._inserts = 0

    def remember(self, provider: str, delivery_id: str, signed_at: int, *, now: int) -> bool:
        self._inserts += 1
        if self._inserts % _PURGE_EVERY == 1:
            self.db.execute("DELETE FROM webhook_deliveries WHERE expires_at < ?", (now,))
        added = self.db.execute(
            "INSERT INTO webhook_deliveries (provider, delivery_id, signed_at, expires_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (provider, delivery_id, signed_at, signed_at + KEEP_S),
        )
        return added == 1

    def forget(self, provider: str, delivery_id: str, signed_at: int) -> None:
        self.db.execute(
            "DELETE FROM webhook_deliveries WHERE provider = ? AND delivery_id = ? "
            "AND signed_at = ?",
            (provider, delivery_id, signed_at),
        )


class MemoryNonces:
    """In-process store for unit tests and tools."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, str, int], int] = {}

    def remember(self, provider: str, delivery_id: str, signed_at: int, *, now: int) -> bool:
        self.seen = {k: v for k, v in self.seen.items() if v >= now}
        key = (provider, delivery_id, signed_at)
        if key in self.seen:
            return False
        self.seen[key] = signed_at + KEEP_S
        return True

    def forget(self, provider: str, delivery_id: str, signed_at: int) -> None:
        self.seen.pop((provider, delivery_id, signed_at), None)
