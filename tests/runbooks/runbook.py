"""Reading a runbook page: its sections and the commands in their fenced blocks.

A command is a line of a ```sh block (``#`` comments dropped) or a ``$ `` line of a
```console block. ``$NAME`` stands for a value the operator copies from a Check output.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner, Result

from rastup_data.cli import cli

RUNBOOKS = Path(__file__).parents[2] / "docs" / "runbooks"
_FENCE = re.compile(r"^```(\w*)\s*$")
_HEADING = re.compile(r"^(#{2,3})\s+(.*\S)\s*$")


@dataclass(frozen=True)
class Command:
    section: str  # "Act" or "Act / If no serve runs on this node …"
    line: str

    def argv(self, values: dict[str, str]) -> list[str]:
        """The arguments after ``rastup-data``, with ``$NAME`` replaced from ``values``."""
        words = shlex.split(self.line, comments=True)
        assert words[0] == "rastup-data", f"not a command of the product: {self.line}"
        expanded = [_expand(word, values) for word in words[1:]]
        return expanded


def _expand(word: str, values: dict[str, str]) -> str:
    missing = [name for name in re.findall(r"\$([A-Z_]+)", word) if name not in values]
    assert not missing, f"no value for ${missing[0]} in {word!r}"
    return re.sub(r"\$([A-Z_]+)", lambda m: values[m[1]], word)


def commands(page: str | Path) -> list[Command]:
    """Every command of the page, in order, with its section (``##`` / ``###``)."""
    path = page if isinstance(page, Path) else RUNBOOKS / page
    found: list[Command] = []
    section, sub, fence = "", "", None
    for raw in path.read_text().splitlines():
        opening = _FENCE.match(raw)
        if opening is not None:
            fence = None if fence is not None else opening[1]
            continue
        if fence is None:
            heading = _HEADING.match(raw)
            if heading is not None and heading[1] == "##":
                section, sub = heading[2], ""
            elif heading is not None:
                sub = heading[2]
            continue
        line = raw.strip()
        if fence == "console":
            line = line[2:] if line.startswith("$ ") else ""
        if fence in ("sh", "console") and line and not line.startswith("#"):
            found.append(Command(f"{section} / {sub}" if sub else section, line))
    return found


def section(page: str, name: str) -> list[Command]:
    """The commands of one section (``Act``) or sub-section (``Act / If …``)."""
    return [c for c in commands(page) if c.section == name]


def run(command: Command, lake: Path, values: dict[str, str] | None = None) -> Result:
    """Run one command as written through the CLI, with ``$RASTUP_LAKE`` set to ``lake``."""
    return CliRunner().invoke(cli, command.argv(values or {}), env={"RASTUP_LAKE": str(lake)})


def run_all(cmds: list[Command], lake: Path, values: dict[str, str] | None = None) -> None:
    """Run every command; each must succeed (exit 0)."""
    assert cmds, "no commands in that section"
    for command in cmds:
        result = run(command, lake, values)
        assert result.exit_code == 0, f"{command.line}: {result.output}"
