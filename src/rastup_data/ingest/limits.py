"""Ingest limits: documented defaults, all configurable."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["IngestLimits"]

KIB = 1024
MIB = 1024 * KIB


@dataclass(frozen=True, slots=True)
class IngestLimits:
    """Per-request and per-event limits enforced by the collector."""

    max_event_bytes: int = 32 * KIB
    max_events_per_request: int = 1000
    max_body_bytes: int = 4 * MIB
    max_decompressed_bytes: int = 16 * MIB
    #: Nesting of objects and arrays in one event, the event object itself being level 1;
    #: well below what any parser or validator on the path handles (orjson: 255 to write).
    max_depth: int = 32
    #: Decompressed body bytes one collector process holds at once, over all requests.
    max_inflight_body_bytes: int = 48 * MIB
