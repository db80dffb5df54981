"""The lazy command shell imports a command on first use and never hides a broken one."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

import rastup_data.cli as shell


def _broken() -> click.Command:
    from rastup_data.no_such_module import command  # type: ignore[import-not-found]

    return command  # type: ignore[no-any-return]


def test_a_command_whose_import_is_broken_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(shell.COMMANDS, "broken", (_broken, "A command that cannot load."))
    runner = CliRunner()
    listing = runner.invoke(shell.cli, ["--help"])
    assert listing.exit_code == 0
    assert "broken" in listing.output, "a broken command must not vanish from the list"
    result = runner.invoke(shell.cli, ["broken"])
    assert result.exit_code != 0
    assert isinstance(result.exception, ModuleNotFoundError)
    assert "rastup_data.no_such_module" in str(result.exception)


def test_every_listed_command_loads_and_is_named_as_listed() -> None:
    for name, (load, help_text) in shell.COMMANDS.items():
        command = load()
        assert isinstance(command, click.Command), name
        assert command.name == name, f"{name} loads the command {command.name!r}"
        assert help_text


def test_experiments_lists_its_assignment_commands() -> None:
    result = CliRunner().invoke(shell.cli, ["experiments", "--help"])
    assert result.exit_code == 0
    assert "analyze" in result.output
    assert "assign" in result.output
