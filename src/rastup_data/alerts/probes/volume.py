"""From Bronze: events received in the last hour per event type, accepted and quarantined,
against the same hour of the previous seven days.

The baseline is the mean over the previous days that received any event (a lake three days
old compares with three days, not seven). Counts come from the ``received_at`` column of the
day partitions involved; quarantined events of the last hour that a replay has since landed
in Bronze (after a schema hotfix or an adapter) no longer count. Quarantined events name
their event only when it is a valid event name (anything else counts as ``(invalid)``), so
hostile input cannot make new series.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import ClassVar

import duckdb

from rastup_data.alerts.probes.base import ProbeContext
from rastup_data.alerts.samples import Sample
from rastup_data.lake.files import partition_files
from rastup_data.lake.layout import BRONZE_BAD, BRONZE_EVENTS, partition_key

__all__ = ["VolumeProbe"]

BASELINE_DAYS = 7
_EVENT_NAME = re.compile(r"^[a-z0-9_.]{1,64}$")
_GAUGES = {
    BRONZE_EVENTS: ("rastup_ingest_hour_events", "rastup_ingest_hour_baseline_events"),
    BRONZE_BAD: ("rastup_quarantine_hour_events", "rastup_quarantine_hour_baseline_events"),
}


def _files(context: ProbeContext, table: str, start: datetime, end: datetime) -> list[str]:
    store = context.layout.lake
    days = sorted({start.date(), end.date()})
    return [
        store.uri(key) for day in days for key in partition_files(store, partition_key(table, day))
    ]


def _hour_counts(
    context: ProbeContext,
    conn: duckdb.DuckDBPyConnection,
    table: str,
    end: datetime,
) -> dict[str, int] | None:
    """Events per name received in the hour before ``end``; None when the day had no data.
    Quarantined events of the current hour since replayed into Bronze do not count."""
    start = end - timedelta(hours=1)
    files = _files(context, table, start, end)
    if not files:
        return None
    sql = (
        "SELECT event, count(*) FROM read_parquet(?, union_by_name = true) "
        "WHERE received_at > ? AND received_at <= ?"
    )
    params: list[object] = [files, start, end]
    landed = _files(context, BRONZE_EVENTS, start, context.now)
    if table == BRONZE_BAD and end == context.now and landed:
        sql += (
            " AND (event_id IS NULL OR event_id NOT IN (SELECT event_id FROM read_parquet(?,"
            " union_by_name = true) WHERE received_at > ? AND event_id IS NOT NULL))"
        )
        params += [landed, start]
    rows = conn.execute(sql + " GROUP BY 1", params).fetchall()
    counts: dict[str, int] = defaultdict(int)
    for name, count in rows:
        label = name if isinstance(name, str) and _EVENT_NAME.match(name) else "(invalid)"
        counts[label] += int(count)
    return dict(counts)


class VolumeProbe:
    name = "volume"
    every_s = 300.0
    gauges: ClassVar[Mapping[str, str]] = {
        "rastup_ingest_hour_events": "Events landed in Bronze received in the last hour, by event.",
        "rastup_ingest_hour_baseline_events": "Mean events of the same hour on the previous "
        "seven days with data, by event.",
        "rastup_quarantine_hour_events": "Events quarantined in the last hour and not replayed "
        "into Bronze since, by event.",
        "rastup_quarantine_hour_baseline_events": "Mean events quarantined in the same hour on "
        "the previous seven days with data, by event.",
    }

    def samples(self, context: ProbeContext) -> list[Sample]:
        samples: list[Sample] = []
        with duckdb.connect(":memory:") as conn:
            conn.execute("SET TimeZone = 'UTC'")
            context.layout.lake.register_duckdb(conn)
            for table, (current_name, baseline_name) in _GAUGES.items():
                current = _hour_counts(context, conn, table, context.now) or {}
                history = [
                    counts
                    for day in range(1, BASELINE_DAYS + 1)
                    if (
                        counts := _hour_counts(
                            context, conn, table, context.now - timedelta(days=day)
                        )
                    )
                    is not None
                ]
                events = set(current).union(*history)
                for event in sorted(events):
                    usual = sum(h.get(event, 0) for h in history) / max(len(history), 1)
                    samples.append(Sample.of(current_name, current.get(event, 0), event=event))
                    samples.append(Sample.of(baseline_name, usual, event=event))
        return samples
