"""The cities a principal can be scoped to are the city seed's, the marketplace's cities."""

from __future__ import annotations

from rastup_data.governance.cities import known_cities
from rastup_data.simulate import city_seed_rows


def test_known_cities_are_the_city_seed_codes() -> None:
    assert known_cities() == {row["city"] for row in city_seed_rows()}
    assert "nyc" in known_cities()
