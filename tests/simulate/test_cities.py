"""The city table the dbt seed is made from."""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

from rastup_data.simulate import CITIES, CITY_SEED_COLUMNS, city_seed_csv, city_seed_rows


def test_cities_are_unique_with_real_time_zones() -> None:
    codes = [city.code for city in CITIES]
    assert len(set(codes)) == len(codes)
    assert {"nyc", "lax", "chi", "mia", "sfo"} <= set(codes)
    for city in CITIES:
        ZoneInfo(city.tz)
        assert len(city.country) == 2
    assert abs(sum(city.weight for city in CITIES) - 1.0) < 1e-9


def test_seed_rows_have_the_seed_columns() -> None:
    rows = city_seed_rows()
    assert [tuple(row) for row in rows] == [CITY_SEED_COLUMNS] * len(CITIES)
    assert {row["city"]: row["tz"] for row in rows}["nyc"] == "America/New_York"


def test_seed_csv_round_trips() -> None:
    rows = list(csv.DictReader(io.StringIO(city_seed_csv())))
    assert rows == city_seed_rows()
