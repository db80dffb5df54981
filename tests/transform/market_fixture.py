"""A small, varied marketplace as Bronze envelopes (see reference_marts for its Gold)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from bronze_fixture import envelope

Event = dict[str, Any]
START = datetime(2026, 1, 5, tzinfo=UTC)
CITIES = ("nyc", "lax", "chi")


class _Market:
    """Builds the events; every random choice comes from one seeded generator, in order."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.events: list[Event] = []

    def at(self, day: int) -> datetime:
        # Include the last second of a day and the first of the next.
        edge = self.rng.random()
        if edge < 0.05:
            return START + timedelta(days=day, seconds=86399)
        if edge < 0.10:
            return START + timedelta(days=day)
        return START + timedelta(days=day, seconds=self.rng.randrange(86400))

    def add(self, name: str, when: datetime, payload: dict[str, Any], **kw: Any) -> Event:
        late = self.rng.random() < 0.1
        received = when + (
            timedelta(days=self.rng.choice([1, 2])) if late else timedelta(seconds=5)
        )
        ev = envelope(name, when, payload, received_at=received, **kw)
        self.events.append(ev)
        return ev

    def day(self, day: int) -> None:
        for i in range(12):
            self.session(day, i)
        for i in range(6):
            self.trust(day, i)
        for campaign in ("cp_1", "cp_2"):
            self.promotions(day, campaign)
        for i in range(8):
            self.comms(day, i)
        for i in range(4):
            self.studio(day, i)
        for i in range(5):
            self.dispute(day, i)

    def session(self, day: int, i: int) -> None:
        anon = f"a_{day}_{i}"
        user = f"u_{i % 7}" if self.rng.random() < 0.6 else None
        city = self.rng.choice(CITIES)
        who = {"user_id": user, "anon_id": anon, "city": city}
        t = self.at(day)
        self.add(
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
        if self.rng.random() < 0.3 and user is None:
            self.add(
                "identity.linked",
                t + timedelta(minutes=1),
                {"anon_id": anon, "user_id": f"u_{i % 7}"},
                user_id=f"u_{i % 7}",
                anon_id=anon,
                city=city,
            )
        if self.rng.random() < 0.7:
            self.add(
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
        if self.rng.random() < 0.6:
            self.add(
                "profile.viewed",
                t,
                {"listing_id": "l_1", "listing_type": "talent", "source": "search"},
                **who,
            )
        if self.rng.random() < 0.5:
            self.add(
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
        if self.rng.random() < 0.5:
            self.booking(day, i, who, t)

    def booking(self, day: int, i: int, who: dict[str, Any], t: datetime) -> None:
        bk = f"bk_{day}_{i}"
        legs = self.rng.choice([1, 2])
        amounts = [self.rng.randrange(1000, 50000) for _ in range(legs)]
        self.add(
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
        self.add(
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
            self.leg(Leg(day, i, n, bk, who), amount, t)
        if self.rng.random() < 0.3:
            self.add(
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

    def leg(self, leg_of: Leg, amount: int, t: datetime) -> None:
        day, i, n, bk, who = leg_of
        city = who["city"]
        leg = f"lg_{day}_{i}_{n}"
        lt = t + timedelta(seconds=n)
        self.add(
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
        self.add(
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
        created = lt + timedelta(hours=self.rng.choice([1, 30, 80, 200]))
        self.add(
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
        if self.rng.random() < 0.5:
            self.add(
                "payout.paid",
                created + timedelta(hours=2),
                {"payout_id": payout, "amount_cents": amount - fee, "currency": "USD"},
                city=city,
                anon_id=None,
            )
        if self.rng.random() < 0.3:
            self.add(
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

    def trust(self, day: int, i: int) -> None:
        t = self.at(day)
        check = f"ck_{day}_{i}"
        self.add("idv.started", t, {"check_id": check, "subject_role": "talent"})
        outcome = self.rng.random()
        if outcome < 0.5:
            self.add("idv.passed", t, {"check_id": check})
        elif outcome < 0.8 and day != 1:
            self.add("idv.failed", t, {"check_id": check, "reason_code": "blurry"})
        self.add(
            "bgcheck.completed",
            t,
            {
                "check_id": f"bg_{day}_{i}",
                "result": self.rng.choice(["clear", "consider", "suspended"]),
            },
        )
        self.add(
            "risk.scored",
            t,
            {
                "subject_id": f"u_{i}",
                "score": 50,
                "bucket": self.rng.choice(["none", "watch", "action", "critical"]),
            },
        )

    def promotions(self, day: int, campaign: str) -> None:
        if campaign == "cp_1" or day > 0:
            self.add(
                "promo.budget.set",
                self.at(day),
                {
                    "campaign_id": campaign,
                    "daily_budget_cents": self.rng.randrange(1000, 9000),
                    "currency": "USD",
                },
            )
        for _ in range(self.rng.randrange(0, 6)):
            t = self.at(day)
            self.add(
                "promo.impression",
                t,
                {
                    "promotion_id": "pr_1",
                    "campaign_id": campaign,
                    "listing_id": "l_1",
                    "placement": "search_top",
                },
            )
            if self.rng.random() < 0.6:
                invalid = self.rng.random() < 0.3
                self.add(
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

    def comms(self, day: int, i: int) -> None:
        t = self.at(day)
        channel = self.rng.choice(["email", "sms", "push"])
        msg = f"m_{day}_{i}"
        self.add(
            "comms.sent",
            t,
            {
                "message_id": msg,
                "channel": channel,
                "category": "marketing",
                "template": "welcome",
            },
        )
        kind = self.rng.choice(["delivered", "bounced", "complained", "none"])
        if kind == "delivered":
            self.add("comms.delivered", t, {"message_id": msg, "channel": channel})
        elif kind == "bounced":
            self.add(
                "comms.bounced",
                t,
                {"message_id": msg, "channel": channel, "bounce_type": "hard"},
            )
        elif kind == "complained":
            self.add("comms.complained", t, {"message_id": msg, "channel": channel})
        if self.rng.random() < 0.2:
            self.add("comms.opted_out", t, {"channel": channel, "category": "marketing"})
        if self.rng.random() < 0.2:
            self.add(
                "comms.digest_suppressed",
                t,
                {"digest_id": f"d_{i}", "channel": channel, "reason": "quiet"},
            )

    def studio(self, day: int, i: int) -> None:
        t = self.at(day)
        studio = f"st_{i}"
        self.add(
            self.rng.choice(["studio.verified", "studio.verification_failed"]),
            t,
            {"studio_id": studio, "method": "doc", "reason": "x"},
        )
        self.add(
            "studio.amenity.used",
            t,
            {"studio_id": studio, "booking_id": "bk_x", "amenity": "lights"},
        )
        self.add("studio.quote.requested", t, {"quote_id": f"q_{day}_{i}", "studio_id": studio})
        if self.rng.random() < 0.5:
            self.add(
                "studio.quote.accepted",
                t,
                {
                    "quote_id": f"q_{day}_{i}",
                    "studio_id": studio,
                    "amount_cents": 9000,
                    "currency": "USD",
                },
            )

    def dispute(self, day: int, i: int) -> None:
        self.add(
            "dispute.opened",
            self.at(day),
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
            self.add(
                "dispute.resolved",
                self.at(day) + timedelta(days=1),
                {"dispute_id": f"dp_{day}_{i}", "outcome": "won"},
            )

    def leg_requests(self, day: int) -> None:
        """Legs that need acceptance: accepted in and after the window, declined, answered
        twice (the first answer decides), unanswered (expired or pending at as_of)."""
        for i in range(8):
            leg, t = f"lg_rq_{day}_{i}", self.at(day)
            city = CITIES[i % len(CITIES)]
            ids = {"booking_id": f"bk_rq_{day}_{i}", "leg_id": leg}
            window = timedelta(hours=self.rng.choice([2, 24]))
            self.add(
                "booking.leg.requested",
                t,
                {
                    **ids,
                    "provider_id": f"p_{i}",
                    "provider_type": "studio",
                    "amount_cents": 9000 + 100 * i,
                    "currency": "USD",
                    "service_date": "2026-02-01",
                    "accept_by": (t + window).isoformat().replace("+00:00", "Z"),
                },
                city=city,
            )
            self.answer(i % 6, t, window, ids, city)

    def answer(
        self, kind: int, t: datetime, window: timedelta, ids: dict[str, str], city: str
    ) -> None:
        if kind in (0, 1, 4):  # accepted: quickly, after a while, or late
            delay = {0: timedelta(minutes=17), 1: timedelta(minutes=95)}.get(
                kind, window + timedelta(minutes=5)
            )
            self.add("booking.leg.accepted", t + delay, ids, city=city)
            if kind == 1:
                declined = {**ids, "reason": "changed my mind"}
                self.add(
                    "booking.leg.declined", t + delay + timedelta(minutes=1), declined, city=city
                )
        elif kind == 2:
            declined = {**ids, "reason": "fully booked"}
            self.add("booking.leg.declined", t + timedelta(minutes=40), declined, city=city)
            self.add("booking.leg.accepted", t + timedelta(hours=3), ids, city=city)

    def late_resolutions(self, days: int) -> None:
        """A second, later resolution (ignored: the first decides) and one without its opening."""
        late = START + timedelta(days=days, hours=3)
        self.add("dispute.resolved", late, {"dispute_id": "dp_0_1", "outcome": "lost"})
        self.add(
            "dispute.resolved",
            self.at(days - 1),
            {"dispute_id": "dp_unknown", "outcome": "refunded"},
        )

    def exposures_and_resends(self) -> None:
        # Exposures before and after login: the anon unit resolves to the user it links to.
        for link in [e for e in self.events if e["event"] == "identity.linked"]:
            anon, user = link["payload"]["anon_id"], link["payload"]["user_id"]
            self.add(
                "exp.exposure",
                link["occurred_at"] - timedelta(seconds=30),
                {"exp_key": "exp_a", "variant": "control", "unit_id": anon, "unit_type": "anon"},
                anon_id=anon,
            )
            self.add(
                "exp.exposure",
                link["occurred_at"] + timedelta(seconds=30),
                {
                    "exp_key": "exp_a",
                    "variant": self.rng.choice(["control", "treatment"]),
                    "unit_id": user,
                    "unit_type": "user",
                },
                user_id=user,
                anon_id=anon,
            )
        # Resend some self.events (same event_id, later receipt): they must count once.
        for ev in self.rng.sample(self.events, 25):
            copy = dict(ev)
            copy["received_at"] = ev["received_at"] + timedelta(days=1, hours=1)
            self.events.append(copy)


class Leg(NamedTuple):
    """One booking leg: its day, session and leg numbers, booking id and who booked."""

    day: int
    i: int
    n: int
    bk: str
    who: dict[str, Any]


def market_events(seed: int = 7, days: int = 3) -> list[Event]:
    """Events of every mart's kind over ``days`` days, with duplicates and late arrivals."""
    market = _Market(seed)
    for day in range(days):
        market.day(day)
    for day in range(days):
        market.leg_requests(day)
    market.late_resolutions(days)
    market.exposures_and_resends()
    return market.events
