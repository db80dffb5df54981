"""Docs that list codes and settings stay in step with the code."""

from __future__ import annotations

import re
from pathlib import Path

import click
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


#: ``rastup-data`` and what follows it on the line (a ``\`` continues it), up to a pipe,
#: a redirection, a comment or the end of a code span.
_QUOTED = re.compile(r"rastup-data((?:[ \t]+(?:\\\n[ \t]*)?[^\s`|;&)<>#\]]+)+)")


def _quoted_commands() -> list[tuple[str, list[str]]]:
    pages = [ROOT / "README.md", *(ROOT / "docs").rglob("*.md")]
    pages += (ROOT / "src" / "rastup_data").glob("*/README.md")
    return [
        (str(page.relative_to(ROOT)), match[1].replace("\\\n", " ").split())
        for page in sorted(pages)
        for match in _QUOTED.finditer(page.read_text())
    ]


def _resolve(words: list[str]) -> tuple[click.Command | None, list[str], list[str]]:
    """The command the words name, its path, and the words after it (``--env X`` skipped)."""
    while words[:1] == ["--env"]:
        words = words[2:]
    command: click.Command | None = cli
    path: list[str] = []
    context = click.Context(cli)
    while isinstance(command, click.Group) and words:
        command = command.get_command(context, words[0])
        if command is None:
            return None, [*path, words[0]], []
        path, words = [*path, words[0]], words[1:]
    return command, path, words


def test_commands_and_options_quoted_in_the_docs_exist() -> None:
    """Every `rastup-data …` the docs quote names a command that exists, with options it
    takes (placeholders such as COMMAND or [--flag] are checked for their option names)."""
    wrong = []
    quoted = _quoted_commands()
    for page, words in quoted:
        command, path, rest = _resolve(words)
        if command is None:
            if re.fullmatch(r"[a-z][a-z-]+", path[-1]):
                wrong.append(f"{page}: no command `rastup-data {' '.join(path)}`")
            continue
        options = {"-h", "--help"}
        for param in command.params:
            options.update(param.opts, param.secondary_opts)
        for word in rest:
            option = word.lstrip("[").split("=")[0].rstrip(".,:'\"])")
            if option.startswith("--") and option != "--" and option not in options:
                wrong.append(f"{page}: `rastup-data {' '.join(path)}` has no option {option}")
    assert len(quoted) > 300, "the pattern stopped finding the quoted commands"
    assert not wrong, "\n".join(sorted(set(wrong)))
