"""The golden-KPI ledger: Gold marts computed from what the simulator generates, as it goes.

The ledger sees each counted event once (duplicates and malformed lines never reach it)
and knows nothing of SQL or of the written file, so the marts built by the pipeline can
be checked against it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rastup_data.simulate.clock import DAY_MS, iso_date, iso_timestamp

__all__ = ["BACKLOG_BUCKETS", "FUNNEL_STAGES", "GoldenLedger"]

FUNNEL_STAGES: tuple[str, ...] = (
    "search_impression",
    "search_click",
    "profile_view",
    "checkout_start",
    "booking_confirmed",
)
_STAGE_OF_EVENT = {
    "search.impression": 0,
    "search.click": 1,
    "profile.viewed": 2,
    "checkout.start": 3,
    "booking.confirmed": 4,
}
BACKLOG_BUCKETS: tuple[tuple[str, int], ...] = (
    ("0-1d", 24 * 3_600_000),
    ("1-3d", 72 * 3_600_000),
    ("3-7d", 168 * 3_600_000),
    ("7d+", 1 << 62),
)
_TRUST_COLUMNS = (
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
_BG_INDEX = {"clear": 3, "consider": 4, "suspended": 5}
_RISK_INDEX = {"watch": 6, "action": 7, "critical": 8}
_COMMS_INDEX = {
    "comms.sent": 0,
    "comms.delivered": 1,
    "comms.bounced": 2,
    "comms.complained": 3,
    "comms.opted_out": 4,
    "comms.digest_suppressed": 5,
}
_STUDIO_INDEX = {
    "studio.verified": 0,
    "studio.verification_failed": 1,
    "studio.amenity.used": 2,
    "studio.quote.requested": 3,
    "studio.quote.accepted": 4,
}

Payload = dict[str, Any]
Row = dict[str, Any]
Handler = Callable[[str, int, int, str, str | None, str | None, Payload], None]


def _ratio(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else numerator / denominator


class GoldenLedger:
    """Accumulates every Gold mart, the experiment tallies and the ingest counts."""

    def __init__(self, start_ms: int) -> None:
        self._start_ms = start_ms
        self.max_occurred_ms = -1
        self._market: dict[tuple[int, str], list[int]] = {}
        self._funnel: dict[tuple[int, int], set[str]] = {}
        self._recon: dict[int, list[int]] = {}
        self._open_payouts: dict[str, tuple[int, int]] = {}
        self._trust: dict[int, list[int]] = {}
        self._promo: dict[tuple[int, str], list[int]] = {}
        self._budgets: dict[str, list[tuple[int, int]]] = {}
        self._comms: dict[tuple[int, str], list[int]] = {}
        self._studios: dict[int, list[int]] = {}
        self._links: dict[str, str] = {}
        self._exposures: dict[str, dict[str, tuple[int, str]]] = {}
        self._booking_times: dict[str, list[int]] = {}
        handlers: dict[str, Handler]
        handlers = {
            "identity.linked": self._identity_linked,
            "booking.confirmed": self._booking_confirmed,
            "booking.leg.confirmed": self._leg_confirmed,
            "payment.charge.succeeded": self._charge,
            "payment.refund.succeeded": self._refund,
            "payment.fee.recorded": self._fee,
            "payout.created": self._payout_created,
            "payout.paid": self._payout_paid,
            "idv.started": self._trust_counter(0),
            "idv.passed": self._trust_counter(1),
            "idv.failed": self._trust_counter(2),
            "bgcheck.completed": self._bgcheck,
            "risk.scored": self._risk,
            "promo.budget.set": self._budget_set,
            "promo.impression": self._promo_impression,
            "promo.click": self._promo_click,
            "exp.exposure": self._exposure,
        }
        for name in ("search.impression", "search.click", "profile.viewed", "checkout.start"):
            handlers[name] = self._funnel_only
        for name in _COMMS_INDEX:
            handlers[name] = self._comms_event
        for name in _STUDIO_INDEX:
            handlers[name] = self._studio_event
        self._handlers = handlers

    def observe(
        self,
        name: str,
        occurred_ms: int,
        city: str,
        user_id: str | None,
        anon_id: str | None,
        payload: Payload,
    ) -> None:
        """Count one event (called once per distinct valid event)."""
        if occurred_ms > self.max_occurred_ms:
            self.max_occurred_ms = occurred_ms
        handler = self._handlers.get(name)
        if handler is not None:
            day = (occurred_ms - self._start_ms) // DAY_MS
            handler(name, day, occurred_ms, city, user_id, anon_id, payload)

    # -- handlers ---------------------------------------------------------------------------

    def _funnel_add(self, name: str, day: int, user_id: str | None, anon_id: str | None) -> None:
        key = (day, _STAGE_OF_EVENT[name])
        person = user_id or anon_id
        if person is None:
            return
        members = self._funnel.get(key)
        if members is None:
            members = self._funnel[key] = set()
        members.add(person)

    def _funnel_only(
        self,
        n: str,
        day: int,
        t: int,
        city: str,
        user_id: str | None,
        anon_id: str | None,
        p: Payload,
    ) -> None:
        self._funnel_add(n, day, user_id, anon_id)

    def _identity_linked(
        self,
        n: str,
        day: int,
        t: int,
        city: str,
        user_id: str | None,
        anon_id: str | None,
        p: Payload,
    ) -> None:
        self._links.setdefault(p["anon_id"], p["user_id"])

    def _market_row(self, day: int, city: str) -> list[int]:
        row = self._market.get((day, city))
        if row is None:
            row = self._market[(day, city)] = [0, 0, 0]
        return row

    def _recon_row(self, day: int) -> list[int]:
        row = self._recon.get(day)
        if row is None:
            row = self._recon[day] = [0, 0, 0, 0]
        return row

    def _booking_confirmed(
        self,
        n: str,
        day: int,
        t: int,
        city: str,
        user_id: str | None,
        anon_id: str | None,
        p: Payload,
    ) -> None:
        self._market_row(day, city)[0] += 1
        self._funnel_add("booking.confirmed", day, user_id, anon_id)
        person = user_id or anon_id
        if person is not None:
            self._booking_times.setdefault(person, []).append(t)

    def _leg_confirmed(
        self,
        n: str,
        day: int,
        t: int,
        city: str,
        user_id: str | None,
        anon_id: str | None,
        p: Payload,
    ) -> None:
        self._market_row(day, city)[1] += p["amount_cents"]

    def _charge(
        self,
        n: str,
        day: int,
        t: int,
        city: str,
        user_id: str | None,
        anon_id: str | None,
        p: Payload,
    ) -> None:
        self._recon_row(day)[0] += p["amount_cents"]

    def _refund(
        self,
        n: str,
        day: int,
        t: int,
        city: str,
        user_id: str | None,
        anon_id: str | None,
        p: Payload,
    ) -> None:
        self._recon_row(day)[1] += p["amount_cents"]

    def _payout_created(
        self,
        n: str,
        day: int,
        t: int,
        city: str,
        user_id: str | None,
        anon_id: str | None,
        p: Payload,
    ) -> None:
        self._recon_row(day)[2] += p["amount_cents"]
        self._open_payouts[p["payout_id"]] = (t, p["amount_cents"])

    def _payout_paid(
        self,
        n: str,
        day: int,
        t: int,
        city: str,
        user_id: str | None,
        anon_id: str | None,
        p: Payload,
    ) -> None:
        self._open_payouts.pop(p["payout_id"], None)

    def _fee(
        self,
        n: str,
        day: int,
        t: int,
        city: str,
        user_id: str | None,
        anon_id: str | None,
        p: Payload,
    ) -> None:
        self._recon_row(day)[3] += p["amount_cents"]
        if p["fee_type"] == "platform":
            self._market_row(day, city)[2] += p["amount_cents"]

    def _trust_row(self, day: int) -> list[int]:
        row = self._trust.get(day)
        if row is None:
            row = self._trust[day] = [0] * len(_TRUST_COLUMNS)
        return row

    def _trust_counter(self, index: int) -> Handler:
        def count(
            n: str,
            day: int,
            t: int,
            city: str,
            user_id: str | None,
            anon_id: str | None,
            p: Payload,
        ) -> None:
            self._trust_row(day)[index] += 1

        return count

    def _bgcheck(
        self,
        n: str,
        day: int,
        t: int,
        city: str,
        user_id: str | None,
        anon_id: str | None,
        p: Payload,
    ) -> None:
        self._trust_row(day)[_BG_INDEX[p["result"]]] += 1

    def _risk(
        self,
        n: str,
        day: int,
        t: int,
        city: str,
        user_id: str | None,
        anon_id: str | None,
        p: Payload,
    ) -> None:
        row = self._trust_row(day)
        index = _RISK_INDEX.get(p["bucket"])
        if index is not None:
            row[index] += 1

    def _promo_row(self, day: int, campaign_id: str) -> list[int]:
        row = self._promo.get((day, campaign_id))
        if row is None:
            row = self._promo[(day, campaign_id)] = [0, 0, 0, 0]
        return row

    def _budget_set(
        self,
        n: str,
        day: int,
        t: int,
        city: str,
        user_id: str | None,
        anon_id: str | None,
        p: Payload,
    ) -> None:
        self._budgets.setdefault(p["campaign_id"], []).append((t, p["daily_budget_cents"]))

    def _promo_impression(
        self,
        n: str,
        day: int,
        t: int,
        city: str,
        user_id: str | None,
        anon_id: str | None,
        p: Payload,
    ) -> None:
        self._promo_row(day, p["campaign_id"])[0] += 1

    def _promo_click(
        self,
        n: str,
        day: int,
        t: int,
        city: str,
        user_id: str | None,
        anon_id: str | None,
        p: Payload,
    ) -> None:
        row = self._promo_row(day, p["campaign_id"])
        row[1] += 1
        if p["is_invalid"]:
            row[2] += 1
        else:
            row[3] += p["cost_cents"]

    def _comms_event(
        self,
        n: str,
        day: int,
        t: int,
        city: str,
        user_id: str | None,
        anon_id: str | None,
        p: Payload,
    ) -> None:
        key = (day, p["channel"])
        row = self._comms.get(key)
        if row is None:
            row = self._comms[key] = [0] * 6
        row[_COMMS_INDEX[n]] += 1

    def _studio_event(
        self,
        n: str,
        day: int,
        t: int,
        city: str,
        user_id: str | None,
        anon_id: str | None,
        p: Payload,
    ) -> None:
        row = self._studios.get(day)
        if row is None:
            row = self._studios[day] = [0] * 5
        row[_STUDIO_INDEX[n]] += 1

    def _exposure(
        self,
        n: str,
        day: int,
        t: int,
        city: str,
        user_id: str | None,
        anon_id: str | None,
        p: Payload,
    ) -> None:
        units = self._exposures.setdefault(p["exp_key"], {})
        first = units.get(p["unit_id"])
        if first is None or t < first[0]:
            units[p["unit_id"]] = (t, p["variant"])

    # -- results ----------------------------------------------------------------------------

    def _dt(self, day: int) -> str:
        return iso_date(self._start_ms + day * DAY_MS)

    def resolve_person(self, person: str) -> str:
        """The resolved person of an identity: the linked user of an anon id, else itself."""
        return self._links.get(person, person)

    def marts(self) -> dict[str, list[Row]]:
        """Every Gold mart as sorted rows with the mart's exact column names."""
        return {
            "gold.kpi_marketplace_daily": self._marketplace_rows(),
            "gold.kpi_funnel_daily": self._funnel_rows(),
            "gold.ops_recon_daily": self._recon_rows(),
            "gold.ops_payout_backlog": self._backlog_rows(),
            "gold.kpi_trust_daily": self._trust_rows(),
            "gold.kpi_promotions_daily": self._promotion_rows(),
            "gold.kpi_comms_daily": self._comms_rows(),
            "gold.kpi_studios_daily": self._studio_rows(),
        }

    def as_of(self) -> str | None:
        """The greatest ``occurred_at`` counted, or None when nothing was counted."""
        return None if self.max_occurred_ms < 0 else iso_timestamp(self.max_occurred_ms)

    def _marketplace_rows(self) -> list[Row]:
        return [
            {
                "dt": self._dt(day),
                "city": city,
                "bookings": bookings,
                "gmv_cents": gmv,
                "platform_fee_cents": fees,
                "take_rate": _ratio(fees, gmv),
            }
            for (day, city), (bookings, gmv, fees) in sorted(self._market.items())
        ]

    def _funnel_rows(self) -> list[Row]:
        links = self._links
        return [
            {
                "dt": self._dt(day),
                "stage": FUNNEL_STAGES[stage],
                "users": len({links.get(person, person) for person in members}),
            }
            for (day, stage), members in sorted(self._funnel.items())
        ]

    def _recon_rows(self) -> list[Row]:
        return [
            {
                "dt": self._dt(day),
                "charges_cents": charges,
                "refunds_cents": refunds,
                "payouts_cents": payouts,
                "fees_cents": fees,
                "variance_cents": abs(charges - (payouts + refunds + fees)),
            }
            for day, (charges, refunds, payouts, fees) in sorted(self._recon.items())
        ]

    def _backlog_rows(self) -> list[Row]:
        as_of = self.max_occurred_ms
        counts = [[0, 0] for _ in BACKLOG_BUCKETS]
        for created_ms, amount in self._open_payouts.values():
            age = as_of - created_ms
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

    def _trust_rows(self) -> list[Row]:
        rows = []
        for day, counts in sorted(self._trust.items()):
            started, passed, failed, *rest = counts
            row: Row = {
                "dt": self._dt(day),
                "idv_started": started,
                "idv_passed": passed,
                "idv_failed": failed,
                "idv_pass_rate": _ratio(passed, passed + failed),
            }
            row.update(zip(_TRUST_COLUMNS[3:], rest, strict=True))
            rows.append(row)
        return rows

    def _budget_at(self, campaign_id: str, until_ms: int) -> int | None:
        latest: tuple[int, int] | None = None
        for t, cents in self._budgets.get(campaign_id, ()):
            if t < until_ms and (latest is None or t >= latest[0]):
                latest = (t, cents)
        return None if latest is None else latest[1]

    def _promotion_rows(self) -> list[Row]:
        rows = []
        for (day, campaign_id), (imps, clicks, invalid, spend) in sorted(self._promo.items()):
            day_end = self._start_ms + (day + 1) * DAY_MS
            rows.append(
                {
                    "dt": self._dt(day),
                    "campaign_id": campaign_id,
                    "impressions": imps,
                    "clicks": clicks,
                    "invalid_clicks": invalid,
                    "ctr": _ratio(clicks, imps),
                    "invalid_rate": _ratio(invalid, clicks),
                    "spend_cents": spend,
                    "budget_cents": self._budget_at(campaign_id, day_end),
                }
            )
        return rows

    def _comms_rows(self) -> list[Row]:
        return [
            {
                "dt": self._dt(day),
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
            for (day, channel), (
                sent,
                delivered,
                bounced,
                complained,
                opted_out,
                suppressed,
            ) in sorted(self._comms.items())
        ]

    def _studio_rows(self) -> list[Row]:
        return [
            {
                "dt": self._dt(day),
                "verified": verified,
                "verification_failed": failed,
                "verification_rate": _ratio(verified, verified + failed),
                "amenity_uses": amenities,
                "quotes_requested": requested,
                "quotes_accepted": accepted,
                "quote_success_rate": _ratio(accepted, requested),
            }
            for day, (verified, failed, amenities, requested, accepted) in sorted(
                self._studios.items()
            )
        ]

    def experiments(self) -> dict[str, dict[str, dict[str, int]]]:
        """Per experiment and variant: exposed units, and units that booked after exposure."""
        result: dict[str, dict[str, dict[str, int]]] = {}
        for key in sorted(self._exposures):
            variants: dict[str, dict[str, int]] = {}
            for unit, (first_ms, variant) in self._exposures[key].items():
                tally = variants.setdefault(variant, {"units": 0, "converters": 0})
                tally["units"] += 1
                if any(t >= first_ms for t in self._booking_times.get(unit, ())):
                    tally["converters"] += 1
            result[key] = dict(sorted(variants.items()))
        return result
