"""Bookings and their money: legs, charges, fees, payouts, refunds, disputes, quotes.

Money moves the way it does in life: the charge on the day of the booking, the platform
fee when a leg is confirmed (at once for instant-book legs, on the provider's acceptance
for requested ones, see ``acceptance.py``), a payout days after each leg is served and its
payment later still, a refund days after each cancellation (a declined or unanswered
request is cancelled too). Every booking balances once settled (charge = payouts +
refunds + fees); until then its money is in flight, so a day's reconciliation variance is
normally not zero.
"""

from __future__ import annotations

from dataclasses import dataclass

from rastup_data.simulate.acceptance import AcceptanceDesk, Answer
from rastup_data.simulate.clock import DAY_MS, iso_date, iso_timestamp
from rastup_data.simulate.comms import CommsDesk
from rastup_data.simulate.desk import Desk, World
from rastup_data.simulate.emitter import Actor
from rastup_data.simulate.population import Listing, Person
from rastup_data.simulate.trust import TrustDesk

__all__ = ["PLATFORM_FEE_RATE", "BookingDesk", "Checkout"]

PLATFORM_FEE_RATE = 0.15
_CANCEL_RATE = 0.08
_DISPUTE_RATE = 0.05
_HOUR_MS = 3_600_000
#: Days from booking to service: mostly soon, some up to six days ahead.
_LEAD_DAYS = (0, 1, 2, 3, 4, 5, 6)
_LEAD_WEIGHTS = (0.3, 0.25, 0.15, 0.1, 0.08, 0.07, 0.05)
_CANCELLED_BY = ("client", "provider", "platform")
_CANCEL_REASONS = (
    "schedule conflict",
    "found another provider",
    "weather",
    "provider unavailable",
    "duplicate booking",
)
_DISPUTE_REASONS = ("service not as described", "provider did not show up", "overcharged")
_DISPUTE_OUTCOMES = ("won", "lost", "refunded", "withdrawn")
_AMENITIES = ("lighting_kit", "cyclorama", "makeup_station", "backdrop", "parking")


@dataclass(frozen=True, slots=True)
class Checkout:
    """A checkout about to become a booking: who, in which session, which listing, at what
    quoted price."""

    person: Person
    user_id: str
    session_id: str
    checkout_id: str
    listing: Listing
    quoted: int


@dataclass(frozen=True, slots=True)
class _Leg:
    """One booked leg and the ids its later money events carry."""

    ctx: dict[str, str]
    user_id: str
    booking_id: str
    charge_id: str
    leg_id: str
    listing: Listing
    amount: int


@dataclass(frozen=True, slots=True)
class _Booked:
    """A leg of a new booking before its confirmation: the client's session and the day the
    leg is served."""

    leg: _Leg
    session_id: str
    service_day: int


