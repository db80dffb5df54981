"""Environment profiles: SLO objectives, alarm thresholds, query caps, budgets and schedule.

One YAML file per environment under ``operations/environments/`` (shipped in the wheel as
``rastup_data/_operations/environments/``), selected by ``--env`` or ``$RASTUP_ENV``
(``$RASTUP_PROFILE`` names a file of its own). Every consumer reads its thresholds here:
the query gate its per-query cap and daily scanned-bytes budget, the alert rules their SLO
objectives and alarm thresholds, the scheduler its times, ``budget status`` the budgets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import Enum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rastup_data.config import Settings
from rastup_data.environments.document import DocumentChecker, join_path, read_yaml_document
from rastup_data.errors import ErrorCode, RastupError

__all__ = [
    "SLO_NAMES",
    "Alarms",
    "Budgets",
    "EnvironmentProfile",
    "Resource",
    "ScheduleEntry",
    "Slo",
    "default_profiles_dir",
    "load_profile",
    "parse_profile",
    "profile_names",
]


class Resource(str, Enum):
    """The five budgeted resources of the seed, mapped to what runs here."""

    LAKE_STORAGE = "lake_storage"
    SCANNED_PER_DAY = "scanned_per_day"
    BUILD_COMPUTE_PER_DAY = "build_compute_per_day"
    EXTRACT_STORAGE = "extract_storage"
    INGEST_EVENTS_PER_DAY = "ingest_events_per_day"

    @property
    def unit(self) -> str:
        """``bytes``, ``seconds`` or ``events``."""
        return _UNITS[self]

    @property
    def seed_name(self) -> str:
        """The cloud resource the seed budgets this stands for."""
        return _SEED_NAMES[self]


_UNITS = {
    Resource.LAKE_STORAGE: "bytes",
    Resource.SCANNED_PER_DAY: "bytes",
    Resource.BUILD_COMPUTE_PER_DAY: "seconds",
    Resource.EXTRACT_STORAGE: "bytes",
    Resource.INGEST_EVENTS_PER_DAY: "events",
}
_SEED_NAMES = {
    Resource.LAKE_STORAGE: "S3 storage",
    Resource.SCANNED_PER_DAY: "Athena scanned bytes",
    Resource.BUILD_COMPUTE_PER_DAY: "Glue DPU-hours",
    Resource.EXTRACT_STORAGE: "QuickSight SPICE capacity",
    Resource.INGEST_EVENTS_PER_DAY: "Firehose PUTs",
}

#: The service-level objectives every profile sets (their indicators are in the alert rules).
SLO_NAMES = ("ingest_availability", "ingest_latency", "nrt_freshness", "marts_on_time")
_SLO_FIELDS = {
    "ingest_availability": (),
    "ingest_latency": ("threshold",),
    "nrt_freshness": ("threshold",),
    "marts_on_time": ("deadline",),
}


@dataclass(frozen=True, slots=True)
class Slo:
    """An objective (share of good) with its threshold in seconds or its daily deadline."""

    name: str
    objective: float
    threshold_s: float | None = None
    deadline: time | None = None

    @property
    def error_budget(self) -> float:
        """The share of bad the objective allows (1 − objective)."""
        return 1.0 - self.objective


@dataclass(frozen=True, slots=True)
class Alarms:
    """The seed's alarm thresholds (section M)."""

    ingest_lag_p95_s: float
    ingest_lag_for_s: float
    nrt_freshness_s: float
    marts_late_at: time
    bi_refresh_consecutive_failures: int


@dataclass(frozen=True, slots=True)
class Budgets:
    """A limit per resource and the share of it that raises the alarm."""

    alarm_at: float
    limits: Mapping[Resource, float]

    def limit(self, resource: Resource) -> float:
        return self.limits[resource]


@dataclass(frozen=True, slots=True)
class ScheduleEntry:
    """When a scheduled job runs: at local times of day, or every N seconds."""

    job: str
    at: tuple[time, ...] = ()
    every_s: float | None = None

    def slots_on(self, day: date, zone: ZoneInfo) -> list[datetime]:
        """The ``at`` times of the local ``day`` (none for an ``every`` job)."""
        return [datetime.combine(day, t, tzinfo=zone) for t in self.at]


@dataclass(frozen=True, slots=True)
class EnvironmentProfile:
    """One environment's validated profile."""

    name: str
    description: str
    source: str
    time_zone: ZoneInfo
    slos: Mapping[str, Slo]
    alarms: Alarms
    query_cap: int
    budgets: Budgets
    schedule: Mapping[str, ScheduleEntry] = field(default_factory=dict)

    @property
    def daily_scan_budget(self) -> int:
        return int(self.budgets.limit(Resource.SCANNED_PER_DAY))

    def slo(self, name: str) -> Slo:
        return self.slos[name]


def default_profiles_dir() -> Path:
    """The shipped profiles: packaged in a wheel (``rastup_data/_operations``) or the repo's."""
    here = Path(__file__).resolve()
    packaged = here.parents[1] / "_operations" / "environments"
    return packaged if packaged.is_dir() else here.parents[3] / "operations" / "environments"


def profile_names() -> tuple[str, ...]:
    """The environments that ship a profile."""
    return tuple(sorted(p.stem for p in default_profiles_dir().glob("*.yaml")))


