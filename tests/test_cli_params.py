"""Float options refuse nan and infinity as usage errors, before a command runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import rastup_data.cli as shell


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
@pytest.mark.parametrize(
    "command",
    [
        ["alerts", "export", "--interval"],
        ["quality", "compare", "--golden", "{golden}", "--rel-tol"],
        ["send", "{golden}", "--timeout"],
        ["serve", "--nrt-interval"],
        ["queries", "kill", "q1", "--wait"],
    ],
    ids=lambda command: " ".join(part for part in command if not part.startswith("{")),
)
def test_a_float_option_refuses_what_is_not_a_finite_number(
    command: list[str], value: str, tmp_path: Path
) -> None:
    golden = tmp_path / "golden.json"
    golden.write_text("{}")
    args = [part.format(golden=golden) for part in command] + [value]
    result = CliRunner().invoke(shell.cli, args)
    assert result.exit_code == 2, result.output
    assert "CONFIG_INVALID" in result.output
    # nan passes every bound, so only the finite check refuses it; an infinity may meet a
    # bound of the range first, which refuses it as a usage error too.
    if value == "nan":
        assert "'nan' is not a finite number" in result.output
    else:
        assert "is not a finite number" in result.output or "is not in the range" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
