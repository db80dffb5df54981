"""From the build log: are today's daily marts late, did the last build fail, which quality
alerts did the last published build raise.

``rastup_marts_late_seconds`` is 0 before the deadline (``slo.marts_on_time.deadline``, in
the profile's time zone) and once a build published today (local); after the deadline
without one, the seconds since the deadline. Today's marts are owed only when Bronze held
events received before today's start (a lake whose first events arrived today has no past
day to build, and is never late) and, once a scheduler has run on the lake, when the
scheduler made today's ``daily_build`` due: a slot at or after its first start (the
scheduler never runs the slots before it).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time, timedelta
from typing import ClassVar

from rastup_data.alerts.probes.base import ProbeContext
from rastup_data.alerts.samples import Sample
from rastup_data.errors import ErrorCode
from rastup_data.lake.files import received_before
from rastup_data.lake.layout import BRONZE_EVENTS
from rastup_data.quality.suite import RECON_VARIANCE_ALERT
from rastup_data.state import OpsControls
from rastup_data.transform.runs import BuildRun, build_runs

__all__ = ["DAILY_BUILD", "BuildsProbe"]

#: The scheduled job that publishes the daily marts.
DAILY_BUILD = "daily_build"

_FAILURE_CODES = (ErrorCode.CTAS_FAILURE.value, ErrorCode.QUALITY_CHECK_FAILED.value)
_KNOWN_ALERTS = (RECON_VARIANCE_ALERT,)


class BuildsProbe:
    name = "builds"
    every_s = 30.0
    gauges: ClassVar[Mapping[str, str]] = {
        "rastup_marts_late_seconds": "Seconds past today's marts deadline (local) without a "
        "published build; 0 when on time.",
        "rastup_marts_published_timestamp_seconds": "When the last build was published.",
        "rastup_build_failing": "1 when the last build failed with this code.",
        "rastup_quality_alert_raised": "1 when the last published build raised this quality alert.",
    }

    def samples(self, context: ProbeContext) -> list[Sample]:
        local_now = context.now.astimezone(context.profile.time_zone)
        runs = list(build_runs(context.layout, (context.now - timedelta(days=8)).date()))
        published = [r for r in runs if r.published]
        samples = [
            Sample.of("rastup_marts_late_seconds", self._late(context, local_now, published))
        ]
        if published:
            samples.append(
                Sample.of(
                    "rastup_marts_published_timestamp_seconds", published[-1].finished.timestamp()
                )
            )
        last = max(runs, key=lambda r: r.finished_at, default=None)
        for code in _FAILURE_CODES:
            failing = last is not None and not last.published and last.code == code
            samples.append(Sample.of("rastup_build_failing", float(failing), code=code))
        raised = set(published[-1].alerts) if published else set()
        for alert in sorted(raised | set(_KNOWN_ALERTS)):
            samples.append(
                Sample.of("rastup_quality_alert_raised", float(alert in raised), alert=alert)
            )
        return samples

    def _late(self, context: ProbeContext, local_now: datetime, published: list[BuildRun]) -> float:
        slo = context.profile.slo("marts_on_time")
        assert slo.deadline is not None
        zone = context.profile.time_zone
        deadline = datetime.combine(local_now.date(), slo.deadline, tzinfo=zone)
        if local_now < deadline:
            return 0.0
        day_start = datetime.combine(local_now.date(), time(), tzinfo=zone)
        if any(run.finished >= day_start for run in published):
            return 0.0
        if not self._owed(context, day_start):
            return 0.0
        return (local_now - deadline).total_seconds()

    def _owed(self, context: ProbeContext, day_start: datetime) -> bool:
        """Whether the marts of the local day starting at ``day_start`` are owed."""
        entry = context.profile.schedule.get(DAILY_BUILD)
        since = OpsControls(context.state).scheduler_since()
        if entry is not None and entry.at and since is not None:
            slots = entry.slots_on(day_start.date(), context.profile.time_zone)
            if not any(slot >= since for slot in slots):
                return False
        return received_before(context.layout.lake, BRONZE_EVENTS, day_start)
