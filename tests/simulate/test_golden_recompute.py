"""Recompute the Gold marts from events.ndjson in plain Python and compare with golden.json.

The recomputation follows EVENTS.md literally: drop what a validator rejects, count each
event_id once, dt = UTC date of occurred_at, resolve persons through identity.linked.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import pytest

from .conftest import SimulatedRun

Row = dict[str, Any]


def _ratio(a: int, b: int) -> float | None:
    return None if b == 0 else a / b


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _events(run: SimulatedRun) -> list[dict[str, Any]]:
    return list(run.distinct_valid())


def recompute_marketplace(events: list[dict[str, Any]]) -> list[Row]:
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for e in events:
        name, p = e["event"], e["payload"]
        if name not in ("booking.confirmed", "booking.leg.confirmed", "payment.fee.recorded"):
            continue
        if name == "payment.fee.recorded" and p["fee_type"] != "platform":
            continue
        key = (e["occurred_at"][:10], e["context"]["city"])
        row = rows.setdefault(key, {"bookings": set(), "gmv": 0, "fees": 0})
        if name == "booking.confirmed":
            row["bookings"].add(p["booking_id"])
        elif name == "booking.leg.confirmed":
            row["gmv"] += p["amount_cents"]
        else:
            row["fees"] += p["amount_cents"]
    return [
        {
            "dt": dt,
            "city": city,
            "bookings": len(r["bookings"]),
            "gmv_cents": r["gmv"],
            "platform_fee_cents": r["fees"],
            "take_rate": _ratio(r["fees"], r["gmv"]),
        }
        for (dt, city), r in sorted(rows.items())
    ]


STAGES = {
    "search.impression": "search_impression",
    "search.click": "search_click",
    "profile.viewed": "profile_view",
    "checkout.start": "checkout_start",
    "booking.confirmed": "booking_confirmed",
}
STAGE_ORDER = list(STAGES.values())


def recompute_funnel(events: list[dict[str, Any]]) -> list[Row]:
    links = {
        e["payload"]["anon_id"]: e["payload"]["user_id"]
        for e in events
        if e["event"] == "identity.linked"
    }
    people: dict[tuple[str, str], set[str]] = defaultdict(set)
    for e in events:
        stage = STAGES.get(e["event"])
        if stage is None:
            continue
        person = e["user_id"] or links.get(e["anon_id"], e["anon_id"])
        people[(e["occurred_at"][:10], stage)].add(person)
    keys = sorted(people, key=lambda k: (k[0], STAGE_ORDER.index(k[1])))
    return [{"dt": dt, "stage": stage, "users": len(people[(dt, stage)])} for dt, stage in keys]


def recompute_recon(events: list[dict[str, Any]]) -> list[Row]:
    columns = {
        "payment.charge.succeeded": "charges_cents",
        "payment.refund.succeeded": "refunds_cents",
        "payout.created": "payouts_cents",
        "payment.fee.recorded": "fees_cents",
    }
    sums: dict[str, dict[str, int]] = {}
    for e in events:
        column = columns.get(e["event"])
        if column is None:
            continue
        day = sums.setdefault(e["occurred_at"][:10], dict.fromkeys(columns.values(), 0))
        day[column] += e["payload"]["amount_cents"]
    rows = []
    for dt, s in sorted(sums.items()):
        variance = abs(
            s["charges_cents"] - (s["payouts_cents"] + s["refunds_cents"] + s["fees_cents"])
        )
        rows.append({"dt": dt, **s, "variance_cents": variance})
    return rows


def recompute_backlog(events: list[dict[str, Any]]) -> list[Row]:
    as_of = max(_ts(e["occurred_at"]) for e in events)
    paid = {e["payload"]["payout_id"] for e in events if e["event"] == "payout.paid"}
    buckets = {"0-1d": [0, 0], "1-3d": [0, 0], "3-7d": [0, 0], "7d+": [0, 0]}
    for e in events:
        if e["event"] != "payout.created" or e["payload"]["payout_id"] in paid:
            continue
        hours = (as_of - _ts(e["occurred_at"])).total_seconds() / 3600
        name = "0-1d" if hours < 24 else "1-3d" if hours < 72 else "3-7d" if hours < 168 else "7d+"
        buckets[name][0] += 1
        buckets[name][1] += e["payload"]["amount_cents"]
    return [
        {"age_bucket": name, "payouts": n, "amount_cents": cents}
        for name, (n, cents) in buckets.items()
        if n
    ]


def recompute_comms(events: list[dict[str, Any]]) -> list[Row]:
    names = {
        "comms.sent": "sent",
        "comms.delivered": "delivered",
        "comms.bounced": "bounced",
        "comms.complained": "complained",
        "comms.opted_out": "opted_out",
        "comms.digest_suppressed": "digest_suppressed",
    }
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for e in events:
        column = names.get(e["event"])
        if column is None:
            continue
        key = (e["occurred_at"][:10], e["payload"]["channel"])
        counts.setdefault(key, dict.fromkeys(names.values(), 0))[column] += 1
    return [
        {
            "dt": dt,
            "channel": channel,
            **c,
            "delivery_rate": _ratio(c["delivered"], c["sent"]),
            "bounce_rate": _ratio(c["bounced"], c["sent"]),
            "complaint_rate": _ratio(c["complained"], c["sent"]),
        }
        for (dt, channel), c in sorted(counts.items())
    ]


def recompute_trust(events: list[dict[str, Any]]) -> list[Row]:
    counted = {"idv.started", "idv.passed", "idv.failed", "bgcheck.completed", "risk.scored"}
    days: dict[str, dict[str, int]] = {}
    zero = dict.fromkeys(
        [
            "idv_started",
            "idv_passed",
            "idv_failed",
            "bg_clear",
            "bg_consider",
            "bg_suspended",
            "risk_watch",
            "risk_action",
            "risk_critical",
        ],
        0,
    )
    for e in events:
        if e["event"] not in counted:
            continue
        c = days.setdefault(e["occurred_at"][:10], dict(zero))
        p = e["payload"]
        if e["event"].startswith("idv."):
            c["idv_" + e["event"].split(".")[1]] += 1
        elif e["event"] == "bgcheck.completed":
            c["bg_" + p["result"]] += 1
        elif p["bucket"] != "none":
            c["risk_" + p["bucket"]] += 1
    rows = []
    for dt, c in sorted(days.items()):
        rate = _ratio(c["idv_passed"], c["idv_passed"] + c["idv_failed"])
        rows.append({"dt": dt, **c, "idv_pass_rate": rate})
    return rows


def recompute_studios(events: list[dict[str, Any]]) -> list[Row]:
    names = {
        "studio.verified": "verified",
        "studio.verification_failed": "verification_failed",
        "studio.amenity.used": "amenity_uses",
        "studio.quote.requested": "quotes_requested",
        "studio.quote.accepted": "quotes_accepted",
    }
    days: dict[str, dict[str, int]] = {}
    for e in events:
        if e["event"] in names:
            days.setdefault(e["occurred_at"][:10], dict.fromkeys(names.values(), 0))[
                names[e["event"]]
            ] += 1
    return [
        {
            "dt": dt,
            **c,
            "verification_rate": _ratio(c["verified"], c["verified"] + c["verification_failed"]),
            "quote_success_rate": _ratio(c["quotes_accepted"], c["quotes_requested"]),
        }
        for dt, c in sorted(days.items())
    ]


def recompute_promotions(events: list[dict[str, Any]]) -> list[Row]:
    budgets: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
    counts: dict[tuple[str, str], list[int]] = {}
    for e in events:
        p = e["payload"]
        if e["event"] == "promo.budget.set":
            budgets[p["campaign_id"]].append((_ts(e["occurred_at"]), p["daily_budget_cents"]))
        elif e["event"] in ("promo.impression", "promo.click"):
            c = counts.setdefault((e["occurred_at"][:10], p["campaign_id"]), [0, 0, 0, 0])
            if e["event"] == "promo.impression":
                c[0] += 1
            else:
                c[1] += 1
                if p["is_invalid"]:
                    c[2] += 1
                else:
                    c[3] += p["cost_cents"]
    rows = []
    for (dt, campaign), (imps, clicks, invalid, spend) in sorted(counts.items()):
        end = datetime.fromisoformat(dt + "T23:59:59.999999+00:00")
        eligible = sorted(b for b in budgets[campaign] if b[0] <= end)
        rows.append(
            {
                "dt": dt,
                "campaign_id": campaign,
                "impressions": imps,
                "clicks": clicks,
                "invalid_clicks": invalid,
                "ctr": _ratio(clicks, imps),
                "invalid_rate": _ratio(invalid, clicks),
                "spend_cents": spend,
                "budget_cents": eligible[-1][1] if eligible else None,
            }
        )
    return rows


def recompute_acceptance(events: list[dict[str, Any]]) -> list[Row]:
    """EVENTS.md v1.1: the first request and the first answer of each leg decide it."""
    as_of = max(_ts(e["occurred_at"]) for e in events)
    requests: dict[str, dict[str, Any]] = {}
    answers: dict[str, tuple[datetime, str]] = {}
    for e in sorted(events, key=lambda e: _ts(e["occurred_at"])):
        leg = e["payload"].get("leg_id")
        if e["event"] == "booking.leg.requested":
            requests.setdefault(
                leg,
                {
                    "at": _ts(e["occurred_at"]),
                    "key": (e["occurred_at"][:10], e["context"]["city"]),
                    "accept_by": _ts(e["payload"]["accept_by"]),
                },
            )
        elif e["event"] in ("booking.leg.accepted", "booking.leg.declined"):
            answers.setdefault(leg, (_ts(e["occurred_at"]), e["event"].rsplit(".", 1)[1]))
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for leg, request in requests.items():
        groups[request["key"]].append(leg)
    rows = []
    for (dt, city), legs in sorted(groups.items()):
        outcome = {leg: answers.get(leg, (None, None)) for leg in legs}
        accepted = [leg for leg in legs if outcome[leg][1] == "accepted"]
        declined = sum(1 for leg in legs if outcome[leg][1] == "declined")
        expired = sum(
            1 for leg in legs if outcome[leg][1] is None and requests[leg]["accept_by"] < as_of
        )
        in_window = sum(1 for leg in accepted if outcome[leg][0] <= requests[leg]["accept_by"])
        minutes = sorted(
            (outcome[leg][0] - requests[leg]["at"]).total_seconds() / 60 for leg in accepted
        )
        rows.append(
            {
                "dt": dt,
                "city": city,
                "requested": len(legs),
                "accepted": len(accepted),
                "accepted_in_window": in_window,
                "declined": declined,
                "expired": expired,
                "pending": len(legs) - len(accepted) - declined - expired,
                "acceptance_rate": _ratio(in_window, len(legs)),
                "median_minutes_to_accept": _median(minutes),
            }
        )
    return rows


def _median(values: list[float]) -> float | None:
    """quantile_cont(0.5): the middle value, or the mean of the two middle ones."""
    if not values:
        return None
    ordered, middle = sorted(values), len(values) // 2
    return ordered[middle] if len(values) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def recompute_disputes(events: list[dict[str, Any]]) -> list[Row]:
    opened: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    first_open: dict[str, datetime] = {}
    first_resolution: dict[str, tuple[datetime, str]] = {}
    for e in sorted(events, key=lambda e: _ts(e["occurred_at"])):
        p = e["payload"]
        if e["event"] == "dispute.opened":
            opened[e["occurred_at"][:10]][0] += 1
            opened[e["occurred_at"][:10]][1] += p["amount_cents"]
            first_open.setdefault(p["dispute_id"], _ts(e["occurred_at"]))
        elif e["event"] == "dispute.resolved":
            first_resolution.setdefault(p["dispute_id"], (_ts(e["occurred_at"]), p["outcome"]))
    resolved: dict[str, list[tuple[str, datetime, str]]] = defaultdict(list)
    for dispute, (at, outcome) in first_resolution.items():
        resolved[at.date().isoformat()].append((dispute, at, outcome))
    rows = []
    for dt in sorted(set(opened) | set(resolved)):
        day = resolved.get(dt, [])
        hours = [(at - first_open[d]).total_seconds() / 3600 for d, at, _ in day if d in first_open]
        outcomes = [outcome for _, _, outcome in day]
        rows.append(
            {
                "dt": dt,
                "opened": opened[dt][0] if dt in opened else 0,
                "disputed_cents": opened[dt][1] if dt in opened else 0,
                "resolved": len(day),
                **{o: outcomes.count(o) for o in ("won", "lost", "refunded", "withdrawn")},
                "median_hours_to_resolve": _median(hours),
            }
        )
    return rows


RECOMPUTE = {
    "gold.kpi_marketplace_daily": recompute_marketplace,
    "gold.kpi_funnel_daily": recompute_funnel,
    "gold.ops_recon_daily": recompute_recon,
    "gold.ops_payout_backlog": recompute_backlog,
    "gold.kpi_comms_daily": recompute_comms,
    "gold.kpi_trust_daily": recompute_trust,
    "gold.kpi_studios_daily": recompute_studios,
    "gold.kpi_promotions_daily": recompute_promotions,
    "gold.ops_acceptance_daily": recompute_acceptance,
    "gold.kpi_disputes_daily": recompute_disputes,
}


def test_golden_has_every_gold_mart(sim_run: SimulatedRun) -> None:
    assert set(sim_run.golden["marts"]) == set(RECOMPUTE)
    assert set(sim_run.golden) >= {"marts", "ingest", "experiments"}


@pytest.mark.parametrize("mart", sorted(RECOMPUTE))
def test_mart_matches_independent_recomputation(sim_run: SimulatedRun, mart: str) -> None:
    expected = RECOMPUTE[mart](_events(sim_run))
    golden_rows = sim_run.golden["marts"][mart]
    assert expected, f"{mart}: the run produced no rows to compare"
    assert len(golden_rows) == len(expected)
    for got, want in zip(golden_rows, expected, strict=True):
        assert list(got) == list(want) or set(got) == set(want)
        assert got == pytest.approx(want), (mart, got, want)


def test_ingest_counts_match_the_file(sim_run: SimulatedRun) -> None:
    ingest = sim_run.golden["ingest"]
    distinct = sum(1 for _ in sim_run.distinct_valid())
    assert ingest["sent"] == len(sim_run.lines)
    assert ingest["malformed"] == len(sim_run.rejected)
    assert ingest["valid"] == distinct
    assert ingest["duplicates"] == len(sim_run.accepted) - distinct


def test_experiment_tallies_match_exposures_and_bookings(sim_run: SimulatedRun) -> None:
    events = _events(sim_run)
    first_exposure: dict[str, dict[str, tuple[datetime, str]]] = defaultdict(dict)
    for e in events:
        if e["event"] == "exp.exposure":
            p = e["payload"]
            seen = first_exposure[p["exp_key"]].get(p["unit_id"])
            t = _ts(e["occurred_at"])
            if seen is None or t < seen[0]:
                first_exposure[p["exp_key"]][p["unit_id"]] = (t, p["variant"])
    bookings: dict[str, list[datetime]] = defaultdict(list)
    for e in events:
        if e["event"] == "booking.confirmed":
            bookings[e["user_id"]].append(_ts(e["occurred_at"]))
    expected: dict[str, dict[str, dict[str, int]]] = {}
    for key, units in first_exposure.items():
        for unit, (t, variant) in units.items():
            tally = expected.setdefault(key, {}).setdefault(variant, {"units": 0, "converters": 0})
            tally["units"] += 1
            tally["converters"] += any(b >= t for b in bookings[unit])
    assert sim_run.golden["experiments"] == expected
    assert set(expected) == {"search_ranking_v2", "checkout_copy"}
