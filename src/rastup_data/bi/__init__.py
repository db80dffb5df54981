"""BI: the datasets as refreshed extracts, the dashboards over them, and their usage.

See ``README.md`` beside this file and ``docs/dashboards.md``.
"""

from __future__ import annotations

from rastup_data.bi.extracts import Snapshot, current_snapshot
from rastup_data.bi.refresh import RefreshLimits, RefreshRequest, extract_datasets, refresh_datasets
from rastup_data.bi.runs import DatasetStatus, RefreshRun, RunLog
from rastup_data.bi.schedule import RefreshMode, RefreshSchedule, load_schedule, parse_schedule
from rastup_data.bi.status import BiStatus, bi_status

__all__ = [
    "BiStatus",
    "DatasetStatus",
    "RefreshLimits",
    "RefreshMode",
    "RefreshRequest",
    "RefreshRun",
    "RefreshSchedule",
    "RunLog",
    "Snapshot",
    "bi_status",
    "current_snapshot",
    "extract_datasets",
    "load_schedule",
    "parse_schedule",
    "refresh_datasets",
]
