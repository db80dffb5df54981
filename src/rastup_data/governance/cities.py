"""The cities a principal can be scoped to: the codes of the dbt city seed
(``dbt/seeds/dim_city.csv``, the table the marts join), so a scope names a city the lake has."""

from __future__ import annotations

from rastup_data.transform.seeds import city_seed

__all__ = ["known_cities"]


def known_cities() -> frozenset[str]:
    """The city codes of the seed."""
    return frozenset(city.code for city in city_seed())
