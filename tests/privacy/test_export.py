"""`dsar export`: the access right, every stored record of the subject in a zip."""

from __future__ import annotations

import zipfile
from pathlib import Path

import orjson
from click.testing import CliRunner
from privacy_fixture import Subjects
from test_erasure_end_to_end import _rows_naming

from rastup_data.cli import cli
from rastup_data.lake.layout import LakeLayout
from rastup_data.privacy import (
    PrivacyContext,
    RequestKind,
    RequestState,
    RequestStore,
    export_subject,
)


def test_the_export_holds_every_event_of_the_subject_and_a_manifest(
    lake: LakeLayout, subjects: Subjects, ctx: PrivacyContext, tmp_path: Path
) -> None:
    out = tmp_path / "export.zip"
    result = export_subject(ctx, subjects.user, out)
    with zipfile.ZipFile(out) as archive:
        names = set(archive.namelist())
        manifest = orjson.loads(archive.read("manifest.json"))
        bronze = [orjson.loads(line) for line in archive.read("bronze.ndjson").splitlines()]
        quarantine = archive.read("quarantine.ndjson").decode()
    assert {
        "manifest.json",
        "bronze.ndjson",
        "quarantine.ndjson",
        "spool.ndjson",
        "state.ndjson",
    } <= names
    assert len(bronze) == _rows_naming(lake, {subjects.user, *subjects.anons})
    ids = {subjects.user, *subjects.anons}
    assert all(
        row["user_id"] in ids or row["anon_id"] in ids or any(i in row["payload"] for i in ids)
        for row in bronze
    )
    assert subjects.user in quarantine  # the rejected event's raw text
    assert manifest["request_id"] == result.request_id
    assert {s["name"]: s["records"] for s in manifest["sources"]}["bronze"] == len(bronze)
    assert subjects.user not in orjson.dumps(manifest).decode()
    request = RequestStore(ctx.state).get(result.request_id)
    assert (request.kind, request.state) == (RequestKind.ACCESS, RequestState.EXPORTED)


def test_the_export_command(lake: LakeLayout, subjects: Subjects, tmp_path: Path) -> None:
    out = tmp_path / "mine.zip"
    result = CliRunner().invoke(
        cli,
        ["dsar", "export", "--subject", subjects.user, "--out", str(out), "--lake", str(lake.root)],
    )
    assert result.exit_code == 0, result.output
    assert zipfile.is_zipfile(out)
    bad = CliRunner().invoke(
        cli, ["dsar", "export", "--subject", "bad id!", "--out", str(out), "--lake", str(lake.root)]
    )
    assert bad.exit_code == 2
    assert "DSAR_INVALID" in bad.output
