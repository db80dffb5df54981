"""The common case of the Segment mapping in C (``_fastmap.c``; see ``mapping.py``)."""

from collections.abc import Mapping
from typing import Any

from rastup_data.collector.segment.wire import SegmentContext, SegmentMessage

def envelope(
    message: SegmentMessage,
    given: SegmentContext,
    name: str,
    now: str,
    versions: Mapping[str, int],
    cities: Mapping[str, str],
    apps: frozenset[str],
    library_apps: Mapping[str, str],
    /,
) -> dict[str, Any] | None:
    """The envelope ``SegmentMapping._envelope`` returns, or None for a case left to it."""
