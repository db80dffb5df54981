"""Client sessions: browsing, signup/login, search, clicks, checkout, and experiments."""

from __future__ import annotations

from rastup_data.simulate.assignment import EXPERIMENTS, assign_variant
from rastup_data.simulate.bookings import BookingDesk, Checkout
from rastup_data.simulate.desk import Desk, World
from rastup_data.simulate.emitter import Actor
from rastup_data.simulate.population import Device, Listing, Person
from rastup_data.simulate.trust import TrustDesk

__all__ = ["SessionSimulator"]

#: One search result: the listing, and its promotion and campaign ids when promoted.
_Result = tuple[Listing, str | None, str | None]

_ENTRIES = ("direct", "search", "ads", "email", "social")
_ENTRY_WEIGHTS = (0.35, 0.3, 0.15, 0.1, 0.1)
_CATEGORIES = ("photographer", "model", "makeup_artist", "videographer", "studio", "stylist")
_SIGNUP_METHODS = ("email", "google", "apple")
_ROLES = ("client", "talent", "studio_owner")
_ROLE_WEIGHTS = (0.9, 0.07, 0.03)
_SEARCH_RANKING, _CHECKOUT_COPY = 0, 1
#: Share of search clicks followed by a profile view (the rest bounce back or close).
_VIEW_AFTER_CLICK = 0.85


