"""The shared market of the gate tests and the principals that read it."""

from __future__ import annotations

from bronze_fixture import envelope

from rastup_data.governance import Principal

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
