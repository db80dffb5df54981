"""The cities the marketplace runs in: code, name, country and IANA time zone.

This is the source of the city seed table of the dbt project (``city_seed_rows``).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

__all__ = ["CITIES", "CITY_SEED_COLUMNS", "City", "city_seed_csv", "city_seed_rows"]


@dataclass(frozen=True, slots=True)
class City:
    """One marketplace city; ``weight`` is its share of the simulated population."""

    code: str
    name: str
    country: str
    tz: str
    locale: str
    weight: float


CITIES: tuple[City, ...] = (
    City("nyc", "New York", "US", "America/New_York", "en-US", 0.30),
    City("lax", "Los Angeles", "US", "America/Los_Angeles", "en-US", 0.22),
    City("chi", "Chicago", "US", "America/Chicago", "en-US", 0.16),
    City("mia", "Miami", "US", "America/New_York", "en-US", 0.12),
    City("sfo", "San Francisco", "US", "America/Los_Angeles", "en-US", 0.12),
    City("atx", "Austin", "US", "America/Chicago", "en-US", 0.08),
)

CITY_SEED_COLUMNS: tuple[str, ...] = ("city", "name", "country", "tz")


def city_seed_rows() -> list[dict[str, str]]:
    """Rows of the city seed table, one per city, with ``CITY_SEED_COLUMNS``."""
    return [{"city": c.code, "name": c.name, "country": c.country, "tz": c.tz} for c in CITIES]


def city_seed_csv() -> str:
    """The city seed table as CSV text with a header row (a dbt seed file)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CITY_SEED_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(city_seed_rows())
    return out.getvalue()
