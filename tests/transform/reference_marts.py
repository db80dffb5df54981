"""Gold marts (and dim_exposure) computed from event dicts in plain Python.

The reference follows EVENTS.md ("Gold marts") directly; it shares nothing with the SQL
models, so the two can disagree.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

Event = dict[str, Any]


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
        "ops_acceptance_daily": _acceptance(by_name, events),
        "kpi_disputes_daily": _disputes(by_name),
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


_FUNNEL_STAGES = {
    "search.impression": "search_impression",
    "search.click": "search_click",
    "profile.viewed": "profile_view",
    "checkout.start": "checkout_start",
    "booking.confirmed": "booking_confirmed",
}


def _funnel_people(by: dict[str, list[Event]]) -> dict[tuple[str, str | None, str], set[str]]:
    """Resolved persons per (day, city of the event, stage)."""
    links: dict[str, str] = {}
    for ev in sorted(by["identity.linked"], key=lambda e: e["occurred_at"]):
        links.setdefault(ev["payload"]["anon_id"], ev["payload"]["user_id"])
    people: dict[tuple[str, str | None, str], set[str]] = defaultdict(set)
    for name, stage in _FUNNEL_STAGES.items():
        for ev in by[name]:
            person = ev["user_id"] or links.get(ev["anon_id"]) or ev["anon_id"]
            people[(_day(ev), ev["context"].get("city"), stage)].add(person)
    return people


def _funnel(by: dict[str, list[Event]]) -> list[dict[str, Any]]:
    people: dict[tuple[str, str], set[str]] = defaultdict(set)
    for (day, _city, stage), persons in _funnel_people(by).items():
        people[(day, stage)] |= persons
    return [{"dt": d, "stage": s, "users": len(p)} for (d, s), p in people.items()]


def reference_marketplace_dataset(raw: list[Event]) -> list[dict[str, Any]]:
    """datasets.ds_kpi_marketplace: the marketplace mart's bookings, GMV and platform fees
    per day and city beside the funnel's distinct persons per stage and city."""
    by_name: dict[str, list[Event]] = defaultdict(list)
    for ev in first_copies(raw):
        by_name[ev["event"]].append(ev)
    rows: dict[tuple[str, str | None], dict[str, Any]] = {}

    def row(day: str, city: str | None) -> dict[str, Any]:
        zeros = {f"{stage}_users": 0 for stage in _FUNNEL_STAGES.values()}
        money = {"bookings": 0, "gmv_cents": 0, "platform_fee_cents": 0}
        return rows.setdefault((day, city), {"dt": day, "city": city, **money, **zeros})

    for mart in _marketplace(by_name):
        r = row(mart["dt"], mart["city"])
        for column in ("bookings", "gmv_cents", "platform_fee_cents"):
            r[column] = mart[column]
    for (day, city, stage), persons in _funnel_people(by_name).items():
        row(day, city)[f"{stage}_users"] = len(persons)
    return list(rows.values())


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


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered, mid = sorted(values), len(values) // 2
    return ordered[mid] if len(values) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _first(events: list[Event], key: str) -> dict[str, Event]:
    first: dict[str, Event] = {}
    for ev in sorted(events, key=lambda e: e["occurred_at"]):
        first.setdefault(ev["payload"][key], ev)
    return first


def _acceptance(by: dict[str, list[Event]], events: list[Event]) -> list[dict[str, Any]]:
    as_of = max(ev["occurred_at"] for ev in events)
    requests = _first(by["booking.leg.requested"], "leg_id")
    answers = _first(by["booking.leg.accepted"] + by["booking.leg.declined"], "leg_id")
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for leg, ev in requests.items():
        groups[(_day(ev), ev["context"]["city"])].append(leg)
    rows = []
    for (dt, city), legs in groups.items():
        counts = {"accepted": 0, "accepted_in_window": 0, "declined": 0, "expired": 0}
        minutes = []
        for leg in legs:
            request, answer = requests[leg], answers.get(leg)
            deadline = datetime.fromisoformat(
                request["payload"]["accept_by"].replace("Z", "+00:00")
            )
            if answer is None:
                counts["expired"] += deadline < as_of
            elif answer["event"] == "booking.leg.declined":
                counts["declined"] += 1
            else:
                counts["accepted"] += 1
                counts["accepted_in_window"] += answer["occurred_at"] <= deadline
                minutes.append(
                    (answer["occurred_at"] - request["occurred_at"]).total_seconds() / 60
                )
        pending = len(legs) - counts["accepted"] - counts["declined"] - counts["expired"]
        rows.append(
            {
                "dt": dt,
                "city": city,
                "requested": len(legs),
                **counts,
                "pending": pending,
                "acceptance_rate": _ratio(counts["accepted_in_window"], len(legs)),
                "median_minutes_to_accept": _median(minutes),
            }
        )
    return rows


def _disputes(by: dict[str, list[Event]]) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}

    def row(dt: str) -> dict[str, Any]:
        zero = dict.fromkeys(("opened", "disputed_cents", "resolved", "won", "lost"), 0)
        return rows.setdefault(dt, {"dt": dt, **zero, "refunded": 0, "withdrawn": 0, "_h": []})

    for ev in by["dispute.opened"]:
        row(_day(ev))["opened"] += 1
        row(_day(ev))["disputed_cents"] += ev["payload"]["amount_cents"]
    openings = _first(by["dispute.opened"], "dispute_id")
    for dispute, ev in _first(by["dispute.resolved"], "dispute_id").items():
        r = row(_day(ev))
        r["resolved"] += 1
        r[ev["payload"]["outcome"]] += 1
        if dispute in openings:
            r["_h"].append(
                (ev["occurred_at"] - openings[dispute]["occurred_at"]).total_seconds() / 3600
            )
    for r in rows.values():
        r["median_hours_to_resolve"] = _median(r.pop("_h"))
    return list(rows.values())