def load_profile(
    env: str | None = None, *, path: str | Path | None = None, settings: Settings | None = None
) -> EnvironmentProfile:
    """The profile of ``env`` (default: the settings' environment, i.e. ``$RASTUP_ENV``).

    ``path`` (or ``$RASTUP_PROFILE``) reads that file instead of the shipped one.
    """
    settings = settings or Settings.from_env()
    name = env or settings.env
    file = Path(path) if path is not None else settings.profile_path
    if file is None:
        file = default_profiles_dir() / f"{name}.yaml"
        if not file.is_file():
            raise RastupError(
                ErrorCode.CONFIG_INVALID,
                f"no profile for environment {name!r} (--env / RASTUP_ENV). To fix this, use "
                f"one of {', '.join(profile_names())} or set RASTUP_PROFILE to a profile file.",
            )
    data = read_yaml_document(file, ErrorCode.CONFIG_INVALID, "the profile")
    return parse_profile(data, source=str(file))


def parse_profile(data: Any, *, source: str = "<profile>") -> EnvironmentProfile:
    """Validate a parsed profile; errors (CONFIG_INVALID) name ``source`` and the path."""
    check = DocumentChecker(source, ErrorCode.CONFIG_INVALID)
    top = check.mapping(
        data,
        "",
        required=("version", "name", "time_zone", "slo", "alarms", "queries", "budgets"),
        optional=("description", "schedule"),
    )
    if top["version"] != 1:
        check.fail("version", f"unsupported version {top['version']!r} (expected 1)")
    return EnvironmentProfile(
        name=check.name(top["name"], "name"),
        description=str(top.get("description", "")),
        source=source,
        time_zone=_zone(check, top["time_zone"]),
        slos=_slos(check, top["slo"]),
        alarms=_alarms(check, top["alarms"]),
        query_cap=check.size(
            check.mapping(top["queries"], "queries", required=("cap",))["cap"], "queries.cap"
        ),
        budgets=_budgets(check, top["budgets"]),
        schedule=_schedule(check, top.get("schedule", {})),
    )


def _zone(check: DocumentChecker, value: Any) -> ZoneInfo:
    try:
        return ZoneInfo(check.text(value, "time_zone"))
    except (ZoneInfoNotFoundError, ValueError):
        check.fail("time_zone", f"unknown time zone {value!r} (an IANA name such as Europe/Paris)")


def _slos(check: DocumentChecker, value: Any) -> dict[str, Slo]:
    body = check.mapping(value, "slo", required=SLO_NAMES)
    slos = {}
    for name, fields in _SLO_FIELDS.items():
        path = join_path("slo", name)
        entry = check.mapping(body[name], path, required=("objective", *fields))
        objective = check.ratio(entry["objective"], join_path(path, "objective"))
        if objective >= 1:
            check.fail(join_path(path, "objective"), "an objective of 100% leaves no error budget")
        slos[name] = Slo(
            name,
            objective,
            threshold_s=(
                check.duration(entry["threshold"], join_path(path, "threshold"))
                if "threshold" in fields
                else None
            ),
            deadline=(
                check.clock(entry["deadline"], join_path(path, "deadline"))
                if "deadline" in fields
                else None
            ),
        )
    return slos


def _alarms(check: DocumentChecker, value: Any) -> Alarms:
    body = check.mapping(
        value,
        "alarms",
        required=(
            "ingest_lag_p95",
            "nrt_freshness",
            "marts_late_at",
            "bi_refresh_consecutive_failures",
        ),
    )
    lag = check.mapping(body["ingest_lag_p95"], "alarms.ingest_lag_p95", required=("above", "for"))
    nrt = check.mapping(body["nrt_freshness"], "alarms.nrt_freshness", required=("above",))
    return Alarms(
        ingest_lag_p95_s=check.duration(lag["above"], "alarms.ingest_lag_p95.above"),
        ingest_lag_for_s=check.duration(lag["for"], "alarms.ingest_lag_p95.for"),
        nrt_freshness_s=check.duration(nrt["above"], "alarms.nrt_freshness.above"),
        marts_late_at=check.clock(body["marts_late_at"], "alarms.marts_late_at"),
        bi_refresh_consecutive_failures=check.positive_int(
            body["bi_refresh_consecutive_failures"], "alarms.bi_refresh_consecutive_failures"
        ),
    )


def _budgets(check: DocumentChecker, value: Any) -> Budgets:
    body = check.mapping(value, "budgets", required=("alarm_at", *(r.value for r in Resource)))
    limits: dict[Resource, float] = {}
    for resource in Resource:
        path = join_path("budgets", resource.value)
        raw = body[resource.value]
        if resource.unit == "bytes":
            limits[resource] = check.size(raw, path)
        elif resource.unit == "seconds":
            limits[resource] = check.duration(raw, path)
        else:
            limits[resource] = check.count(raw, path)
    return Budgets(alarm_at=check.ratio(body["alarm_at"], "budgets.alarm_at"), limits=limits)


def _schedule(check: DocumentChecker, value: Any) -> dict[str, ScheduleEntry]:
    entries = {}
    for job, spec in check.mapping(value, "schedule").items():
        path = join_path("schedule", check.name(job, "schedule"))
        body = check.mapping(spec, path, optional=("at", "every"))
        if ("at" in body) == ("every" in body):
            check.fail(path, "give either at (times of day) or every (an interval)")
        if "every" in body:
            entries[job] = ScheduleEntry(
                job, every_s=check.duration(body["every"], f"{path}.every")
            )
            continue
        times = body["at"] if isinstance(body["at"], list) else [body["at"]]
        at = tuple(sorted(check.clock(t, join_path(f"{path}.at", i)) for i, t in enumerate(times)))
        if len(set(at)) != len(at):
            check.fail(f"{path}.at", "a time of day is listed twice")
        entries[job] = ScheduleEntry(job, at=at)
    return entries
