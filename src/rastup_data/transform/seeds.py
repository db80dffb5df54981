"""The dbt project's seeds as the platform reads them outside dbt: one reader per seed."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rastup_data.transform._dbt import dbt_project_dir

__all__ = ["SeedCity", "city_seed"]


@dataclass(frozen=True, slots=True)
class SeedCity:
    """One row of the city seed (``dbt/seeds/dim_city.csv``, the table the marts join)."""

    code: str
    name: str


@cache
def city_seed(path: Path | None = None) -> tuple[SeedCity, ...]:
    """The cities of the seed at ``path`` (default: the project's), read once per process."""
    seed = path or dbt_project_dir() / "seeds" / "dim_city.csv"
    with open(seed, newline="", encoding="utf-8") as handle:
        return tuple(SeedCity(row["city"], row["name"]) for row in csv.DictReader(handle))
