"""Numbers far outside any sensible range are coded refusals, not an OverflowError, a
ZeroDivisionError or a database error from deep inside a command."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from rastup_data.cli import cli

HUGE = "99999999999999999999"
TOKEN = ["auth", "token", "create", "--principal", "p", "--role", "analyst"]
POWER = ["experiments", "power", "--baseline-rate", "0.5"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ([*TOKEN, "--ttl-days", HUGE, "--lake", "{lake}"], "--ttl-days must be between 1 and"),
        (["audit", "list", "--limit", HUGE, "--lake", "{lake}"], "Invalid value for '--limit'"),
        (["bi", "unused", "--days", "99999999", "--lake", "{lake}"], "value for '--days'"),
        (["alerts", "history", "--since", "99999999d", "--lake", "{lake}"], "alerts history:"),
        (["simulate", "--seed", HUGE, "--out", "{lake}/sim"], "--seed must be an integer from 0"),
        ([*POWER, "--n", HUGE], "n per variant must be between 2 and 1,000,000,000,000"),
        ([*POWER, "--mde", "1e-300"], "the MDE 1e-300 is out of range"),
        ([*POWER, "--mde", "1e308"], "the MDE 1e+308 is out of range"),
    ],
)
def test_a_huge_or_tiny_number_is_a_coded_refusal(
    tmp_path: Path, args: list[str], says: str
) -> None:
    argv = [a.replace("{lake}", str(tmp_path)) for a in args]
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "_INVALID: " in result.stderr
    assert says in result.stderr
    assert not (tmp_path / "sim").exists()
