"""The dsar commands end to end through the command line."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import orjson
from click.testing import CliRunner
from privacy_fixture import Subjects

from rastup_data.cli import cli
from rastup_data.lake.layout import LakeLayout


def test_erase_verify_purge_verify_extend(
    lake: LakeLayout, subjects: Subjects, tmp_path: Path
) -> None:
    runner = CliRunner()
    where = ["--lake", str(lake.root)]
    erased = runner.invoke(
        cli, ["dsar", "erase", "--subject", subjects.user, "--reason", "mail", *where]
    )
    assert erased.exit_code == 0, erased.output
    request = erased.output.strip().splitlines()[-1]
    early = tmp_path / "early.json"
    failed = runner.invoke(cli, ["dsar", "verify", request, "--out", str(early), *where])
    assert failed.exit_code == 2
    assert "DSAR_VERIFY_FAILED" in failed.output
    assert "bronze: scanning" in failed.output  # progress
    assert orjson.loads(early.read_bytes())["total_hits"] > 0
    assert runner.invoke(cli, ["dsar", "purge", *where]).exit_code == 0
    proof = tmp_path / "proof.json"
    verified = runner.invoke(cli, ["dsar", "verify", request, "--out", str(proof), *where])
    assert verified.exit_code == 0, verified.output
    certificate = orjson.loads(proof.read_bytes())
    assert certificate["verified"] is True
    assert subjects.user not in proof.read_text()
    listed = runner.invoke(cli, ["dsar", "list", "--overdue", "--format", "json", *where])
    assert orjson.loads(listed.output) == []
    status = orjson.loads(
        runner.invoke(cli, ["dsar", "status", request, "--format", "json", *where]).output
    )
    assert status["state"] == "verified"
    assert [h["event"] for h in status["history"]] == [
        "received",
        "excluded",
        "verify_failed",
        "purged",
        "verified",
    ]
    late = runner.invoke(cli, ["dsar", "extend", request, "--reason", "more time", *where])
    assert late.exit_code == 2
    assert "only an open erasure" in late.output


def test_a_deadline_is_extended_once(lake: LakeLayout, subjects: Subjects) -> None:
    runner = CliRunner()
    where = ["--lake", str(lake.root)]
    request = (
        runner.invoke(cli, ["dsar", "erase", "--subject", subjects.other, *where])
        .output.strip()
        .splitlines()[-1]
    )
    first = runner.invoke(cli, ["dsar", "extend", request, "--reason", "complex case", *where])
    assert first.exit_code == 0, first.output
    status = orjson.loads(
        runner.invoke(cli, ["dsar", "status", request, "--format", "json", *where]).output
    )
    assert status["extension_reason"] == "complex case"
    waited = datetime.fromisoformat(status["deadline_at"]) - datetime.fromisoformat(
        status["received_at"]
    )
    assert waited == timedelta(days=30 + 60)
    second = runner.invoke(cli, ["dsar", "extend", request, "--reason", "again", *where])
    assert second.exit_code == 2
    assert "extended once" in second.output