class SessionSimulator(Desk):
    """Plays one session of one person on one device, emitting client events."""

    def __init__(self, world: World, bookings: BookingDesk, trust: TrustDesk) -> None:
        super().__init__(world)
        self._bookings = bookings
        self._trust = trust
        self.experiments_live = False

    def run(self, person: Person, device: Device, start_ms: int) -> None:
        rng = self._rng
        emit = self._emit
        ctx = device.context
        anon_id = device.anon_id
        session_id = self._ids.new("s_")
        user_id = person.user_id if device.linked and rng.random() < 0.8 else None
        entry = rng.choices(_ENTRIES, weights=_ENTRY_WEIGHTS)[0]
        t = start_ms
        emit(
            "session.started",
            t,
            Actor(ctx, user_id, anon_id, session_id),
            {"entry": entry},
            client=True,
        )
        t += 1_000 + int(rng.random() * 20_000)
        if user_id is None and person.registered and rng.random() < 0.3:
            t = self._login(person, device, session_id, t)
            user_id = person.user_id
        elif not person.registered and rng.random() < 0.05 * person.propensity:
            t = self._signup(person, device, session_id, t)
            user_id = person.user_id
        searches = 1 + (rng.random() < 0.4) + (rng.random() < 0.15)
        for _ in range(searches):
            if user_id is not None and self.experiments_live:
                actor = Actor(ctx, user_id, anon_id, session_id)
                t = self._expose(person, actor, t, _SEARCH_RANKING)
            t, user_id = self._search(person, device, user_id, session_id, t)

    def _login(self, person: Person, device: Device, session_id: str, t: int) -> int:
        assert person.user_id is not None
        payload = {"anon_id": device.anon_id, "user_id": person.user_id}
        self._emit(
            "identity.linked",
            t,
            Actor(device.context, person.user_id, device.anon_id, session_id),
            payload,
            client=True,
        )
        device.linked = True
        return t + 2_000 + int(self._rng.random() * 10_000)

    def _signup(self, person: Person, device: Device, session_id: str, t: int) -> int:
        rng = self._rng
        user_id = self._ids.new("u_")
        person.user_id = user_id
        person.registered = True
        role = rng.choices(_ROLES, weights=_ROLE_WEIGHTS)[0]
        method = _SIGNUP_METHODS[rng.randrange(3)]
        ctx = device.context
        anon_id = device.anon_id
        self._emit(
            "user.signed_up",
            t,
            Actor(ctx, user_id, anon_id, session_id),
            {"role": role, "method": method},
            client=True,
        )
        t = self._login(person, device, session_id, t + 500)
        self._trust.on_signup(person, user_id, role, t)
        return t

    def _expose(self, person: Person, actor: Actor, t: int, which: int) -> int:
        """Expose a signed-in person to experiment ``which`` (once); the time after."""
        user_id = actor.user_id
        assert user_id is not None
        if person.exposed[which] >= 0:
            return t
        spec = EXPERIMENTS[which]
        variant = assign_variant(spec.key, user_id, spec.variants, spec.weights)
        person.exposed[which] = variant
        payload = {
            "exp_key": spec.key,
            "variant": spec.variants[variant],
            "unit_id": user_id,
            "unit_type": "user",
        }
        self._emit("exp.exposure", t, actor, payload, client=True)
        return t + 50

    def _booking_lift(self, person: Person) -> float:
        lift = 1.0
        for which, spec in enumerate(EXPERIMENTS):
            variant = person.exposed[which]
            if variant >= 0:
                lift *= 1.0 + spec.booking_lift[variant]
        return lift

    def _search(
        self, person: Person, device: Device, user_id: str | None, session_id: str, t: int
    ) -> tuple[int, str | None]:
        """One search and what may follow it: a click, a profile view, a checkout, a booking;
        the time after and the user id (set if the person signed in on the way)."""
        rng = self._rng
        actor = Actor(device.context, user_id, device.anon_id, session_id)
        search_id, results, t = self._show_results(person, actor, t)
        t += 2_000 + int(rng.random() * 30_000)
        if rng.random() >= min(0.85, 0.3 * person.propensity + 0.1):
            return t, user_id
        rank = min(len(results), 1 + int(rng.expovariate(0.6)))
        listing, promotion_id, _ = results[rank - 1]
        t = self._click(person, actor, search_id, rank, results[rank - 1], t)
        if rng.random() >= _VIEW_AFTER_CLICK:
            return t, user_id
        self._emit(
            "profile.viewed",
            t,
            actor,
            {
                "listing_id": listing.listing_id,
                "listing_type": listing.listing_type,
                "source": "promo" if promotion_id is not None else "search",
            },
            client=True,
        )
        t += 10_000 + int(rng.random() * 90_000)
        if listing.listing_type == "studio" and rng.random() < 0.15:
            self._bookings.request_quote(
                actor.context, user_id, device.anon_id, session_id, listing, t
            )
            t += 5_000
        if rng.random() >= min(0.7, 0.16 * person.propensity):
            return t, user_id
        return self._check_out(person, device, actor, listing, t)

    def _show_results(self, person: Person, actor: Actor, t: int) -> tuple[str, list[_Result], int]:
        """Emit a search with its impressions (promoted slots too); its id, the results
        shown and the time after."""
        rng = self._rng
        city_listings = self._population.listings[person.city]
        search_id = self._ids.new("srch_")
        category = _CATEGORIES[rng.randrange(len(_CATEGORIES))]
        shown = 6 + rng.randrange(5)
        offset = rng.randrange(max(1, len(city_listings) - shown))
        results: list[_Result] = [
            (listing, None, None) for listing in city_listings[offset : offset + shown]
        ]
        campaigns = self._population.campaigns[person.city]
        for slot in (0, 3):
            if slot < len(results) and rng.random() < 0.6:
                campaign = campaigns[rng.randrange(len(campaigns))]
                promo_id, promoted = campaign.promotions[rng.randrange(len(campaign.promotions))]
                results[slot] = (promoted, promo_id, campaign.campaign_id)
        self._emit(
            "search.performed",
            t,
            actor,
            {"search_id": search_id, "category": category, "results_count": 20 + shown * 7},
            client=True,
        )
        t += 300 + int(rng.random() * 1_500)
        backend = actor._replace(context=self._population.backend_contexts[person.city])
        for rank, result in enumerate(results, start=1):
            listing, promotion_id, campaign_id = result
            self._emit(
                "search.impression", t, actor, _result_payload(search_id, rank, result), client=True
            )
            if promotion_id is not None:
                self._emit(
                    "promo.impression",
                    t + 5,
                    backend,
                    {
                        "promotion_id": promotion_id,
                        "campaign_id": campaign_id,
                        "listing_id": listing.listing_id,
                        "placement": "search_results",
                    },
                    client=False,
                )
        return search_id, results, t

    def _click(
        self, person: Person, actor: Actor, search_id: str, rank: int, result: _Result, t: int
    ) -> int:
        """Emit the click on one result (and its promotion's click); the time after."""
        listing, promotion_id, campaign_id = result
        self._emit("search.click", t, actor, _result_payload(search_id, rank, result), client=True)
        if promotion_id is not None:
            backend = actor._replace(context=self._population.backend_contexts[person.city])
            self._promo_click(backend, t, promotion_id, campaign_id, listing)
        return t + 500 + int(self._rng.random() * 2_000)

    def _check_out(
        self, person: Person, device: Device, actor: Actor, listing: Listing, t: int
    ) -> tuple[int, str | None]:
        """Sign in if needed, start a checkout and perhaps book; the time after and the user."""
        rng = self._rng
        user_id, session_id = actor.user_id, actor.session_id
        assert session_id is not None
        if user_id is None:
            if person.registered:
                t = self._login(person, device, session_id, t)
            elif rng.random() < 0.5:
                t = self._signup(person, device, session_id, t)
            else:
                return t, user_id
            user_id = person.user_id
            assert user_id is not None
            actor = actor._replace(user_id=user_id)
        if self.experiments_live:
            t = self._expose(person, actor, t, _CHECKOUT_COPY)
        checkout_id = self._ids.new("chk_")
        quoted = listing.base_price_cents + 500 * rng.randrange(0, 20)
        self._emit(
            "checkout.start",
            t,
            actor,
            {
                "checkout_id": checkout_id,
                "listing_id": listing.listing_id,
                "listing_type": listing.listing_type,
                "quoted_amount_cents": quoted,
                "currency": "USD",
            },
            client=True,
        )
        t += 20_000 + int(rng.random() * 100_000)
        p_book = min(0.95, (0.3 + 0.12 * person.propensity) * self._booking_lift(person))
        if rng.random() < p_book:
            checkout = Checkout(person, user_id, session_id, checkout_id, listing, quoted)
            self._bookings.confirm(checkout, t)
            t += 5_000
        return t, user_id

    def _promo_click(
        self,
        backend: Actor,
        t: int,
        promotion_id: str,
        campaign_id: str | None,
        listing: Listing,
    ) -> None:
        cost = 25 + 5 * self._rng.randrange(0, 20)
        payload = {
            "promotion_id": promotion_id,
            "campaign_id": campaign_id,
            "listing_id": listing.listing_id,
            "is_invalid": False,
            "invalid_reason": None,
            "cost_cents": cost,
        }
        self._emit("promo.click", t + 5, backend, payload, client=False)
        if self._rng.random() < 0.04:
            repeat = payload | {
                "is_invalid": True,
                "invalid_reason": "repeat click within 2 seconds",
                "cost_cents": 0,
            }
            self._emit("promo.click", t + 400, backend, repeat, client=False)


def _result_payload(search_id: str, rank: int, result: _Result) -> dict[str, object]:
    """What a search impression and a click on it both say of the result."""
    listing, promotion_id, _ = result
    return {
        "search_id": search_id,
        "listing_id": listing.listing_id,
        "listing_type": listing.listing_type,
        "rank": rank,
        "is_promoted": promotion_id is not None,
        "promotion_id": promotion_id,
    }