class BookingDesk(Desk):
    """The backend side of a booking, from confirmation to payout."""

    def __init__(self, world: World, comms: CommsDesk, trust: TrustDesk) -> None:
        super().__init__(world)
        self._comms = comms
        self._trust = trust
        self._acceptance = AcceptanceDesk(world.rng)

    def confirm(self, checkout: Checkout, t: int) -> None:
        person, user_id, session_id = checkout.person, checkout.user_id, checkout.session_id
        rng = self._rng
        ctx = self._population.backend_contexts[person.city]
        city_listings = self._population.listings[person.city]
        booking_id = self._ids.new("bk_")
        leg_count = rng.choices((1, 2, 3), weights=(0.7, 0.22, 0.08))[0]
        legs = [(checkout.listing, checkout.quoted)]
        for _ in range(leg_count - 1):
            listing = city_listings[rng.randrange(len(city_listings))]
            legs.append((listing, listing.base_price_cents + 500 * rng.randrange(0, 20)))
        total = sum(amount for _, amount in legs)
        actor = Actor(ctx, user_id, None, session_id)
        self._emit(
            "booking.confirmed",
            t,
            actor,
            {
                "booking_id": booking_id,
                "checkout_id": checkout.checkout_id,
                "leg_count": leg_count,
                "total_amount_cents": total,
                "currency": "USD",
            },
            client=False,
        )
        room = (t // DAY_MS + 1) * DAY_MS - 1 - t
        charge_id = self._ids.new("ch_")
        self._emit(
            "payment.charge.succeeded",
            t + min(900, room),
            actor,
            {
                "charge_id": charge_id,
                "booking_id": booking_id,
                "amount_cents": total,
                "currency": "USD",
            },
            client=False,
        )
        self._trust.score(ctx, user_id, booking_id, t + min(1_200, room))
        for index, (listing, amount) in enumerate(legs):
            leg = _Leg(ctx, user_id, booking_id, charge_id, self._ids.new("lg_"), listing, amount)
            service_day = t // DAY_MS + rng.choices(_LEAD_DAYS, weights=_LEAD_WEIGHTS)[0]
            booked = _Booked(leg, session_id, service_day)
            if self._acceptance.needs_acceptance(listing.listing_type):
                self._request_leg(booked, t + 10 + index)
            else:
                self._confirm_leg(booked, t + 10 + index, t + min(1_500 + index, room))
        self._comms.send(
            ctx, user_id, t + min(3_000, room), "email", "transactional", "booking_confirmation"
        )

    def _leg_payload(self, booked: _Booked) -> dict[str, object]:
        leg = booked.leg
        return {
            "booking_id": leg.booking_id,
            "leg_id": leg.leg_id,
            "provider_id": leg.listing.provider_id,
            "provider_type": leg.listing.listing_type,
            "amount_cents": leg.amount,
            "currency": "USD",
            "service_date": iso_date(booked.service_day * DAY_MS),
        }

    def _request_leg(self, booked: _Booked, t: int) -> None:
        """Ask the provider; confirm on acceptance, cancel and refund otherwise."""
        leg = booked.leg
        ids = {"booking_id": leg.booking_id, "leg_id": leg.leg_id}
        actor = Actor(leg.ctx, leg.user_id, None, None)
        payload = self._leg_payload(booked)
        payload["accept_by"] = iso_timestamp(self._acceptance.accept_by(t))
        self._emit("booking.leg.requested", t, actor, payload, client=False)
        answer = self._acceptance.answer(t)
        if answer.answer is Answer.ACCEPTED:
            self._emit("booking.leg.accepted", answer.t, actor, ids, client=False)
            self._confirm_leg(booked, answer.t + 10, answer.t + 500)
        elif answer.answer is Answer.DECLINED:
            declined = {**ids, "reason": answer.reason}
            self._emit("booking.leg.declined", answer.t, actor, declined, client=False)
            self._cancel_leg(leg, answer.t + 1_000, "provider", "provider declined the request")
        else:
            self._cancel_leg(leg, answer.t + 1_000, "platform", "provider did not answer in time")

    def _confirm_leg(self, booked: _Booked, t: int, fee_at: int) -> None:
        """Confirm a leg (it counts toward GMV); then it is served or cancelled."""
        leg, rng = booked.leg, self._rng
        actor = Actor(leg.ctx, leg.user_id, None, booked.session_id)
        self._emit("booking.leg.confirmed", t, actor, self._leg_payload(booked), client=False)
        t_service = max(
            booked.service_day * DAY_MS + 9 * _HOUR_MS + int(rng.random() * 10 * _HOUR_MS),
            t + _HOUR_MS,
        )
        if rng.random() < _CANCEL_RATE:
            # Cancelled some time between the confirmation and the service.
            t_cancel = t + 60_000 + int(rng.random() * (t_service - t - 60_000))
            reason = _CANCEL_REASONS[rng.randrange(len(_CANCEL_REASONS))]
            by = rng.choices(_CANCELLED_BY, weights=(0.7, 0.25, 0.05))[0]
            self._cancel_leg(leg, t_cancel, by, reason)
            return
        fee = round(leg.amount * PLATFORM_FEE_RATE)
        self._emit(
            "payment.fee.recorded",
            fee_at,
            actor,
            {
                "fee_id": self._ids.new("fee_"),
                "booking_id": leg.booking_id,
                "leg_id": leg.leg_id,
                "fee_type": "platform",
                "amount_cents": fee,
                "currency": "USD",
            },
            client=False,
        )
        self._serve_leg(leg, leg.amount - fee, t_service)

    def _cancel_leg(self, leg: _Leg, t: int, by: str, reason: str) -> None:
        ctx, user_id, booking_id, leg_id = leg.ctx, leg.user_id, leg.booking_id, leg.leg_id
        rng = self._rng
        self._emit(
            "booking.leg.cancelled",
            t,
            Actor(ctx, user_id, None, None),
            {"booking_id": booking_id, "leg_id": leg_id, "cancelled_by": by, "reason": reason},
            client=False,
        )
        # The card refund succeeds one to five days after the cancellation.
        self._emit(
            "payment.refund.succeeded",
            t + DAY_MS + int(rng.random() * 4 * DAY_MS),
            Actor(ctx, user_id, None, None),
            {
                "refund_id": self._ids.new("rf_"),
                "charge_id": leg.charge_id,
                "booking_id": booking_id,
                "amount_cents": leg.amount,
                "currency": "USD",
                "reason": f"leg cancelled: {reason}",
            },
            client=False,
        )

    def _serve_leg(self, leg: _Leg, payout_cents: int, t: int) -> None:
        ctx, user_id, booking_id, leg_id = leg.ctx, leg.user_id, leg.booking_id, leg.leg_id
        charge_id, listing, amount = leg.charge_id, leg.listing, leg.amount
        rng = self._rng
        emit = self._emit
        if listing.listing_type == "studio":
            for _ in range(rng.randrange(0, 3)):
                t += 60_000 + int(rng.random() * 600_000)
                emit(
                    "studio.amenity.used",
                    t,
                    Actor(ctx, user_id, None, None),
                    {
                        "studio_id": listing.provider_id,
                        "booking_id": booking_id,
                        "amenity": _AMENITIES[rng.randrange(len(_AMENITIES))],
                    },
                    client=False,
                )
        t += 2 * 3_600_000 + int(rng.random() * 3 * 3_600_000)
        emit(
            "booking.leg.completed",
            t,
            Actor(ctx, user_id, None, None),
            {"booking_id": booking_id, "leg_id": leg_id},
            client=False,
        )
        self._pay_out(leg, payout_cents, t)
        if rng.random() < _DISPUTE_RATE:
            dispute_id = self._ids.new("dp_")
            t_open = t + _HOUR_MS + int(rng.random() * DAY_MS)
            emit(
                "dispute.opened",
                t_open,
                Actor(ctx, user_id, None, None),
                {
                    "dispute_id": dispute_id,
                    "booking_id": booking_id,
                    "charge_id": charge_id,
                    "amount_cents": amount,
                    "currency": "USD",
                    "reason": _DISPUTE_REASONS[rng.randrange(len(_DISPUTE_REASONS))],
                },
                client=False,
            )
            emit(
                "dispute.resolved",
                t_open + DAY_MS // 2 + int(rng.random() * 3 * DAY_MS),
                Actor(ctx, None, None, None),
                {
                    "dispute_id": dispute_id,
                    "outcome": _DISPUTE_OUTCOMES[rng.randrange(len(_DISPUTE_OUTCOMES))],
                },
                client=False,
            )

    def _pay_out(self, leg: _Leg, payout_cents: int, completed_at: int) -> None:
        """A payout one to seven days after the leg was served (most within three), paid one
        to three days later (so payouts created near the end stay in the backlog)."""
        ctx, user_id, booking_id, leg_id = leg.ctx, leg.user_id, leg.booking_id, leg.leg_id
        listing = leg.listing
        rng = self._rng
        payout_id = self._ids.new("po_")
        t_created = completed_at + DAY_MS + int(rng.random() ** 2 * 6 * DAY_MS)
        self._emit(
            "payout.created",
            t_created,
            Actor(ctx, user_id, None, None),
            {
                "payout_id": payout_id,
                "provider_id": listing.provider_id,
                "booking_id": booking_id,
                "leg_id": leg_id,
                "amount_cents": payout_cents,
                "currency": "USD",
            },
            client=False,
        )
        self._emit(
            "payout.paid",
            t_created + DAY_MS + int(rng.random() * 2 * DAY_MS),
            Actor(ctx, None, None, None),
            {"payout_id": payout_id, "amount_cents": payout_cents, "currency": "USD"},
            client=False,
        )

    def request_quote(
        self,
        ctx: dict[str, str],
        user_id: str | None,
        anon_id: str,
        session_id: str,
        listing: Listing,
        t: int,
    ) -> None:
        rng = self._rng
        quote_id = self._ids.new("q_")
        studio_id = listing.provider_id
        self._emit(
            "studio.quote.requested",
            t,
            Actor(ctx, user_id, anon_id, session_id),
            {"quote_id": quote_id, "studio_id": studio_id},
            client=True,
        )
        if rng.random() < 0.45:
            amount = listing.base_price_cents + 250 * rng.randrange(0, 40)
            t_accept = t + 1_800_000 + int(rng.random() * 8 * 3_600_000)
            self._emit(
                "studio.quote.accepted",
                t_accept,
                Actor(ctx, user_id, anon_id, None),
                {
                    "quote_id": quote_id,
                    "studio_id": studio_id,
                    "amount_cents": amount,
                    "currency": "USD",
                },
                client=True,
            )
