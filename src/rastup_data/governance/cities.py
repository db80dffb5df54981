"""The cities a principal can be scoped to: the codes of the dbt city seed
(``dbt/seeds/dim_city.csv``, the table the marts join), so a scope names a city the lake has."""

from __future__ import annotations

import csv
from functools import cache

from rastup_data.transform import dbt_project_dir

__all__ = ["known_cities"]


@cache
def known_cities() -> frozenset[str]:
    """The city codes of the seed (read once per process)."""
    path = dbt_project_dir() / "seeds" / "dim_city.csv"
    with open(path, newline="", encoding="utf-8") as handle:
        return frozenset(row["city"] for row in csv.DictReader(handle))
