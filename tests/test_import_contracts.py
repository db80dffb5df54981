"""Each package README's "May import" line and the import contracts say the same thing.

`make lint-imports` (inside `make lint`) enforces the contracts in pyproject.toml; this test
keeps them the README's word, and makes a new package come with both.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "src" / "rastup_data"


def _top_level_modules() -> set[str]:
    names = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    return names | {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}


def _contracts() -> dict[str, dict[str, object]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return {c["id"]: c for c in config["contracts"]}


def readme_allows(readme: Path, modules: set[str]) -> set[str]:
    """The platform packages named (in backticks) in the README's "May import" paragraph."""
    text = readme.read_text()
    start = text.index("May import:")
    paragraph = text[start:].split("\n\n", 1)[0]
    named = set()
    for quoted in re.findall(r"`([^`]+)`", paragraph):
        if quoted.endswith((".py", "/")):  # a file or folder of the package itself
            continue
        first = quoted.removeprefix("rastup_data.").split(".")[0]
        if first in modules:
            named.add(first)
    return named


PACKAGES = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())


@pytest.mark.parametrize("package", PACKAGES)
def test_readme_may_import_line_is_the_import_contract(package: str) -> None:
    modules = _top_level_modules()
    readme = PACKAGE / package / "README.md"
    assert readme.is_file(), f"{package} has no README.md with a 'May import' line"
    contract = _contracts().get(package)
    assert contract is not None, f"no import contract with id {package!r} in pyproject.toml"
    assert contract["source_modules"] == [f"rastup_data.{package}"]
    allowed = readme_allows(readme, modules) - {package}
    expected = sorted(f"rastup_data.{m}" for m in modules - allowed - {package})
    listing = "".join(f'    "{m}",\n' for m in expected)
    assert sorted(contract["forbidden_modules"]) == expected, (
        f"{package}: the README allows {sorted(allowed)}; update the README, or the contract's "
        f"name and forbidden modules in pyproject.toml:\nforbidden_modules = [\n{listing}]"
    )


def test_readme_parsing_reads_names_not_prose(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(
        "# x\n\nMay import: `rastup_data.errors`, `lake.layout` (paths), numpy, `stats/`,\n"
        "click (`cli.py` only), "
        "`transform` (lazily). Must not import collector.\n\nLater: `serving`.\n"
    )
    modules = {"errors", "lake", "transform", "collector", "serving", "cli"}
    assert readme_allows(readme, modules) == {"errors", "lake", "transform"}
