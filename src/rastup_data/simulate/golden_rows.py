"""Gold mart rows from the ledger's accumulators: exact column names, sorted keys,
``None`` for ratios over zero."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rastup_data.simulate.clock import DAY_MS

__all__ = [
    "BACKLOG_BUCKETS",
    "FUNNEL_STAGES",
    "Row",
    "backlog_rows",
    "comms_rows",
    "funnel_rows",
    "marketplace_rows",
    "promotion_rows",
    "recon_rows",
    "studio_rows",
    "trust_rows",
]

Row = dict[str, Any]
DayName = Callable[[int], str]

FUNNEL_STAGES: tuple[str, ...] = (
    "search_impression",
    "search_click",
    "profile_view",
    "checkout_start",
    "booking_confirmed",
)
BACKLOG_BUCKETS: tuple[tuple[str, int], ...] = (
    ("0-1d", 24 * 3_600_000),
    ("1-3d", 72 * 3_600_000),
    ("3-7d", 168 * 3_600_000),
    ("7d+", 1 << 62),
)
_TRUST_COUNTS = (
    "bg_clear",
    "bg_consider",
    "bg_suspended",
    "risk_watch",
    "risk_action",
    "risk_critical",
)


def _ratio(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else numerator / denominator


def marketplace_rows(market: dict[tuple[int, str], list[int]], dt: DayName) -> list[Row]:
    return [
        {
            "dt": dt(day),
            "city": city,
            "bookings": bookings,
            "gmv_cents": gmv,
            "platform_fee_cents": fees,
            "take_rate": _ratio(fees, gmv),
        }
        for (day, city), (bookings, gmv, fees) in sorted(market.items())
    ]


def funnel_rows(
    funnel: dict[tuple[int, int], set[str]], links: dict[str, str], dt: DayName
) -> list[Row]:
    """Distinct resolved persons: an anon id counts as the user it was ever linked to."""
    return [
        {
            "dt": dt(day),
            "stage": FUNNEL_STAGES[stage],
            "users": len({links.get(person, person) for person in members}),
        }
        for (day, stage), members in sorted(funnel.items())
    ]


def recon_rows(recon: dict[int, list[int]], dt: DayName) -> list[Row]:
    return [
        {
            "dt": dt(day),
            "charges_cents": charges,
            "refunds_cents": refunds,
            "payouts_cents": payouts,
            "fees_cents": fees,
            "variance_cents": abs(charges - (payouts + refunds + fees)),
        }
        for day, (charges, refunds, payouts, fees) in sorted(recon.items())
    ]


def backlog_rows(open_payouts: dict[str, tuple[int, int]], as_of_ms: int) -> list[Row]:
    """Unpaid payouts by age at ``as_of_ms``; only buckets that hold any."""
    counts = [[0, 0] for _ in BACKLOG_BUCKETS]
    for created_ms, amount in open_payouts.values():
        age = as_of_ms - created_ms
        for index, (_, upper) in enumerate(BACKLOG_BUCKETS):
            if age < upper:
                counts[index][0] += 1
                counts[index][1] += amount
                break
    return [
        {"age_bucket": name, "payouts": payouts, "amount_cents": amount}
        for (name, _), (payouts, amount) in zip(BACKLOG_BUCKETS, counts, strict=True)
        if payouts
    ]


def trust_rows(trust: dict[int, list[int]], dt: DayName) -> list[Row]:
    rows = []
    for day, counts in sorted(trust.items()):
        started, passed, failed, *rest = counts
        row: Row = {
            "dt": dt(day),
            "idv_started": started,
            "idv_passed": passed,
            "idv_failed": failed,
            "idv_pass_rate": _ratio(passed, passed + failed),
        }
        row.update(zip(_TRUST_COUNTS, rest, strict=True))
        rows.append(row)
    return rows


def _budget_at(budgets: list[tuple[int, int]], until_ms: int) -> int | None:
    """The latest budget set before ``until_ms`` (the end of the day), if any."""
    latest: tuple[int, int] | None = None
    for t, cents in budgets:
        if t < until_ms and (latest is None or t >= latest[0]):
            latest = (t, cents)
    return None if latest is None else latest[1]


def promotion_rows(
    promo: dict[tuple[int, str], list[int]],
    budgets: dict[str, list[tuple[int, int]]],
    start_ms: int,
    dt: DayName,
) -> list[Row]:
    rows = []
    for (day, campaign_id), (imps, clicks, invalid, spend) in sorted(promo.items()):
        day_end = start_ms + (day + 1) * DAY_MS
        rows.append(
            {
                "dt": dt(day),
                "campaign_id": campaign_id,
                "impressions": imps,
                "clicks": clicks,
                "invalid_clicks": invalid,
                "ctr": _ratio(clicks, imps),
                "invalid_rate": _ratio(invalid, clicks),
                "spend_cents": spend,
                "budget_cents": _budget_at(budgets.get(campaign_id, []), day_end),
            }
        )
    return rows


def comms_rows(comms: dict[tuple[int, str], list[int]], dt: DayName) -> list[Row]:
    rows = []
    for (day, channel), counts in sorted(comms.items()):
        sent, delivered, bounced, complained, opted_out, suppressed = counts
        rows.append(
            {
                "dt": dt(day),
                "channel": channel,
                "sent": sent,
                "delivered": delivered,
                "bounced": bounced,
                "complained": complained,
                "opted_out": opted_out,
                "digest_suppressed": suppressed,
                "delivery_rate": _ratio(delivered, sent),
                "bounce_rate": _ratio(bounced, sent),
                "complaint_rate": _ratio(complained, sent),
            }
        )
    return rows


def studio_rows(studios: dict[int, list[int]], dt: DayName) -> list[Row]:
    return [
        {
            "dt": dt(day),
            "verified": verified,
            "verification_failed": failed,
            "verification_rate": _ratio(verified, verified + failed),
            "amenity_uses": amenities,
            "quotes_requested": requested,
            "quotes_accepted": accepted,
            "quote_success_rate": _ratio(accepted, requested),
        }
        for day, (verified, failed, amenities, requested, accepted) in sorted(studios.items())
    ]
