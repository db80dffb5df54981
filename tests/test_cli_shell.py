"""The lazy command shell imports a command on first use and never hides a broken one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["nosuch"], "No such command 'nosuch'."),
        (["--env", "nope", "budget", "status"], "Invalid value for '--env': 'nope'"),
        (["lake", "stats", "--bogus"], "No such option '--bogus'"),
        (["lake", "stats", "--lake", "{file}"], "Invalid value for '--lake': Directory"),
        (["audit", "list", "--limit", "0"], "Invalid value for '--limit'"),
        (["dsar", "erase"], "Missing option '--subject'"),
        (["scheduler", "pause"], "name the jobs to pause, or --heavy"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else "",
)
def test_a_usage_error_carries_its_code(tmp_path: Path, args: list[str], says: str) -> None:
    file = tmp_path / "a-file"
    file.write_text("not a folder")
    argv = [a.replace("{file}", str(file)) for a in args]
    result = CliRunner().invoke(shell.cli, argv)
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert f"Error: CONFIG_INVALID: {says}" in result.stderr
    assert "Try 'cli" in result.stderr, "the usage lines stay"


def test_a_bare_group_still_shows_its_help_without_a_code() -> None:
    result = CliRunner().invoke(shell.cli, ["lake"])
    assert "Commands:" in result.output
    assert "CONFIG_INVALID" not in result.output


def test_a_path_no_command_checked_is_one_coded_line_not_a_traceback(tmp_path: Path) -> None:
    """A lake whose _locks folder is a file: the OSError of the first write under it is
    reported as the path and its reason, with the code, by the shell."""
    (tmp_path / "_locks").write_text("not a folder")
    result = CliRunner().invoke(
        shell.cli, ["lake", "lifecycle", "--dry-run", "--lake", str(tmp_path)]
    )
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert f"error: CONFIG_INVALID: cannot use {tmp_path / '_locks'}: " in result.stderr
    assert "_locks/ are folders" in result.stderr
    assert "Traceback" not in result.output


def test_an_oserror_without_a_path_still_propagates(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only errors about a path are turned into a refusal; anything else stays loud."""

    def _socket_trouble() -> click.Command:
        @click.command()
        def trouble() -> None:
            raise ConnectionResetError("peer went away")

        return trouble

    monkeypatch.setitem(shell.COMMANDS, "trouble", (_socket_trouble, "Fails."))
    result = CliRunner().invoke(shell.cli, ["trouble"])
    assert isinstance(result.exception, ConnectionResetError)


_ENTRY = """
import atexit, pathlib, sys, threading, time
out = pathlib.Path(sys.argv[1])
def late():
    time.sleep(0.3)
    out.with_suffix(".thread").write_text("done")
threading.Thread(target=late).start()
from concurrent.futures import ThreadPoolExecutor
pool = ThreadPoolExecutor(1)  # never shut down: the exit stops its idle worker
pool.submit(lambda: out.with_suffix(".pool").write_text("done"))
atexit.register(lambda: out.write_text("ran"))
from rastup_data.cli import main
sys.argv = ["rastup-data", *sys.argv[2:]]
main()
"""


@pytest.mark.parametrize(("args", "status"), [(["--version"], 0), (["--no-such-option"], 2)])
def test_the_entry_point_exits_like_python_without_its_teardown(
    tmp_path: Path, args: list[str], status: int
) -> None:
    """Threads are waited for, an executor left open is stopped, exit handlers run, output is
    flushed, the status is kept."""
    marker = tmp_path / "exit"
    proc = subprocess.run(
        [sys.executable, "-c", _ENTRY, str(marker), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == status, proc.stderr
    assert marker.read_text() == "ran"
    assert marker.with_suffix(".thread").read_text() == "done"
    assert marker.with_suffix(".pool").read_text() == "done"
    if status == 0:
        assert proc.stdout.startswith("rastup-data, version")
    else:
        assert "No such option" in proc.stderr
    assert "leaked" not in proc.stderr
