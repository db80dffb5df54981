"""Gold mart rows from the ledger's accumulators: exact column names, sorted keys,
``None`` for ratios over zero."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any, NamedTuple

from rastup_data.simulate.clock import DAY_MS

__all__ = [
    "BACKLOG_BUCKETS",
    "FUNNEL_STAGES",
    "Answered",
    "Requested",
    "Row",
    "acceptance_rows",
    "backlog_rows",
    "comms_rows",
    "dispute_rows",
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


_DISPUTE_OUTCOMES = ("won", "lost", "refunded", "withdrawn")
_MINUTE_MS = 60_000
_HOUR_MS = 3_600_000


class Requested(NamedTuple):
    """The first ``booking.leg.requested`` of a leg: its day, city, time and deadline."""

    day: int
    city: str
    t: int
    accept_by: int


class Answered(NamedTuple):
    """The first answer to a leg request or dispute: its day, time and kind (accepted,
    declined; or a dispute's outcome)."""

    day: int
    t: int
    kind: str


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


def _median(values: list[float]) -> float | None:
    """The median with linear interpolation (as ``quantile_cont(0.5)``); None for none."""
    return statistics.median(values) if values else None


def acceptance_rows(
    requests: dict[str, Requested], answers: dict[str, Answered], as_of_ms: int, dt: DayName
) -> list[Row]:
    """gold.ops_acceptance_daily: requested legs by the request's day and city, by outcome
    (the first answer), expired when unanswered past ``accept_by`` at ``as_of_ms``."""
    groups: dict[tuple[int, str], list[tuple[Requested, Answered | None]]] = {}
    for leg_id, request in requests.items():
        groups.setdefault((request.day, request.city), []).append((request, answers.get(leg_id)))
    rows = []
    for (day, city), legs in sorted(groups.items()):
        accepted = [(r, a) for r, a in legs if a is not None and a.kind == "accepted"]
        in_window = sum(1 for r, a in accepted if a.t <= r.accept_by)
        declined = sum(1 for _, a in legs if a is not None and a.kind == "declined")
        expired = sum(1 for r, a in legs if a is None and r.accept_by < as_of_ms)
        rows.append(
            {
                "dt": dt(day),
                "city": city,
                "requested": len(legs),
                "accepted": len(accepted),
                "accepted_in_window": in_window,
                "declined": declined,
                "expired": expired,
                "pending": len(legs) - len(accepted) - declined - expired,
                "acceptance_rate": _ratio(in_window, len(legs)),
                "median_minutes_to_accept": _median(
                    [(a.t - r.t) / _MINUTE_MS for r, a in accepted]
                ),
            }
        )
    return rows


def dispute_rows(
    opened: dict[int, list[int]],
    opens: dict[str, int],
    resolutions: dict[str, Answered],
    dt: DayName,
) -> list[Row]:
    """gold.kpi_disputes_daily: openings by their day; first resolutions by theirs, with
    the median hours from the (first) opening where the opening is known."""
    resolved: dict[int, list[tuple[str, Answered]]] = {}
    for dispute_id, resolution in resolutions.items():
        resolved.setdefault(resolution.day, []).append((dispute_id, resolution))
    rows = []
    for day in sorted(set(opened) | set(resolved)):
        count, cents = opened.get(day, (0, 0))
        firsts = resolved.get(day, [])
        hours = [(r.t - opens[d]) / _HOUR_MS for d, r in firsts if d in opens]
        row: Row = {
            "dt": dt(day),
            "opened": count,
            "disputed_cents": cents,
            "resolved": len(firsts),
        }
        for outcome in _DISPUTE_OUTCOMES:
            row[outcome] = sum(1 for _, r in firsts if r.kind == outcome)
        row["median_hours_to_resolve"] = _median(hours)
        rows.append(row)
    return rows
