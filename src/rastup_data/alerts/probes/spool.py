"""How long the oldest sealed spool segment has waited to land (every worker's spool).

A healthy lander lands a segment within a second of its sealing; an old one means the
lander is stuck or far behind, whether or not anything landed lately.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from rastup_data.alerts.probes.base import ProbeContext
from rastup_data.alerts.samples import Sample
from rastup_data.spool.segments import sealed_segments

__all__ = ["SpoolProbe"]


class SpoolProbe:
    name = "spool"
    every_s = 0.0
    gauges: ClassVar[Mapping[str, str]] = {
        "rastup_lander_oldest_segment_age_seconds": "Age of the oldest sealed spool segment "
        "waiting to land (0 when none waits).",
    }

    def samples(self, context: ProbeContext) -> list[Sample]:
        spool = context.layout.spool
        folders = [spool, *sorted(p for p in spool.glob("w*") if p.is_dir())]
        now = context.now.timestamp()
        oldest = 0.0
        for folder in folders:
            for segment in sealed_segments(folder)[:1]:
                try:
                    oldest = max(oldest, now - segment.events.stat().st_mtime)
                except FileNotFoundError:  # landed meanwhile
                    continue
        return [Sample.of("rastup_lander_oldest_segment_age_seconds", max(oldest, 0.0))]
