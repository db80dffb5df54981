"""`lake lifecycle`: retention per store, legal-hold aware, recorded, with a dry run."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pyarrow.parquet as pq
from click.testing import CliRunner
from privacy_fixture import Subjects
from test_erasure_end_to_end import _bronze_rows, _rows_naming

from rastup_data.cli import cli
from rastup_data.governance import AuditLog
from rastup_data.lake.layout import LakeLayout
from rastup_data.lake.manifest import Manifest
from rastup_data.privacy import HoldStore, PrivacyContext
from rastup_data.privacy.policy import PrivacyPolicy, Retention
from rastup_data.privacy.retention import run_lifecycle
from rastup_data.privacy.trail import record_action

LATER = datetime.now(UTC).date() + timedelta(days=5)


def _short(ctx: PrivacyContext) -> PrivacyContext:
    retention = Retention(
        bronze_days=1,
        quarantine_days=1,
        spool_days=1,
        warehouse_keep=0,
        warehouse_days=1,
        extracts_days=1,
        audit_days=1,
    )
    return replace(ctx, policy=PrivacyPolicy(retention=retention))


def test_a_dry_run_reports_and_changes_nothing(lake: LakeLayout, ctx: PrivacyContext) -> None:
    files = sorted(lake.bronze.rglob("*.parquet"))
    report = run_lifecycle(_short(ctx), dry_run=True, today=LATER)
    bronze = next(s for s in report.stores if s.store == "bronze")
    assert bronze.files_deleted == len(list(lake.bronze_events.rglob("*.parquet")))
    assert bronze.bytes_deleted == sum(
        p.stat().st_size for p in lake.bronze_events.rglob("*.parquet")
    )
    assert sorted(lake.bronze.rglob("*.parquet")) == files
    assert not [r for r in Manifest(lake).records() if r.kind == "lifecycle"]


def test_retention_deletes_old_data_but_keeps_held_rows(
    lake: LakeLayout, subjects: Subjects, ctx: PrivacyContext
) -> None:
    HoldStore(ctx.state).add(
        "CASE-7",
        subject_id=subjects.user,
        subject_key=ctx.subject_key(subjects.user),
        reason="litigation",
        until=None,
        placed_by="counsel",
    )
    record_action(ctx, "hold add case=CASE-7")
    record_action(ctx, "dsar status")
    held_rows = _rows_naming(lake, {subjects.user, *subjects.anons})
    assert held_rows > 0
    report = run_lifecycle(_short(ctx), today=LATER)
    bronze = next(s for s in report.stores if s.store == "bronze")
    assert bronze.rows_kept_for_holds == held_rows
    remaining = sum(pq.read_metadata(p).num_rows for p in lake.bronze_events.rglob("*.parquet"))
    assert remaining == held_rows
    assert _bronze_rows(lake, {subjects.other}) == 0
    lifecycle = [r for r in Manifest(lake).records() if r.kind == "lifecycle"]
    assert {i for r in lifecycle for i in r.inputs} >= {
        d for s in report.stores for d in s.deleted if not d.startswith("spool/")
    }
    audit = next(s for s in report.stores if s.store == "audit")
    assert audit.records_deleted == 1  # the newest record stays: appends chain onto it
    assert AuditLog(ctx.state).verify().ok


def test_without_holds_expired_partitions_go_entirely(
    lake: LakeLayout, ctx: PrivacyContext
) -> None:
    run_lifecycle(_short(ctx), today=LATER)
    assert not list(lake.bronze_events.rglob("*.parquet"))
    assert not list(lake.bronze_bad.rglob("*.parquet"))


def test_data_within_retention_stays(lake: LakeLayout, ctx: PrivacyContext) -> None:
    files = sorted(lake.bronze.rglob("*.parquet"))
    report = run_lifecycle(ctx)  # the shipped settings: two years of Bronze
    assert sorted(lake.bronze.rglob("*.parquet")) == files
    assert report.stores[0].files_deleted == 0


def test_the_command_prints_what_would_go(lake: LakeLayout) -> None:
    result = CliRunner().invoke(cli, ["lake", "lifecycle", "--dry-run", "--lake", str(lake.root)])
    assert result.exit_code == 0, result.output
    assert "would delete" in result.output
    assert "bronze" in result.output
