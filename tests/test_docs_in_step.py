"""Docs that list codes and settings stay in step with the code."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from rastup_data.cli import COMMANDS, cli
from rastup_data.config import ENV_VARS
from rastup_data.errors import ERROR_CODES, ErrorCode, render_error_codes_markdown

ROOT = Path(__file__).parents[1]


def test_error_code_doc_is_generated_from_the_code() -> None:
    assert (ROOT / "docs" / "error-codes.md").read_text() == render_error_codes_markdown(), (
        "regenerate with: python -m rastup_data.errors > docs/error-codes.md"
    )


def test_every_code_has_info_and_existing_runbook() -> None:
    assert set(ERROR_CODES) == set(ErrorCode)
    for code, info in ERROR_CODES.items():
        assert code.value == code.name
        assert info.meaning
        assert info.action
        if info.runbook:
            assert (ROOT / info.runbook).is_file(), f"{code}: {info.runbook} missing"


def test_environment_variables_are_documented_and_read_in_one_place() -> None:
    doc = (ROOT / "docs" / "environment-variables.md").read_text()
    for name in ENV_VARS:
        assert f"`{name}`" in doc, f"{name} is not documented"
    readers = []
    for path in (ROOT / "src" / "rastup_data").rglob("*.py"):
        if path.name == "config.py":
            continue
        text = path.read_text()
        if re.search(r"environ(?:\.get)?\(?\[?[\"']RASTUP_", text) or 'getenv("RASTUP_' in text:
            readers.append(str(path.relative_to(ROOT)))
    assert not readers, f"RASTUP_* read outside config.py: {readers}"


def test_every_command_has_help() -> None:
    runner = CliRunner()
    top = runner.invoke(cli, ["--help"])
    assert top.exit_code == 0
    for name in COMMANDS:
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert "Usage:" in result.output
        assert name in top.output
