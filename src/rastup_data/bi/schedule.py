"""The refresh schedule of the BI extracts: when each dataset refreshes.

``dashboards/refresh.yaml`` (shipped in the wheel; ``RASTUP_DASHBOARDS`` names another
folder) is validated strictly; a mistake is ``BI_SCHEDULE_INVALID`` naming the file and
the path inside it. As the seed says, a dataset refreshes at most 6 times a day: a
schedule asking for more is refused. ``mode: daily`` degrades every dataset to its first
refresh of the day (the pipeline-lag runbook's switch). The extract capacity and the
alarm threshold are the environment profile's (``budgets.extract_storage``,
``alarms.bi_refresh_consecutive_failures``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from enum import Enum
from pathlib import Path
from typing import Any

from rastup_data.environments.document import DocumentChecker, read_yaml_document
from rastup_data.errors import ErrorCode, RastupError

__all__ = [
    "MAX_REFRESHES_PER_DAY",
    "DatasetSchedule",
    "RefreshMode",
    "RefreshSchedule",
    "load_schedule",
    "parse_schedule",
]

MAX_REFRESHES_PER_DAY = 6
SCHEDULE_FILE = "refresh.yaml"


class RefreshMode(str, Enum):
    """``scheduled``: every configured time; ``daily``: only each dataset's first one."""

    SCHEDULED = "scheduled"
    DAILY = "daily"


@dataclass(frozen=True, slots=True)
class DatasetSchedule:
    """The UTC times of day one dataset refreshes at."""

    dataset: str
    times: tuple[time, ...]


@dataclass(frozen=True, slots=True)
class RefreshSchedule:
    """Every dataset's refresh times and the mode."""

    datasets: tuple[DatasetSchedule, ...]
    mode: RefreshMode = RefreshMode.SCHEDULED
    keep_snapshots: int = 3
    source: str = "<schedule>"

    def times(self, dataset: str) -> tuple[time, ...]:
        """The effective times of ``dataset`` (the first only, in daily mode)."""
        found = next((d.times for d in self.datasets if d.dataset == dataset), ())
        return found[:1] if self.mode is RefreshMode.DAILY else found

    def due(self, dataset: str, now: datetime, last_refresh: datetime | None) -> bool:
        """Whether ``dataset`` should refresh at ``now`` (UTC): its latest time of today has
        passed and no scheduled refresh started since (missed times are caught up once)."""
        passed = [t for t in self.times(dataset) if t <= now.time()]
        if not passed:
            return False
        slot = datetime.combine(now.date(), passed[-1], tzinfo=UTC)
        return last_refresh is None or last_refresh < slot

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(d.dataset for d in self.datasets)

    def check_known(self, known: set[str]) -> None:
        """BI_SCHEDULE_INVALID if the schedule names a dataset the dbt project lacks."""
        unknown = sorted(set(self.names) - known)
        if unknown:
            raise RastupError(
                ErrorCode.BI_SCHEDULE_INVALID,
                f"{self.source}: datasets: {', '.join(unknown)} is not a dbt model tagged "
                f"extract (known: {', '.join(sorted(known))}).",
            )


def load_schedule(folder: Path) -> RefreshSchedule:
    """Read and validate ``<folder>/refresh.yaml``."""
    path = folder / SCHEDULE_FILE
    document = read_yaml_document(path, ErrorCode.BI_SCHEDULE_INVALID, "the refresh schedule")
    return parse_schedule(document, source=str(path))


def parse_schedule(document: Any, *, source: str = "<schedule>") -> RefreshSchedule:
    check = DocumentChecker(source, ErrorCode.BI_SCHEDULE_INVALID)
    body = check.mapping(
        document,
        "",
        required=("version", "datasets"),
        optional=("mode", "keep_snapshots"),
    )
    if body["version"] != 1:
        check.fail("version", f"expected 1, got {body['version']!r}")
    modes = tuple(m.value for m in RefreshMode)
    mode_text = check.choice(body.get("mode", RefreshMode.SCHEDULED.value), "mode", modes)
    entries = check.mapping(body["datasets"], "datasets")
    datasets = tuple(
        DatasetSchedule(check.name(name, "datasets"), _times(check, value, f"datasets.{name}"))
        for name, value in sorted(entries.items())
    )
    return RefreshSchedule(
        datasets=datasets,
        mode=RefreshMode(mode_text),
        keep_snapshots=check.positive_int(body.get("keep_snapshots", 3), "keep_snapshots"),
        source=source,
    )


def _times(check: DocumentChecker, value: Any, path: str) -> tuple[time, ...]:
    body = check.mapping(value, path, required=("times",))
    texts = check.strings(body["times"], f"{path}.times")
    if len(texts) > MAX_REFRESHES_PER_DAY:
        check.fail(
            f"{path}.times",
            f"{len(texts)} refreshes a day; at most {MAX_REFRESHES_PER_DAY} are allowed "
            "(extract refreshes cost capacity: pick the times the dashboards need)",
        )
    parsed = [check.clock(text, f"{path}.times[{index}]") for index, text in enumerate(texts)]
    if len(set(parsed)) != len(parsed):
        check.fail(f"{path}.times", "a time is listed twice")
    return tuple(sorted(parsed))
