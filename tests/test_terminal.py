"""Output piped to a file or a CI log is not cut at 80 columns."""

from __future__ import annotations

import io
from pathlib import Path

from click.testing import CliRunner
from rich.table import Table

from rastup_data.cli import cli
from rastup_data.terminal import PLAIN_WIDTH, output_console

LONG_NAME = "checkout_copy_with_a_name_long_enough_to_be_cut_" * 3


def test_a_console_off_a_terminal_neither_cuts_cells_nor_wraps_lines() -> None:
    buffer = io.StringIO()
    console = output_console(file=buffer)
    assert not console.is_terminal
    assert console.width == PLAIN_WIDTH
    table = Table()
    for column in ("experiment", "primary metric", "lift", "95% CI", "p", "recommendation"):
        table.add_column(column)
    table.add_row(
        LONG_NAME, "conversion (treatment)", "+1.0%", "-2.0% … +4.0%", "0.412", "continue"
    )
    console.print(table)
    command = 'query: rastup-data query --lake /some/long/path "SELECT * FROM gold.x LIMIT 5"' * 2
    console.print(command)
    text = buffer.getvalue()
    assert LONG_NAME in text
    assert "…" not in text.replace("-2.0% … +4.0%", "")
    assert command in text.splitlines()


def test_a_piped_command_prints_its_table_whole(tmp_path: Path) -> None:
    lake = tmp_path / ("a-lake-folder-whose-path-is-longer-than-eighty-columns-" * 2)
    lake.mkdir()
    result = CliRunner().invoke(cli, ["lake", "stats", "--lake", str(lake)])
    assert result.exit_code == 0, result.output
    assert f"lake {lake}" in result.stdout.splitlines()[0]
