"""Daily backend work: campaign budgets, marketing and digests, studio onboarding, bots."""

from __future__ import annotations

from rastup_data.simulate.comms import CommsDesk
from rastup_data.simulate.desk import Desk, World
from rastup_data.simulate.emitter import Actor
from rastup_data.simulate.population import Campaign, Person
from rastup_data.simulate.trust import TrustDesk

__all__ = ["BackOffice"]

_VERIFY_METHODS = ("document_review", "site_visit", "video_call")
_VERIFY_FAILURES = (
    "address could not be confirmed",
    "photos do not match the space",
    "insurance certificate missing",
)
_INVALID_REASONS = ("known bot user agent", "datacenter traffic", "click flood from one device")


class BackOffice(Desk):
    """Emits the scheduled backend events of one day."""

    def __init__(self, world: World, comms: CommsDesk, trust: TrustDesk) -> None:
        super().__init__(world)
        self._comms = comms
        self._trust = trust
        self._bot_anon_ids = [world.ids.new("a_") for _ in range(25)]

    def set_budget(self, campaign: Campaign, t: int) -> None:
        rng = self._rng
        budget = campaign.base_budget_cents
        if rng.random() < 0.3:
            budget = budget * (80 + rng.randrange(0, 41)) // 100
        self._emit(
            "promo.budget.set",
            t,
            Actor(self._population.backend_contexts[campaign.city], None, None, None),
            {"campaign_id": campaign.campaign_id, "daily_budget_cents": budget, "currency": "USD"},
            client=False,
        )

    def marketing(self, person: Person, t: int) -> None:
        if person.user_id is None:
            return
        ctx = self._population.backend_contexts[person.city]
        if self._rng.random() < 0.5:
            self._comms.digest(ctx, person.user_id, t)
        else:
            self._comms.marketing(ctx, person.user_id, t)

    def studio_review(self, city: int, t: int) -> None:
        rng = self._rng
        studios = self._population.studios[city]
        if not studios:
            return
        studio_id = studios[rng.randrange(len(studios))]
        ctx = self._population.backend_contexts[city]
        if rng.random() < 0.8:
            method = _VERIFY_METHODS[rng.randrange(len(_VERIFY_METHODS))]
            self._emit(
                "studio.verified",
                t,
                Actor(ctx, None, None, None),
                {"studio_id": studio_id, "method": method},
                client=False,
            )
        else:
            reason = _VERIFY_FAILURES[rng.randrange(len(_VERIFY_FAILURES))]
            self._emit(
                "studio.verification_failed",
                t,
                Actor(ctx, None, None, None),
                {"studio_id": studio_id, "reason": reason},
                client=False,
            )

    def provider_onboarding(self, city: int, t: int) -> None:
        rng = self._rng
        ctx = self._population.backend_contexts[city]
        user_id = self._ids.new("u_")
        role = "talent" if rng.random() < 0.8 else "studio_owner"
        self._trust.verify_identity(ctx, user_id, role, t)
        self._trust.score(ctx, user_id, user_id, t + 5_000)
        if role == "talent":
            result = rng.choices(("clear", "consider", "suspended"), weights=(0.86, 0.11, 0.03))[0]
            self._emit(
                "bgcheck.completed",
                t + 3_600_000 + int(rng.random() * 20 * 3_600_000),
                Actor(ctx, user_id, None, None),
                {"check_id": self._ids.new("bgc_"), "result": result},
                client=False,
            )

    def bot_click(self, campaign: Campaign, t: int) -> None:
        rng = self._rng
        promotion_id, listing = campaign.promotions[rng.randrange(len(campaign.promotions))]
        ctx = self._population.backend_contexts[campaign.city]
        anon_id = self._bot_anon_ids[rng.randrange(len(self._bot_anon_ids))]
        self._emit(
            "promo.click",
            t,
            Actor(ctx, None, anon_id, None),
            {
                "promotion_id": promotion_id,
                "campaign_id": campaign.campaign_id,
                "listing_id": listing.listing_id,
                "is_invalid": True,
                "invalid_reason": _INVALID_REASONS[rng.randrange(len(_INVALID_REASONS))],
                "cost_cents": 0,
            },
            client=False,
        )
