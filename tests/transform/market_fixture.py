"""A small, varied marketplace in Bronze, and the Gold marts computed from it in plain Python.

The reference below follows EVENTS.md ("Gold marts") directly over the event dicts; it
shares nothing with the SQL models, so the two can disagree.
"""

from __future__ import annotations

import random
from collections import defaultdict
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


# --- reference implementation of EVENTS.md ------------------------------------------------


def first_copies(events: list[Event]) -> list[Event]:
    best: dict[str, Event] = {}
    for ev in sorted(events, key=lambda e: e["received_at"]):
        best.setdefault(ev["event_id"], ev)
    return list(best.values())


def _day(ev: Event) -> str:
    return ev["occurred_at"].astimezone(UTC).date().isoformat()


def _ratio(num: float, den: float) -> float | None:
    return None if den == 0 else num / den


def reference_marts(raw: list[Event]) -> dict[str, list[dict[str, Any]]]:
    events = first_copies(raw)
    by_name: dict[str, list[Event]] = defaultdict(list)
    for ev in events:
        by_name[ev["event"]].append(ev)
    return {
        "kpi_marketplace_daily": _marketplace(by_name),
        "kpi_funnel_daily": _funnel(by_name),
        "ops_recon_daily": _recon(by_name),
        "ops_payout_backlog": _backlog(by_name, events),
        "kpi_trust_daily": _trust(by_name),
        "kpi_promotions_daily": _promotions(by_name),
        "kpi_comms_daily": _comms(by_name),
        "kpi_studios_daily": _studios(by_name),
    }


def _marketplace(by: dict[str, list[Event]]) -> list[dict[str, Any]]:
    rows: dict[tuple[str, str], dict[str, Any]] = {}

    def row(ev: Event) -> dict[str, Any]:
        key = (_day(ev), ev["context"].get("city"))
        return rows.setdefault(
            key,
            {
                "dt": key[0],
                "city": key[1],
                "bookings": set(),
                "gmv_cents": 0,
                "platform_fee_cents": 0,
            },
        )

    for ev in by["booking.confirmed"]:
        row(ev)["bookings"].add(ev["payload"]["booking_id"])
    for ev in by["booking.leg.confirmed"]:
        row(ev)["gmv_cents"] += ev["payload"]["amount_cents"]
    for ev in by["payment.fee.recorded"]:
        if ev["payload"]["fee_type"] == "platform":
            row(ev)["platform_fee_cents"] += ev["payload"]["amount_cents"]
    out = []
    for r in rows.values():
        r["bookings"] = len(r["bookings"])
        r["take_rate"] = _ratio(r["platform_fee_cents"], r["gmv_cents"])
        out.append(r)
    return out


def _funnel(by: dict[str, list[Event]]) -> list[dict[str, Any]]:
    links: dict[str, str] = {}
    for ev in sorted(by["identity.linked"], key=lambda e: e["occurred_at"]):
        links.setdefault(ev["payload"]["anon_id"], ev["payload"]["user_id"])
    stages = {
        "search.impression": "search_impression",
        "search.click": "search_click",
        "profile.viewed": "profile_view",
        "checkout.start": "checkout_start",
        "booking.confirmed": "booking_confirmed",
    }
    people: dict[tuple[str, str], set[str]] = defaultdict(set)
    for name, stage in stages.items():
        for ev in by[name]:
            person = ev["user_id"] or links.get(ev["anon_id"]) or ev["anon_id"]
            people[(_day(ev), stage)].add(person)
    return [{"dt": d, "stage": s, "users": len(p)} for (d, s), p in people.items()]


def _recon(by: dict[str, list[Event]]) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    parts = {
        "payment.charge.succeeded": "charges_cents",
        "payment.refund.succeeded": "refunds_cents",
        "payout.created": "payouts_cents",
        "payment.fee.recorded": "fees_cents",
    }
    for name, column in parts.items():
        for ev in by[name]:
            r = rows.setdefault(
                _day(ev),
                {
                    "dt": _day(ev),
                    "charges_cents": 0,
                    "refunds_cents": 0,
                    "payouts_cents": 0,
                    "fees_cents": 0,
                },
            )
            r[column] += ev["payload"]["amount_cents"]
    for r in rows.values():
        r["variance_cents"] = abs(
            r["charges_cents"] - (r["payouts_cents"] + r["refunds_cents"] + r["fees_cents"])
        )
    return list(rows.values())


def _backlog(by: dict[str, list[Event]], events: list[Event]) -> list[dict[str, Any]]:
    as_of = max(ev["occurred_at"] for ev in events)
    paid = {ev["payload"]["payout_id"] for ev in by["payout.paid"]}
    rows: dict[str, dict[str, Any]] = {}
    for ev in by["payout.created"]:
        if ev["payload"]["payout_id"] in paid:
            continue
        hours = (as_of - ev["occurred_at"]).total_seconds() / 3600
        bucket = (
            "0-1d" if hours < 24 else "1-3d" if hours < 72 else "3-7d" if hours < 168 else "7d+"
        )
        r = rows.setdefault(bucket, {"age_bucket": bucket, "payouts": 0, "amount_cents": 0})
        r["payouts"] += 1
        r["amount_cents"] += ev["payload"]["amount_cents"]
    return list(rows.values())


