"""A small, varied marketplace as Bronze envelopes (see reference_marts for its Gold)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from bronze_fixture import envelope

Event = dict[str, Any]
START = datetime(2026, 1, 5, tzinfo=UTC)
CITIES = ("nyc", "lax", "chi")


def market_events(seed: int = 7, days: int = 3) -> list[Event]:
    """Events of every mart's kind over ``days`` days, with duplicates and late arrivals."""
    rng = random.Random(seed)
    events: list[Event] = []

    def at(day: int) -> datetime:
        # Include the last second of a day and the first of the next.
        edge = rng.random()
        if edge < 0.05:
            return START + timedelta(days=day, seconds=86399)
        if edge < 0.10:
            return START + timedelta(days=day)
        return START + timedelta(days=day, seconds=rng.randrange(86400))

    def add(name: str, when: datetime, payload: dict[str, Any], **kw: Any) -> Event:
        late = rng.random() < 0.1
        received = when + (timedelta(days=rng.choice([1, 2])) if late else timedelta(seconds=5))
        ev = envelope(name, when, payload, received_at=received, **kw)
        events.append(ev)
        return ev

    for day in range(days):
        for i in range(12):
            anon = f"a_{day}_{i}"
            user = f"u_{i % 7}" if rng.random() < 0.6 else None
            city = rng.choice(CITIES)
            who = {"user_id": user, "anon_id": anon, "city": city}
            t = at(day)
            add(
                "search.impression",
                t,
                {
                    "search_id": f"s_{day}_{i}",
                    "listing_id": "l_1",
                    "listing_type": "talent",
                    "rank": 1,
                    "is_promoted": False,
                    "promotion_id": None,
                },
                **who,
            )
            if rng.random() < 0.3 and user is None:
                add(
                    "identity.linked",
                    t + timedelta(minutes=1),
                    {"anon_id": anon, "user_id": f"u_{i % 7}"},
                    user_id=f"u_{i % 7}",
                    anon_id=anon,
                    city=city,
                )
            if rng.random() < 0.7:
                add(
                    "search.click",
                    t,
                    {
                        "search_id": f"s_{day}_{i}",
                        "listing_id": "l_1",
                        "listing_type": "studio",
                        "rank": 2,
                        "is_promoted": True,
                        "promotion_id": "pr_1",
                    },
                    **who,
                )
            if rng.random() < 0.6:
                add(
                    "profile.viewed",
                    t,
                    {"listing_id": "l_1", "listing_type": "talent", "source": "search"},
                    **who,
                )
            if rng.random() < 0.5:
                add(
                    "checkout.start",
                    t,
                    {
                        "checkout_id": f"co_{day}_{i}",
                        "listing_id": "l_1",
                        "listing_type": "talent",
                        "quoted_amount_cents": 5000,
                        "currency": "USD",
                    },
                    **who,
                )
            if rng.random() < 0.5:
                bk = f"bk_{day}_{i}"
                legs = rng.choice([1, 2])
                amounts = [rng.randrange(1000, 50000) for _ in range(legs)]
                add(
                    "booking.confirmed",
                    t,
                    {
                        "booking_id": bk,
                        "checkout_id": f"co_{day}_{i}",
                        "leg_count": legs,
                        "total_amount_cents": sum(amounts),
                        "currency": "USD",
                    },
                    **who,
                )
                charge = f"ch_{day}_{i}"
                add(
                    "payment.charge.succeeded",
                    t,
                    {
                        "charge_id": charge,
                        "booking_id": bk,
                        "amount_cents": sum(amounts),
                        "currency": "USD",
                    },
                    **who,
                )
                for n, amount in enumerate(amounts):
                    leg = f"lg_{day}_{i}_{n}"
                    lt = t + timedelta(seconds=n)
                    add(
                        "booking.leg.confirmed",
                        lt,
                        {
                            "booking_id": bk,
                            "leg_id": leg,
                            "provider_id": f"p_{n}",
                            "provider_type": "talent",
                            "amount_cents": amount,
                            "currency": "USD",
                            "service_date": "2026-02-01",
                        },
                        **who,
                    )
                    fee = amount * 15 // 100
                    add(
                        "payment.fee.recorded",
                        lt,
                        {
                            "fee_id": f"fe_{leg}",
                            "booking_id": bk,
                            "leg_id": leg,
                            "fee_type": "platform",
                            "amount_cents": fee,
                            "currency": "USD",
                        },
                        **who,
                    )
                    payout = f"po_{leg}"
                    created = lt + timedelta(hours=rng.choice([1, 30, 80, 200]))
                    add(
                        "payout.created",
                        created,
                        {
                            "payout_id": payout,
                            "provider_id": f"p_{n}",
                            "booking_id": bk,
                            "leg_id": leg,
                            "amount_cents": amount - fee,
                            "currency": "USD",
                        },
                        city=city,
                        anon_id=None,
                    )
                    if rng.random() < 0.5:
                        add(
                            "payout.paid",
                            created + timedelta(hours=2),
                            {"payout_id": payout, "amount_cents": amount - fee, "currency": "USD"},
                            city=city,
                            anon_id=None,
                        )
                    if rng.random() < 0.3:
                        add(
                            "booking.leg.cancelled",
                            lt + timedelta(hours=3),
                            {
                                "booking_id": bk,
                                "leg_id": leg,
                                "cancelled_by": "client",
                                "reason": "plans",
                            },
                            **who,
                        )
                if rng.random() < 0.3:
                    add(
                        "payment.refund.succeeded",
                        t + timedelta(hours=4),
                        {
                            "refund_id": f"rf_{day}_{i}",
                            "charge_id": charge,
                            "booking_id": bk,
                            "amount_cents": amounts[0] // 2,
                            "currency": "USD",
                            "reason": "x",
                        },
                        **who,
                    )
        for i in range(6):
            t = at(day)
            check = f"ck_{day}_{i}"
            add("idv.started", t, {"check_id": check, "subject_role": "talent"})
            outcome = rng.random()
            if outcome < 0.5:
                add("idv.passed", t, {"check_id": check})
            elif outcome < 0.8 and day != 1:
                add("idv.failed", t, {"check_id": check, "reason_code": "blurry"})
            add(
                "bgcheck.completed",
                t,
                {
                    "check_id": f"bg_{day}_{i}",
                    "result": rng.choice(["clear", "consider", "suspended"]),
                },
            )
            add(
                "risk.scored",
                t,
                {
                    "subject_id": f"u_{i}",
                    "score": 50,
                    "bucket": rng.choice(["none", "watch", "action", "critical"]),
                },
            )
        for campaign in ("cp_1", "cp_2"):
            if campaign == "cp_1" or day > 0:
                add(
                    "promo.budget.set",
                    at(day),
                    {
                        "campaign_id": campaign,
                        "daily_budget_cents": rng.randrange(1000, 9000),
                        "currency": "USD",
                    },
                )
            for _ in range(rng.randrange(0, 6)):
                t = at(day)
                add(
                    "promo.impression",
                    t,
                    {
                        "promotion_id": "pr_1",
                        "campaign_id": campaign,
                        "listing_id": "l_1",
                        "placement": "search_top",
                    },
                )
                if rng.random() < 0.6:
                    invalid = rng.random() < 0.3
                    add(
                        "promo.click",
                        t,
                        {
                            "promotion_id": "pr_1",
                            "campaign_id": campaign,
                            "listing_id": "l_1",
                            "is_invalid": invalid,
                            "invalid_reason": "bot" if invalid else None,
                            "cost_cents": 0 if invalid else 25,
                        },
                    )
        for i in range(8):
            t = at(day)
            channel = rng.choice(["email", "sms", "push"])
            msg = f"m_{day}_{i}"
            add(
                "comms.sent",
                t,
                {
                    "message_id": msg,
                    "channel": channel,
                    "category": "marketing",
                    "template": "welcome",
                },
            )
            kind = rng.choice(["delivered", "bounced", "complained", "none"])
            if kind == "delivered":
                add("comms.delivered", t, {"message_id": msg, "channel": channel})
            elif kind == "bounced":
                add(
                    "comms.bounced",
                    t,
                    {"message_id": msg, "channel": channel, "bounce_type": "hard"},
                )
            elif kind == "complained":
                add("comms.complained", t, {"message_id": msg, "channel": channel})
            if rng.random() < 0.2:
                add("comms.opted_out", t, {"channel": channel, "category": "marketing"})
            if rng.random() < 0.2:
                add(
                    "comms.digest_suppressed",
                    t,
                    {"digest_id": f"d_{i}", "channel": channel, "reason": "quiet"},
                )
        for i in range(4):
            t = at(day)
            studio = f"st_{i}"
            add(
                rng.choice(["studio.verified", "studio.verification_failed"]),
                t,
                {"studio_id": studio, "method": "doc", "reason": "x"},
            )
            add(
                "studio.amenity.used",
                t,
                {"studio_id": studio, "booking_id": "bk_x", "amenity": "lights"},
            )
            add("studio.quote.requested", t, {"quote_id": f"q_{day}_{i}", "studio_id": studio})
            if rng.random() < 0.5:
                add(
                    "studio.quote.accepted",
                    t,
                    {
                        "quote_id": f"q_{day}_{i}",
                        "studio_id": studio,
                        "amount_cents": 9000,
                        "currency": "USD",
                    },
                )
        for i in range(5):
            add(
                "dispute.opened",
                at(day),
                {
                    "dispute_id": f"dp_{day}_{i}",
                    "booking_id": "bk_x",
                    "charge_id": "ch_x",
                    "amount_cents": 700,
                    "currency": "USD",
                    "reason": "no show",
                },
            )
            if i % 2:
                add(
                    "dispute.resolved",
                    at(day) + timedelta(days=1),
                    {"dispute_id": f"dp_{day}_{i}", "outcome": "won"},
                )
    # Exposures before and after login: the anon unit resolves to the user it links to.
    for link in [e for e in events if e["event"] == "identity.linked"]:
        anon, user = link["payload"]["anon_id"], link["payload"]["user_id"]
        add(
            "exp.exposure",
            link["occurred_at"] - timedelta(seconds=30),
            {"exp_key": "exp_a", "variant": "control", "unit_id": anon, "unit_type": "anon"},
            anon_id=anon,
        )
        add(
            "exp.exposure",
            link["occurred_at"] + timedelta(seconds=30),
            {
                "exp_key": "exp_a",
                "variant": rng.choice(["control", "treatment"]),
                "unit_id": user,
                "unit_type": "user",
            },
            user_id=user,
            anon_id=anon,
        )
    # Resend some events (same event_id, later receipt): they must count once.
    for ev in rng.sample(events, 25):
        copy = dict(ev)
        copy["received_at"] = ev["received_at"] + timedelta(days=1, hours=1)
        events.append(copy)
    return events
