"""The refresh schedule: strict, at most 6 refreshes a day, daily mode, what is due."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path

import pytest

from rastup_data.bi import RefreshMode, load_schedule, parse_schedule
from rastup_data.bi.home import dashboards_dir
from rastup_data.errors import ErrorCode, RastupError


def _doc(**datasets: object) -> dict[str, object]:
    return {"version": 1, "datasets": datasets}


def test_the_shipped_schedule_names_the_six_datasets_within_the_limit() -> None:
    schedule = load_schedule(dashboards_dir())
    assert set(schedule.names) == {
        "ds_kpi_marketplace", "ds_ops_health", "ds_trust", "ds_promotions", "ds_comms",
        "ds_studios",
    }  # fmt: skip
    assert all(1 <= len(schedule.times(name)) <= 6 for name in schedule.names)


def test_more_than_six_refreshes_a_day_are_refused_with_a_code() -> None:
    times = [f"{h:02d}:00" for h in range(7)]
    with pytest.raises(RastupError) as caught:
        parse_schedule(_doc(ds_trust={"times": times}), source="refresh.yaml")
    assert caught.value.code is ErrorCode.BI_SCHEDULE_INVALID
    assert "refresh.yaml: datasets.ds_trust.times: 7 refreshes a day" in caught.value.message
    assert parse_schedule(_doc(ds_trust={"times": times[:6]})).times("ds_trust")[-1] == time(5)


@pytest.mark.parametrize(
    ("document", "where"),
    [
        ({"version": 1, "datasets": {}, "capacity": "1 GB"}, "capacity: unknown key"),
        (_doc(ds_trust={"times": ["25:00"]}), "datasets.ds_trust.times[0]"),
        (_doc(ds_trust={"times": ["06:00", "06:00"]}), "listed twice"),
        ({"version": 1, "datasets": {}, "mode": "hourly"}, "mode: 'hourly' is not one of"),
        (_doc(ds_trust={"every": "1h"}), "datasets.ds_trust.every: unknown key"),
    ],
)
def test_malformed_schedules_name_the_path(document: object, where: str) -> None:
    with pytest.raises(RastupError) as caught:
        parse_schedule(document, source="refresh.yaml")
    assert caught.value.code is ErrorCode.BI_SCHEDULE_INVALID
    assert where in caught.value.message


def test_a_missing_file_is_a_coded_error(tmp_path: Path) -> None:
    with pytest.raises(RastupError) as caught:
        load_schedule(tmp_path)
    assert caught.value.code is ErrorCode.BI_SCHEDULE_INVALID
    assert caught.value.message.startswith(f"{tmp_path / 'refresh.yaml'}: cannot read the ")


def test_a_file_that_is_not_yaml_is_a_one_line_coded_error(tmp_path: Path) -> None:
    (tmp_path / "refresh.yaml").write_text("version: 1\ndatasets: [unclosed\n", encoding="utf-8")
    with pytest.raises(RastupError) as caught:
        load_schedule(tmp_path)
    assert caught.value.code is ErrorCode.BI_SCHEDULE_INVALID
    message = caught.value.message
    assert message.startswith(f"{tmp_path / 'refresh.yaml'}: not valid YAML: ")
    assert "\n" not in message


def test_due_when_the_latest_passed_time_has_no_refresh_and_daily_keeps_the_first() -> None:
    doc = _doc(ds_trust={"times": ["06:00", "12:00", "18:00"]})
    schedule = parse_schedule(doc)
    day = datetime(2026, 11, 3, tzinfo=UTC)
    noon = day.replace(hour=12, minute=30)
    assert schedule.due("ds_trust", noon, last_refresh=None)
    assert schedule.due("ds_trust", noon, last_refresh=day.replace(hour=6, minute=1))
    assert not schedule.due("ds_trust", noon, last_refresh=day.replace(hour=12, minute=1))
    assert not schedule.due("ds_trust", day.replace(hour=5, minute=59), last_refresh=None)
    daily = parse_schedule({**doc, "mode": "daily"})
    assert daily.mode is RefreshMode.DAILY
    assert daily.times("ds_trust") == (time(6),)
    assert not daily.due("ds_trust", noon, last_refresh=day.replace(hour=6, minute=1))
