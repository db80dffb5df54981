"""Who and what is in the simulated marketplace: people, devices, listings, campaigns."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from rastup_data.simulate.cities import CITIES, City
from rastup_data.simulate.ids import IdFactory

__all__ = ["Campaign", "Device", "Listing", "Person", "Population", "build_population"]

_APPS: tuple[tuple[str, tuple[str, ...], float], ...] = (
    ("web", ("chrome", "safari", "firefox", "edge"), 0.5),
    ("ios", ("ios",), 0.3),
    ("android", ("android",), 0.2),
)


class Device:
    """One app install or browser: an anonymous id and its (shared) context object."""

    __slots__ = ("anon_id", "app", "context", "linked")

    def __init__(self, anon_id: str, app: str, context: dict[str, str]) -> None:
        self.anon_id = anon_id
        self.app = app
        self.context = context
        self.linked = False


class Person:
    """A human using the marketplace; ``propensity`` drives activity and conversion."""

    __slots__ = ("city", "devices", "exposed", "propensity", "registered", "user_id")

    def __init__(self, city: int, propensity: float, devices: list[Device]) -> None:
        self.city = city
        self.propensity = propensity
        self.devices = devices
        self.user_id: str | None = None
        self.registered = False
        #: per experiment: variant index once exposed, else -1
        self.exposed = [-1, -1]


@dataclass(frozen=True, slots=True)
class Listing:
    """A bookable profile: a talent (provider ``u_…``) or a studio (provider ``st_…``)."""

    listing_id: str
    listing_type: str
    provider_id: str
    base_price_cents: int


@dataclass(frozen=True, slots=True)
class Campaign:
    """A promotion campaign in one city, promoting a few listings."""

    campaign_id: str
    city: int
    base_budget_cents: int
    promotions: tuple[tuple[str, Listing], ...]


@dataclass(slots=True)
class Population:
    """Everything the behaviour models draw from."""

    persons: list[Person]
    listings: list[list[Listing]]
    studios: list[list[str]]
    campaigns: list[list[Campaign]]
    backend_contexts: list[dict[str, str]]
    all_campaigns: list[Campaign] = field(default_factory=list)


def _context(app: str, platform: str, city: City) -> dict[str, str]:
    return {"app": app, "platform": platform, "city": city.code, "locale": city.locale}


def build_population(rng: random.Random, ids: IdFactory, users: int) -> Population:
    """People in cities with devices, a share of them registered; listings and campaigns."""
    city_weights = [c.weight for c in CITIES]
    contexts = {
        (app, platform, ci): _context(app, platform, city)
        for ci, city in enumerate(CITIES)
        for app, platforms, _ in _APPS
        for platform in platforms
    }
    app_weights = [w for _, _, w in _APPS]
    persons: list[Person] = []
    city_choices = rng.choices(range(len(CITIES)), weights=city_weights, k=users)
    for index in range(users):
        ci = city_choices[index]
        propensity = math.exp(rng.gauss(-0.18, 0.6))
        devices = []
        for _ in range(2 if rng.random() < 0.3 else 1):
            app, platforms, _ = rng.choices(_APPS, weights=app_weights)[0]
            platform = platforms[rng.randrange(len(platforms))]
            devices.append(Device(ids.new("a_"), app, contexts[(app, platform, ci)]))
        person = Person(ci, propensity, devices)
        if rng.random() < 0.6:
            person.user_id = ids.new("u_")
            person.registered = True
            for device in devices:
                device.linked = True
        persons.append(person)

    per_city = max(12, users // 40)
    listings: list[list[Listing]] = []
    studios: list[list[str]] = []
    campaigns: list[list[Campaign]] = []
    all_campaigns: list[Campaign] = []
    for ci in range(len(CITIES)):
        city_listings: list[Listing] = []
        city_studios: list[str] = []
        for _ in range(per_city):
            if rng.random() < 0.25:
                studio_id = ids.new("st_")
                city_studios.append(studio_id)
                price = 4_000 + 500 * rng.randrange(0, 60)
                city_listings.append(Listing(ids.new("lst_"), "studio", studio_id, price))
            else:
                price = 6_000 + 500 * rng.randrange(0, 90)
                city_listings.append(Listing(ids.new("lst_"), "talent", ids.new("u_"), price))
        listings.append(city_listings)
        studios.append(city_studios)
        city_campaigns = []
        for _ in range(3):
            promoted = rng.sample(city_listings, k=min(3, len(city_listings)))
            promotions = tuple((ids.new("prm_"), listing) for listing in promoted)
            budget = 5_000 * rng.randrange(2, 20) * max(1, users // 5_000)
            campaign = Campaign(ids.new("cmp_"), ci, budget, promotions)
            city_campaigns.append(campaign)
            all_campaigns.append(campaign)
        campaigns.append(city_campaigns)
    backend = [_context("backend", "server", city) for city in CITIES]
    return Population(persons, listings, studios, campaigns, backend, all_campaigns)