def _trust(by: dict[str, list[Event]]) -> list[dict[str, Any]]:
    cols = (
        "idv_started",
        "idv_passed",
        "idv_failed",
        "bg_clear",
        "bg_consider",
        "bg_suspended",
        "risk_watch",
        "risk_action",
        "risk_critical",
    )
    rows: dict[str, dict[str, Any]] = {}

    def row(ev: Event) -> dict[str, Any]:
        return rows.setdefault(_day(ev), {"dt": _day(ev), **dict.fromkeys(cols, 0)})

    for name, col in (
        ("idv.started", "idv_started"),
        ("idv.passed", "idv_passed"),
        ("idv.failed", "idv_failed"),
    ):
        for ev in by[name]:
            row(ev)[col] += 1
    for ev in by["bgcheck.completed"]:
        row(ev)["bg_" + ev["payload"]["result"]] += 1
    for ev in by["risk.scored"]:
        r = row(ev)
        if ev["payload"]["bucket"] != "none":
            r["risk_" + ev["payload"]["bucket"]] += 1
    for r in rows.values():
        r["idv_pass_rate"] = _ratio(r["idv_passed"], r["idv_passed"] + r["idv_failed"])
    return list(rows.values())


def _promotions(by: dict[str, list[Event]]) -> list[dict[str, Any]]:
    rows: dict[tuple[str, str], dict[str, Any]] = {}

    def row(ev: Event) -> dict[str, Any]:
        key = (_day(ev), ev["payload"]["campaign_id"])
        return rows.setdefault(
            key,
            {
                "dt": key[0],
                "campaign_id": key[1],
                "impressions": 0,
                "clicks": 0,
                "invalid_clicks": 0,
                "spend_cents": 0,
            },
        )

    for ev in by["promo.impression"]:
        row(ev)["impressions"] += 1
    for ev in by["promo.click"]:
        r = row(ev)
        r["clicks"] += 1
        if ev["payload"]["is_invalid"]:
            r["invalid_clicks"] += 1
        else:
            r["spend_cents"] += ev["payload"]["cost_cents"]
    for (dt, campaign), r in rows.items():
        end = datetime.fromisoformat(dt).replace(tzinfo=UTC) + timedelta(days=1)
        budgets = [
            ev
            for ev in by["promo.budget.set"]
            if ev["payload"]["campaign_id"] == campaign and ev["occurred_at"] < end
        ]
        latest = max(budgets, key=lambda e: e["occurred_at"], default=None)
        r["budget_cents"] = latest["payload"]["daily_budget_cents"] if latest else None
        r["ctr"] = _ratio(r["clicks"], r["impressions"])
        r["invalid_rate"] = _ratio(r["invalid_clicks"], r["clicks"])
    return list(rows.values())


def _comms(by: dict[str, list[Event]]) -> list[dict[str, Any]]:
    kinds = ("sent", "delivered", "bounced", "complained", "opted_out", "digest_suppressed")
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for kind in kinds:
        for ev in by["comms." + kind]:
            key = (_day(ev), ev["payload"]["channel"])
            r = rows.setdefault(key, {"dt": key[0], "channel": key[1], **dict.fromkeys(kinds, 0)})
            r[kind] += 1
    for r in rows.values():
        r["delivery_rate"] = _ratio(r["delivered"], r["sent"])
        r["bounce_rate"] = _ratio(r["bounced"], r["sent"])
        r["complaint_rate"] = _ratio(r["complained"], r["sent"])
    return list(rows.values())


def _studios(by: dict[str, list[Event]]) -> list[dict[str, Any]]:
    cols = {
        "studio.verified": "verified",
        "studio.verification_failed": "verification_failed",
        "studio.amenity.used": "amenity_uses",
        "studio.quote.requested": "quotes_requested",
        "studio.quote.accepted": "quotes_accepted",
    }
    rows: dict[str, dict[str, Any]] = {}
    for name, col in cols.items():
        for ev in by[name]:
            r = rows.setdefault(_day(ev), {"dt": _day(ev), **dict.fromkeys(cols.values(), 0)})
            r[col] += 1
    for r in rows.values():
        r["verification_rate"] = _ratio(r["verified"], r["verified"] + r["verification_failed"])
        r["quote_success_rate"] = _ratio(r["quotes_accepted"], r["quotes_requested"])
    return list(rows.values())


def reference_exposures(raw: list[Event]) -> list[dict[str, Any]]:
    """silver.dim_exposure: first exposure per experiment and resolved unit."""
    events = first_copies(raw)
    links: dict[str, str] = {}
    for ev in sorted(events, key=lambda e: e["occurred_at"]):
        if ev["event"] == "identity.linked":
            links.setdefault(ev["payload"]["anon_id"], ev["payload"]["user_id"])
    units: dict[tuple[str, str], list[Event]] = defaultdict(list)
    for ev in events:
        if ev["event"] != "exp.exposure":
            continue
        p = ev["payload"]
        unit = links.get(p["unit_id"], p["unit_id"]) if p["unit_type"] == "anon" else p["unit_id"]
        units[(p["exp_key"], unit)].append(ev)
    rows = []
    for (key, unit), seen in units.items():
        first = min(seen, key=lambda e: (e["occurred_at"], e["event_id"]))
        variants = {e["payload"]["variant"] for e in seen}
        rows.append(
            {
                "exp_key": key,
                "resolved_unit_id": unit,
                "first_variant": first["payload"]["variant"],
                "exposures": len(seen),
                "variants_seen": len(variants),
                "is_crossover": len(variants) > 1,
            }
        )
    return rows
