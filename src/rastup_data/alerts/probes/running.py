"""From the queries running through the gate now (``running_queries``, every process):
how long the longest has run and the bytes the running ones are estimated to scan (the
``runaway_query`` rule). Rows of processes that died are not counted."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import ClassVar

from rastup_data.alerts.probes.base import ProbeContext
from rastup_data.alerts.samples import Sample
from rastup_data.state.runners import runner_alive

__all__ = ["RunningQueriesProbe"]


class RunningQueriesProbe:
    name = "running"
    every_s = 0.0
    gauges: ClassVar[Mapping[str, str]] = {
        "rastup_query_longest_running_seconds": "Seconds the longest gated query running now "
        "has run (0 when none runs).",
        "rastup_query_running_scanned_bytes": "Estimated bytes the gated queries running now scan.",
    }

    def samples(self, context: ProbeContext) -> list[Sample]:
        rows = context.state.fetchall(
            "SELECT started_at, runner, scanned_bytes FROM running_queries WHERE env = ?",
            (context.profile.name,),
        )
        longest, scanned = 0.0, 0.0
        for started_at, runner, scanned_bytes in rows:
            if not runner_alive(str(runner)):
                continue
            age = (context.now - datetime.fromisoformat(str(started_at))).total_seconds()
            longest = max(longest, age)
            scanned += float(scanned_bytes or 0)
        return [
            Sample.of("rastup_query_longest_running_seconds", longest),
            Sample.of("rastup_query_running_scanned_bytes", scanned),
        ]
