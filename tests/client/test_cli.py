"""`rastup-data send` through the real CLI group."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from click.testing import CliRunner

from rastup_data.cli import cli


@pytest.fixture
def events_file(tmp_path: Path, kit: ModuleType) -> Path:
    path = tmp_path / "events.ndjson"
    path.write_bytes(b"\n".join([*kit.ndjson_lines(12), b"", b"{bad"]) + b"\n")
    return path


def test_send_json_summary(events_file: Path, stub: Any) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "send",
            str(events_file),
            "--url",
            stub.url,
            "--key",
            stub.key,
            "--format",
            "json",
            "--batch",
            "5",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["events_read"] == 13
    assert summary["accepted"] == 12
    assert summary["rejected_by_code"] == {"EVENT_MALFORMED_JSON": 1}
    assert summary["failed_batches"] == 0
    assert summary["ok"] is True
    assert len(stub.requests) == 3
    # Not a terminal: no progress bar on stderr.
    assert result.stderr == ""


def test_send_text_summary_from_env(events_file: Path, stub: Any) -> None:
    result = CliRunner().invoke(
        cli, ["send", str(events_file)], env={"RASTUP_URL": stub.url, "RASTUP_KEY": stub.key}
    )
    assert result.exit_code == 0, result.output
    assert "accepted" in result.stdout
    assert "rejected EVENT_MALFORMED_JSON: 1" in result.stdout


def test_send_stdin_gzip(stub: Any, kit: ModuleType) -> None:
    data = gzip.compress(b"\n".join(kit.ndjson_lines(7)))
    result = CliRunner().invoke(
        cli,
        ["send", "-", "--url", stub.url, "--key", stub.key, "--format", "json", "--no-gzip"],
        input=data,
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["accepted"] == 7
    assert "content-encoding" not in stub.requests[0].headers


def test_failed_batches_exit_1(events_file: Path, stub: Any, kit: ModuleType) -> None:
    overloaded = kit.Reply(
        503, {"error": {"code": "INGEST_OVERLOADED", "message": "full"}}, {"Retry-After": "0"}
    )
    stub.push(*[overloaded] * 2)
    result = CliRunner().invoke(
        cli,
        [
            "send",
            str(events_file),
            "--url",
            stub.url,
            "--key",
            stub.key,
            "--batch",
            "100",
            "--max-attempts",
            "2",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert summary["failed_batches"] == 1
    assert summary["failures_by_code"] == {"INGEST_OVERLOADED": 13}


def test_wrong_key_exit_1(events_file: Path, stub: Any) -> None:
    result = CliRunner().invoke(cli, ["send", str(events_file), "--url", stub.url, "--key", "x"])
    assert result.exit_code == 1
    assert "401" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["--batch", "0"],
        ["--batch", "1001"],
        ["--concurrency", "0"],
        ["--timeout", "0"],
        ["--format", "xml"],
    ],
)
def test_usage_errors_exit_2(events_file: Path, stub: Any, args: list[str]) -> None:
    result = CliRunner().invoke(
        cli, ["send", str(events_file), "--url", stub.url, "--key", "k", *args]
    )
    assert result.exit_code == 2
    assert stub.requests == []


def test_missing_key_and_missing_file_exit_2(events_file: Path, stub: Any, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        cli, ["send", str(events_file), "--url", stub.url], env={"RASTUP_KEY": ""}
    )
    assert result.exit_code == 2
    assert "CONFIG_INVALID" in result.stderr
    assert "RASTUP_KEY" in result.stderr
    result = runner.invoke(cli, ["send", str(tmp_path / "missing.ndjson"), "--key", "k"])
    assert result.exit_code == 2
    assert "missing.ndjson" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("good_lines", [0, 6])
def test_a_corrupt_gzip_file_is_a_coded_error(
    stub: Any, kit: ModuleType, tmp_path: Path, good_lines: int
) -> None:
    """A .gz that breaks while read (here: a broken second member) stops the send with one
    coded line saying where, not click's bare "Aborted!" (an EOFError) or a traceback."""
    path = tmp_path / "events.ndjson.gz"
    first = gzip.compress(b"\n".join(kit.ndjson_lines(good_lines)) + b"\n") if good_lines else b""
    path.write_bytes(first + b"\x1f\x8b\x08\x00not deflate at all")
    result = CliRunner().invoke(cli, ["send", str(path), "--url", stub.url, "--key", stub.key])
    assert result.exit_code == 2, result.output
    assert f"CONFIG_INVALID: cannot read the events at line {good_lines + 1}:" in result.stderr
    assert "send it again" in result.stderr
    assert "Aborted" not in result.output
    assert "Traceback" not in result.output


def test_help_lists_options() -> None:
    result = CliRunner().invoke(cli, ["send", "--help"])
    assert result.exit_code == 0
    for option in (
        "--url",
        "--key",
        "--batch",
        "--concurrency",
        "--no-gzip",
        "--timeout",
        "--format",
    ):
        assert option in result.output
