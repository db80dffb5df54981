"""From the audit log: queries refused in the last hour by code, and the bytes scanned in
the last hour against the same hour of the previous seven days (the days with queries)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import ClassVar

from rastup_data.alerts.probes.base import ProbeContext
from rastup_data.alerts.samples import Sample
from rastup_data.errors import ErrorCode

__all__ = ["QueriesProbe"]

_REFUSALS = (
    ErrorCode.ATHENA_SCANNED_BYTES_BREACH.value,
    ErrorCode.PARTITION_FILTER_REQUIRED.value,
    ErrorCode.ACCESS_DENIED.value,
    ErrorCode.AUTH_TOKEN_INVALID.value,
)
BASELINE_DAYS = 7


def _scanned(context: ProbeContext, end: datetime) -> float:
    row = context.state.fetchone(
        "SELECT coalesce(sum(scanned_bytes), 0) FROM audit_log "
        "WHERE env = ? AND at > ? AND at <= ?",
        (context.profile.name, (end - timedelta(hours=1)).isoformat(), end.isoformat()),
    )
    return float(row[0]) if row else 0.0


class QueriesProbe:
    name = "queries"
    every_s = 60.0
    gauges: ClassVar[Mapping[str, str]] = {
        "rastup_query_refused_last_hour": "Queries the gate refused in the last hour, by code.",
        "rastup_query_scanned_hour_bytes": "Bytes scanned by gated queries in the last hour.",
        "rastup_query_scanned_hour_baseline_bytes": "Mean bytes scanned in the same hour of "
        "the previous seven days that had queries.",
    }

    def samples(self, context: ProbeContext) -> list[Sample]:
        now, env = context.now, context.profile.name
        rows = context.state.fetchall(
            "SELECT code, count(*) FROM audit_log WHERE env = ? AND at > ? AND status = 'refused' "
            "GROUP BY code",
            (env, (now - timedelta(hours=1)).isoformat()),
        )
        refused = {str(code): float(count) for code, count in rows if code}
        samples = [
            Sample.of("rastup_query_refused_last_hour", refused.get(code, 0.0), code=code)
            for code in sorted(set(_REFUSALS) | refused.keys())
        ]
        samples.append(Sample.of("rastup_query_scanned_hour_bytes", _scanned(context, now)))
        days = [
            day
            for day in range(1, BASELINE_DAYS + 1)
            if context.state.fetchone(
                "SELECT 1 FROM audit_log WHERE env = ? AND day = ? LIMIT 1",
                (env, (now - timedelta(days=day)).date().isoformat()),
            )
        ]
        baseline = sum(_scanned(context, now - timedelta(days=d)) for d in days) / max(len(days), 1)
        samples.append(Sample.of("rastup_query_scanned_hour_baseline_bytes", baseline))
        return samples
