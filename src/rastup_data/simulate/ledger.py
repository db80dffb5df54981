"""The golden-KPI ledger: Gold marts computed from what the simulator generates, as it goes.

The ledger sees each counted event once (duplicates and malformed lines never reach it)
and knows nothing of SQL or of the written file, so the marts built by the pipeline can
be checked against it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rastup_data.simulate import golden_rows as rows
from rastup_data.simulate.clock import DAY_MS, iso_date, iso_timestamp
from rastup_data.simulate.golden_rows import FUNNEL_STAGES, Answered, Requested, Row

__all__ = ["FUNNEL_STAGES", "GoldenLedger"]

_STAGE_OF_EVENT = {
    "search.impression": 0,
    "search.click": 1,
    "profile.viewed": 2,
    "checkout.start": 3,
    "booking.confirmed": 4,
}
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


@dataclass(frozen=True, slots=True)
class Observed:
    """One counted event as the handlers see it: its day of the run and ``occurred`` time."""

    name: str
    day: int
    t: int
    city: str
    user_id: str | None
    anon_id: str | None
    payload: Payload


Handler = Callable[[Observed], None]


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
        self._requests: dict[str, Requested] = {}
        self._answers: dict[str, Answered] = {}
        self._disputes_opened: dict[int, list[int]] = {}
        self._dispute_opens: dict[str, int] = {}
        self._resolutions: dict[str, Answered] = {}
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
            "booking.leg.requested": self._leg_requested,
            "booking.leg.accepted": self._leg_answered,
            "booking.leg.declined": self._leg_answered,
            "dispute.opened": self._dispute_opened,
            "dispute.resolved": self._dispute_resolved,
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
            handler(Observed(name, day, occurred_ms, city, user_id, anon_id, payload))

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

    def _funnel_only(self, e: Observed) -> None:
        self._funnel_add(e.name, e.day, e.user_id, e.anon_id)

    def _identity_linked(self, e: Observed) -> None:
        self._links.setdefault(e.payload["anon_id"], e.payload["user_id"])

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

    def _booking_confirmed(self, e: Observed) -> None:
        self._market_row(e.day, e.city)[0] += 1
        self._funnel_add("booking.confirmed", e.day, e.user_id, e.anon_id)
        person = e.user_id or e.anon_id
        if person is not None:
            self._booking_times.setdefault(person, []).append(e.t)

    def _leg_confirmed(self, e: Observed) -> None:
        self._market_row(e.day, e.city)[1] += e.payload["amount_cents"]

    def _charge(self, e: Observed) -> None:
        self._recon_row(e.day)[0] += e.payload["amount_cents"]

    def _refund(self, e: Observed) -> None:
        self._recon_row(e.day)[1] += e.payload["amount_cents"]

    def _payout_created(self, e: Observed) -> None:
        self._recon_row(e.day)[2] += e.payload["amount_cents"]
        self._open_payouts[e.payload["payout_id"]] = (e.t, e.payload["amount_cents"])

    def _payout_paid(self, e: Observed) -> None:
        self._open_payouts.pop(e.payload["payout_id"], None)

    def _fee(self, e: Observed) -> None:
        self._recon_row(e.day)[3] += e.payload["amount_cents"]
        if e.payload["fee_type"] == "platform":
            self._market_row(e.day, e.city)[2] += e.payload["amount_cents"]

    def _trust_row(self, day: int) -> list[int]:
        row = self._trust.get(day)
        if row is None:
            row = self._trust[day] = [0] * 9
        return row

    def _trust_counter(self, index: int) -> Handler:
        def count(e: Observed) -> None:
            self._trust_row(e.day)[index] += 1

        return count

    def _bgcheck(self, e: Observed) -> None:
        self._trust_row(e.day)[_BG_INDEX[e.payload["result"]]] += 1

    def _risk(self, e: Observed) -> None:
        row = self._trust_row(e.day)
        index = _RISK_INDEX.get(e.payload["bucket"])
        if index is not None:
            row[index] += 1

    def _promo_row(self, day: int, campaign_id: str) -> list[int]:
        row = self._promo.get((day, campaign_id))
        if row is None:
            row = self._promo[(day, campaign_id)] = [0, 0, 0, 0]
        return row

    def _budget_set(self, e: Observed) -> None:
        self._budgets.setdefault(e.payload["campaign_id"], []).append(
            (e.t, e.payload["daily_budget_cents"])
        )

    def _promo_impression(self, e: Observed) -> None:
        self._promo_row(e.day, e.payload["campaign_id"])[0] += 1

    def _promo_click(self, e: Observed) -> None:
        row = self._promo_row(e.day, e.payload["campaign_id"])
        row[1] += 1
        if e.payload["is_invalid"]:
            row[2] += 1
        else:
            row[3] += e.payload["cost_cents"]

    def _comms_event(self, e: Observed) -> None:
        key = (e.day, e.payload["channel"])
        row = self._comms.get(key)
        if row is None:
            row = self._comms[key] = [0] * 6
        row[_COMMS_INDEX[e.name]] += 1

    def _studio_event(self, e: Observed) -> None:
        row = self._studios.get(e.day)
        if row is None:
            row = self._studios[e.day] = [0] * 5
        row[_STUDIO_INDEX[e.name]] += 1

    def _exposure(self, e: Observed) -> None:
        units = self._exposures.setdefault(e.payload["exp_key"], {})
        first = units.get(e.payload["unit_id"])
        if first is None or e.t < first[0]:
            units[e.payload["unit_id"]] = (e.t, e.payload["variant"])

    def _leg_requested(self, e: Observed) -> None:
        leg_id = e.payload["leg_id"]
        first = self._requests.get(leg_id)
        if first is None or e.t < first.t:
            accept_by = datetime.fromisoformat(e.payload["accept_by"].replace("Z", "+00:00"))
            self._requests[leg_id] = Requested(
                e.day, e.city, e.t, int(accept_by.timestamp() * 1000)
            )

    def _leg_answered(self, e: Observed) -> None:
        """The first answer by occurred_at decides the outcome; later ones are ignored."""
        leg_id = e.payload["leg_id"]
        first = self._answers.get(leg_id)
        if first is None or e.t < first.t:
            self._answers[leg_id] = Answered(e.day, e.t, e.name.rsplit(".", 1)[1])

    def _dispute_opened(self, e: Observed) -> None:
        row = self._disputes_opened.setdefault(e.day, [0, 0])
        row[0] += 1
        row[1] += e.payload["amount_cents"]
        dispute_id = e.payload["dispute_id"]
        first = self._dispute_opens.get(dispute_id)
        if first is None or e.t < first:
            self._dispute_opens[dispute_id] = e.t

    def _dispute_resolved(self, e: Observed) -> None:
        dispute_id = e.payload["dispute_id"]
        first = self._resolutions.get(dispute_id)
        if first is None or e.t < first.t:
            self._resolutions[dispute_id] = Answered(e.day, e.t, e.payload["outcome"])

    # -- results ----------------------------------------------------------------------------

    def _dt(self, day: int) -> str:
        return iso_date(self._start_ms + day * DAY_MS)

    def marts(self) -> dict[str, list[Row]]:
        """Every Gold mart as sorted rows with the mart's exact column names."""
        dt = self._dt
        return {
            "gold.kpi_marketplace_daily": rows.marketplace_rows(self._market, dt),
            "gold.kpi_funnel_daily": rows.funnel_rows(self._funnel, self._links, dt),
            "gold.ops_recon_daily": rows.recon_rows(self._recon, dt),
            "gold.ops_payout_backlog": rows.backlog_rows(self._open_payouts, self.max_occurred_ms),
            "gold.kpi_trust_daily": rows.trust_rows(self._trust, dt),
            "gold.kpi_promotions_daily": rows.promotion_rows(
                self._promo, self._budgets, self._start_ms, dt
            ),
            "gold.kpi_comms_daily": rows.comms_rows(self._comms, dt),
            "gold.kpi_studios_daily": rows.studio_rows(self._studios, dt),
            "gold.ops_acceptance_daily": rows.acceptance_rows(
                self._requests, self._answers, self.max_occurred_ms, dt
            ),
            "gold.kpi_disputes_daily": rows.dispute_rows(
                self._disputes_opened, self._dispute_opens, self._resolutions, dt
            ),
        }

    def as_of(self) -> str | None:
        """The greatest ``occurred_at`` counted, or None when nothing was counted."""
        return None if self.max_occurred_ms < 0 else iso_timestamp(self.max_occurred_ms)

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
