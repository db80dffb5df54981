"""Backfill: a late Bronze file in an old partition is rebuilt into Silver and only the Gold
models it feeds, the Gold rows that changed are reported, and the result is published;
a backfill that fails a gate rolls back and readers keep the previous build."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from bronze_fixture import envelope, write_bronze
from click.testing import CliRunner

from rastup_data.cli import cli
from rastup_data.lake.layout import LakeLayout
from rastup_data.transform import BuildFailed, open_published
from rastup_data.transform.backfill import BackfillOptions, backfill
from rastup_data.transform.manifest import load_manifest
from rastup_data.transform.runs import build_runs
from rastup_data.transform.warehouse import warehouse_dirs

# Set from the copied lake: its first Bronze partition (received dates) and a noon during
# the simulated days (occurred dates).
DAY0 = date(2026, 1, 5)
START = datetime(2026, 1, 5, tzinfo=UTC)
OCCURRED = START


def _comms(layout: LakeLayout) -> dict[tuple[str, str], int]:
    with open_published(layout) as conn:
        rows = conn.execute(
            "SELECT dt::VARCHAR, channel, delivered FROM gold.kpi_comms_daily"
        ).fetchall()
    return {(dt, channel): int(delivered) for dt, channel, delivered in rows}


def _late(channel: str, n: int, minutes: int) -> list[dict[str, object]]:
    """``n`` deliveries that happened during the simulated days, received in DAY0's partition."""
    return [
        envelope(
            "comms.delivered",
            OCCURRED + timedelta(minutes=minutes),
            {"message_id": f"m_late_{channel}_{minutes}_{i}", "channel": channel},
            received_at=START + timedelta(hours=12),
        )
        for i in range(n)
    ]


@pytest.fixture
def published(built_lake, tmp_path: Path) -> LakeLayout:  # type: ignore[no-untyped-def]
    """A copy of the session's simulated, published lake (it passes every gate)."""
    shutil.copytree(built_lake.root, tmp_path / "lake", symlinks=True)
    layout = LakeLayout(tmp_path / "lake")
    global DAY0, START, OCCURRED
    first = min(p.name.removeprefix("dt=") for p in layout.root.glob("bronze/events/dt=*"))
    DAY0 = date.fromisoformat(first)
    START = datetime.combine(DAY0, datetime.min.time(), tzinfo=UTC)
    with open_published(layout) as conn:
        row = conn.execute("SELECT min(occurred_at) FROM silver.events_deduped").fetchone()
    assert row is not None
    OCCURRED = row[0].astimezone(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    return layout


def test_a_backfill_rebuilds_only_what_the_range_feeds_and_reports_gold_changes(
    published: LakeLayout,
) -> None:
    layout = published
    before = _comms(layout)
    write_bronze(layout, _late("sms", 3, 0), name="late")  # a lost file turns up
    key = (OCCURRED.date().isoformat(), "sms")

    dry = backfill(layout, BackfillOptions(DAY0, DAY0, dry_run=True))
    assert dry.published is False
    assert _comms(layout) == before  # a dry run publishes nothing

    result = backfill(layout, BackfillOptions(DAY0, DAY0))
    assert result.published
    assert _comms(layout)[key] == before.get(key, 0) + 3
    assert set(result.silver_changed) == {"silver.events_deduped", "silver.fact_comms"}
    manifest = load_manifest(warehouse_dirs(layout).dbt_target("backfill") / "manifest.json")
    changed = {"model.rastup.events_deduped", "model.rastup.fact_comms"}
    downstream = (*manifest.in_schema("gold"), *manifest.in_schema("datasets"))
    fed = {m.relation for m in downstream if changed.intersection(m.parents)}
    assert set(result.gold_rebuilt) == fed
    assert "gold.kpi_comms_daily" in result.gold_rebuilt
    assert "gold.kpi_marketplace_daily" not in result.gold_rebuilt  # bookings did not change
    (diff,) = [d for d in result.diffs if d.relation == "gold.kpi_comms_daily"]
    assert (diff.removed, diff.added) == (1, 1)  # one row replaced
    assert diff.removed_sample[0]["delivered"] == before.get(key, 0)
    assert diff.added_sample[0]["delivered"] == before.get(key, 0) + 3
    assert diff.added_sample[0]["channel"] == "sms"
    assert [d.relation for d in result.diffs if d.changed] == [
        "datasets.ds_comms",
        "gold.kpi_comms_daily",
    ]
    assert dry.to_json()["gold_changed"] == ["datasets.ds_comms", "gold.kpi_comms_daily"]
    runs = list(build_runs(layout, date(2000, 1, 1)))
    assert [(r.kind, r.status) for r in runs][-1] == ("backfill", "published")


def test_a_failing_backfill_rolls_back_and_the_cli_says_so(published: LakeLayout) -> None:
    layout = published
    dirs = warehouse_dirs(layout)
    current = dirs.builds.current()
    before = _comms(layout)
    bad = _late("sms", 1, 60)
    bad[0]["payload"]["channel"] = "pigeon"  # not an accepted channel: a dbt test fails
    write_bronze(layout, bad, name="bad")
    result = CliRunner().invoke(
        cli, ["backfill", "--lake", str(layout.root), "--from", str(DAY0), "--to", str(DAY0)]
    )
    assert result.exit_code == 2, result.output
    assert "QUALITY_CHECK_FAILED" in result.output
    assert "rolled back: nothing was published" in result.output
    assert dirs.builds.current() == current
    assert _comms(layout) == before
    assert not dirs.builds.staging.exists()
    runs = list(build_runs(layout, date(2000, 1, 1)))
    assert (runs[-1].kind, runs[-1].status, runs[-1].code) == (
        "backfill",
        "failed",
        "QUALITY_CHECK_FAILED",
    )
    with pytest.raises(BuildFailed):
        backfill(layout, BackfillOptions(DAY0, DAY0, dry_run=True))
    assert dirs.builds.current() == current


def test_json_report_and_argument_errors(published: LakeLayout, tmp_path: Path) -> None:
    where = ["--lake", str(published.root)]
    day = str(DAY0 + timedelta(days=1))
    result = CliRunner().invoke(
        cli, ["backfill", *where, "--from", day, "--to", day, "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    document = orjson.loads(result.output)
    assert document["published"] is True
    assert document["silver_changed"] == []  # nothing new in that range
    assert document["gold_rebuilt"] == []
    refused = CliRunner().invoke(cli, ["backfill", *where, "--from", day, "--to", str(DAY0)])
    assert refused.exit_code == 2
    assert "after --to" in refused.output
