"""The common case of the Segment mapping in C (``_fastmap.c``; see ``mapping.py``)."""

from collections.abc import Mapping
from typing import Any

from rastup_data.collector.segment.wire import SegmentContext, SegmentMessage

def track(
    message: SegmentMessage,
    call: str | None,
    shared: SegmentContext | None,
    now: str,
    versions: Mapping[str, int],
    cities: Mapping[str, str],
    apps: frozenset[str],
    library_apps: Mapping[str, str],
    /,
) -> dict[str, Any] | None:
    """The envelope ``SegmentMapping.envelope`` returns for a track call naming a catalogue
    event without a batch context, or None for any other case."""
