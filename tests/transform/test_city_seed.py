"""The dim_city seed is the simulator's city list."""

from __future__ import annotations

import csv

from rastup_data.simulate.cities import city_seed_rows
from rastup_data.transform import dbt_project_dir


def test_city_seed_matches_the_simulator_cities() -> None:
    with open(dbt_project_dir() / "seeds" / "dim_city.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows == city_seed_rows()


def test_the_platforms_reader_of_the_city_seed_gives_every_code_and_name() -> None:
    from rastup_data.transform.seeds import SeedCity, city_seed

    assert city_seed() == tuple(SeedCity(r["city"], r["name"]) for r in city_seed_rows())
