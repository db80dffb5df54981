"""From the BI refresh runs (``bi_refresh_runs``): how many refreshes of each dataset failed
in a row since its last success (the ``bi_refresh_failed`` rule, ``BI_REFRESH_FAILED``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from rastup_data.alerts.probes.base import ProbeContext
from rastup_data.alerts.samples import Sample

__all__ = ["BiRefreshProbe"]


class BiRefreshProbe:
    name = "bi"
    every_s = 30.0
    gauges: ClassVar[Mapping[str, str]] = {
        "rastup_bi_refresh_consecutive_failures": "Refreshes of this BI dataset's extract "
        "that failed in a row, since its last success.",
    }

    def samples(self, context: ProbeContext) -> list[Sample]:
        rows = context.state.fetchall(
            "SELECT dataset, status FROM bi_refresh_runs ORDER BY dataset, started_at DESC, "
            "run_id DESC"
        )
        failures: dict[str, int] = {}
        settled: set[str] = set()
        for dataset, status in rows:
            name = str(dataset)
            failures.setdefault(name, 0)
            if name in settled:
                continue
            if status == "ok":
                settled.add(name)
            elif status == "failed":  # a skipped run (nothing published) is no failure
                failures[name] += 1
        return [
            Sample.of("rastup_bi_refresh_consecutive_failures", float(n), dataset=name)
            for name, n in sorted(failures.items())
        ]
