"""The Segment-compatible tracking API's mapping and request work (docs/segment-api.md).

``mapping.py`` turns one Segment message into a catalogue envelope (or a quarantine item);
``batch.py`` reads a request body into prevalidated events. The HTTP route is
``collector/routes/segment.py``.
"""

from __future__ import annotations

import csv
from pathlib import Path

from rastup_data.collector.segment.batch import SegmentBatch, SegmentBody, read_segment_request
from rastup_data.collector.segment.mapping import COMPILED, SegmentMapping
from rastup_data.contracts import load_registry
from rastup_data.transform import dbt_project_dir

__all__ = [
    "COMPILED",
    "SegmentBatch",
    "SegmentBody",
    "SegmentMapping",
    "city_codes",
    "load_mapping",
    "read_segment_request",
]


def city_codes(seed_csv: Path | None = None) -> dict[str, str]:
    """City codes by lower-case code and by lower-case name, from the dbt city seed (the
    table the marts join)."""
    path = seed_csv or dbt_project_dir() / "seeds" / "dim_city.csv"
    codes: dict[str, str] = {}
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            codes[row["city"].lower()] = row["city"]
            codes[row["name"].strip().lower()] = row["city"]
    return codes


def load_mapping(registry: Path | None = None, seed_csv: Path | None = None) -> SegmentMapping:
    """The mapping over a registry (default: the packaged one) and the city seed."""
    versions = {schema.event: schema.version for schema in load_registry(registry).latest()}
    return SegmentMapping(versions, city_codes(seed_csv))
