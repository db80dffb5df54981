"""The Segment-compatible tracking API's mapping and request work (docs/segment-api.md).

``mapping.py`` turns one Segment message into a catalogue envelope (or a quarantine item);
``batch.py`` reads a request body into prevalidated events. The HTTP route is
``collector/routes/segment.py``.
"""

from __future__ import annotations

from pathlib import Path

from rastup_data.collector.segment.batch import SegmentBatch, SegmentBody, read_segment_request
from rastup_data.collector.segment.mapping import COMPILED, SegmentMapping
from rastup_data.contracts import load_registry
from rastup_data.transform.seeds import city_seed

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
    codes: dict[str, str] = {}
    for city in city_seed(seed_csv):
        codes[city.code.lower()] = city.code
        codes[city.name.strip().lower()] = city.code
    return codes


def load_mapping(registry: Path | None = None, seed_csv: Path | None = None) -> SegmentMapping:
    """The mapping over a registry (default: the packaged one) and the city seed."""
    versions = {schema.event: schema.version for schema in load_registry(registry).latest()}
    return SegmentMapping(versions, city_codes(seed_csv))
