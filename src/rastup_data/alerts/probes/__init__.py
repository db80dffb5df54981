"""Probes: gauges computed from the lake and the state database at evaluation time.

Counters in ``/metrics`` live in the process that counted them; what a build, a purge or a
query run from the command line did is only in durable records. Each probe reads one such
source and returns gauges (``rastup_marts_late_seconds``, ``rastup_budget_used_ratio``, …).
The evaluator feeds them to the rules with the process's own metrics, and ``serve`` exports
them on ``/metrics`` (:class:`ProbeCollector`), so Prometheus evaluates the same numbers.
"""

from __future__ import annotations

from rastup_data.alerts.probes.base import Probe, ProbeCollector, ProbeContext
from rastup_data.alerts.probes.bi import BiRefreshProbe
from rastup_data.alerts.probes.budgets import BudgetsProbe
from rastup_data.alerts.probes.builds import BuildsProbe
from rastup_data.alerts.probes.queries import QueriesProbe
from rastup_data.alerts.probes.running import RunningQueriesProbe
from rastup_data.alerts.probes.scheduler import SchedulerProbe
from rastup_data.alerts.probes.spool import SpoolProbe
from rastup_data.alerts.probes.volume import VolumeProbe

__all__ = [
    "Probe",
    "ProbeCollector",
    "ProbeContext",
    "default_probes",
]


def default_probes() -> list[Probe]:
    """Every probe, each with its own interval (lake scans run less often)."""
    return [
        BuildsProbe(),
        BiRefreshProbe(),
        SpoolProbe(),
        SchedulerProbe(),
        QueriesProbe(),
        RunningQueriesProbe(),
        BudgetsProbe(),
        VolumeProbe(),
    ]
