"""The shared market of the gate tests and the principals that read it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from bronze_fixture import envelope

from rastup_data.collector.runtime import CollectorConfig, CollectorRuntime
from rastup_data.collector.server import CollectorServer, ServerOptions
from rastup_data.governance import Principal
from rastup_data.lake.layout import LakeLayout
from rastup_data.spool import SpoolConfig

CITIES = ("nyc", "lax")


def market_events() -> list[dict[str, object]]:
    """Bookings, legs, fees and searches over three days in two cities, eight users."""
    events: list[dict[str, object]] = []
    for day in (5, 6, 7):
        for n, city in enumerate(CITIES * 4):
            user = f"u_{n}"
            stamp = f"2026-01-0{day} {10 + n}:00"
            booking = f"bk_{day}_{n}"
            events.append(
                envelope(
                    "booking.confirmed",
                    stamp,
                    {
                        "booking_id": booking,
                        "checkout_id": f"co_{day}_{n}",
                        "leg_count": 1,
                        "total_amount_cents": 1000 * (n + 1),
                        "currency": "USD",
                    },
                    user_id=user,
                    anon_id=f"a_{n}",
                    city=city,
                )
            )
            events.append(
                envelope(
                    "booking.leg.confirmed",
                    stamp,
                    {
                        "booking_id": booking,
                        "leg_id": f"lg_{day}_{n}",
                        "provider_id": f"p_{n % 3}",
                        "provider_type": "talent",
                        "amount_cents": 1000 * (n + 1),
                        "currency": "USD",
                        "service_date": "2026-02-01",
                    },
                    user_id=user,
                    anon_id=f"a_{n}",
                    city=city,
                )
            )
            events.append(
                envelope(
                    "payment.fee.recorded",
                    stamp,
                    {
                        "fee_id": f"fee_{day}_{n}",
                        "booking_id": booking,
                        "leg_id": f"lg_{day}_{n}",
                        "fee_type": "platform",
                        "amount_cents": 100 * (n + 1),
                        "currency": "USD",
                    },
                    user_id=user,
                    anon_id=f"a_{n}",
                    city=city,
                )
            )
            events.append(
                envelope(
                    "search.impression",
                    stamp,
                    {
                        "search_id": f"s_{day}_{n}",
                        "listing_id": f"lst_{n}",
                        "listing_type": "talent",
                        "rank": 1,
                        "is_promoted": False,
                        "promotion_id": None,
                    },
                    user_id=user,
                    anon_id=f"a_{n}",
                    city=city,
                )
            )
    return events


ADMIN = Principal("alice", "admin")
ANALYST = Principal("bob", "analyst")
NYC_ANALYST = Principal("carol", "analyst", cities=frozenset({"nyc"}))
FINANCE = Principal("dan", "finance")
VIEWER = Principal("erin", "viewer")
TRUST = Principal("frank", "trust")


@contextmanager
def serve_lake(lake: LakeLayout, *, state_url: str | None = None) -> Iterator[httpx.Client]:
    """A real collector on loopback over ``lake`` (its gate behind ``/v1/query``), and a
    client of it; stopped on exit."""
    runtime = CollectorRuntime(
        CollectorConfig(
            lake=lake.root,
            keys=frozenset({"ingest-key"}),
            spool=SpoolConfig(rotate_s=0.1),
            validation_workers=0,
            state_url=state_url,
        )
    )
    server = CollectorServer(runtime, ServerOptions(port=0, log_level="warning", loop="asyncio"))
    server.start(timeout=10)
    client = httpx.Client(base_url=server.url, timeout=60)
    try:
        yield client
    finally:
        client.close()
        server.stop()
