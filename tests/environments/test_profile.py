"""The shipped profiles load with the seed's numbers; a malformed one names file and path."""

from __future__ import annotations

import copy
from datetime import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from rastup_data.config import Settings
from rastup_data.environments import (
    SLO_NAMES,
    Resource,
    default_profiles_dir,
    load_profile,
    parse_profile,
    profile_names,
)
from rastup_data.errors import ErrorCode, RastupError

GB, TB = 10**9, 10**12


def test_every_environment_ships_a_profile_named_after_its_file() -> None:
    assert profile_names() == ("dev", "prod", "stage", "test")
    for name in profile_names():
        profile = load_profile(name)
        assert profile.name == name
        assert set(profile.slos) == set(SLO_NAMES)
        assert set(profile.budgets.limits) == set(Resource)


def test_the_seed_numbers_are_the_stage_and_prod_thresholds() -> None:
    stage, prod = load_profile("stage"), load_profile("prod")
    assert stage.daily_scan_budget == 500 * GB
    assert prod.daily_scan_budget == 2 * TB
    for profile in (stage, prod):
        assert profile.budgets.alarm_at == 0.8
        assert profile.slo("ingest_latency").threshold_s == 60
        assert profile.slo("nrt_freshness").threshold_s == 600
        assert profile.slo("marts_on_time").deadline == time(6, 0)
        assert profile.alarms.ingest_lag_p95_s == 120
        assert profile.alarms.ingest_lag_for_s == 600
        assert profile.alarms.nrt_freshness_s == 1200
        assert profile.alarms.marts_late_at == time(7, 0)
        assert profile.alarms.bi_refresh_consecutive_failures == 2
    assert prod.slo("ingest_availability").error_budget == pytest.approx(0.001)
    assert prod.budgets.limit(Resource.BUILD_COMPUTE_PER_DAY) == 4 * 3600
    assert prod.budgets.limit(Resource.INGEST_EVENTS_PER_DAY) == 500_000_000


def test_the_environment_comes_from_rastup_env_or_a_profile_file(tmp_path: Path) -> None:
    assert load_profile(settings=Settings.from_env({"RASTUP_ENV": "stage"})).name == "stage"
    data = yaml.safe_load((default_profiles_dir() / "prod.yaml").read_text())
    data["name"] = "perf"
    custom = tmp_path / "perf.yaml"
    custom.write_text(yaml.safe_dump(data))
    settings = Settings.from_env({"RASTUP_ENV": "perf", "RASTUP_PROFILE": str(custom)})
    assert load_profile(settings=settings).name == "perf"
    with pytest.raises(RastupError, match="no profile for environment 'qa'") as error:
        load_profile("qa")
    assert error.value.code is ErrorCode.CONFIG_INVALID


SHIPPED = yaml.safe_load((default_profiles_dir() / "prod.yaml").read_text())


def _broken(path: list[str], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(SHIPPED)
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "where"),
    [
        (["budgets", "scanned_per_day"], "two terabytes", "budgets.scanned_per_day"),
        (["budgets", "alarm_at"], "180%", "budgets.alarm_at"),
        (["budgets", "build_compute_per_day"], "4 hours", "budgets.build_compute_per_day"),
        (["slo", "ingest_latency", "objective"], "100%", "slo.ingest_latency.objective"),
        (["slo", "marts_on_time", "deadline"], "6am", "slo.marts_on_time.deadline"),
        (["alarms", "ingest_lag_p95", "for"], 10, "alarms.ingest_lag_p95.for"),
        (["time_zone"], "Mars/Olympus", "time_zone"),
        (["queries", "capp"], "1 TB", "queries.capp"),
        (["schedule", "daily_build"], {"at": "05:00", "every": "1h"}, "schedule.daily_build"),
        (["version"], 2, "version"),
    ],
)
def test_malformed_profiles_name_the_file_and_path(path: list[str], value: Any, where: str) -> None:
    with pytest.raises(RastupError) as error:
        parse_profile(_broken(path, value), source="prod.yaml")
    assert error.value.code is ErrorCode.CONFIG_INVALID
    assert str(error.value).startswith("CONFIG_INVALID: prod.yaml: ")
    assert where in error.value.message


def test_the_global_env_option_selects_the_profile_of_a_command(tmp_path: Path) -> None:
    from rastup_data.cli import cli

    result = CliRunner().invoke(
        cli, ["--env", "stage", "budget", "status", "--lake", str(tmp_path), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert '"env": "stage"' in result.output
    refused = CliRunner().invoke(cli, ["--env", "qa", "budget", "status"])
    assert refused.exit_code == 2
    assert "'qa' is not one of" in refused.output
