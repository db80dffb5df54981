"""Every relative link and every repository path named in docs/ and the READMEs exists."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PAGES = sorted(
    [
        ROOT / "README.md",
        *(ROOT / "docs").rglob("*.md"),
        *(ROOT / "src" / "rastup_data").rglob("README.md"),
        *(ROOT / "benchmarks").glob("*.md"),
    ]
)
#: Top-level folders of the repository: a path starting with one of them names a file here.
TOP_LEVEL = tuple(sorted(p.name for p in ROOT.iterdir() if p.is_dir() and p.name[0] not in "._"))

_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
_PATH = re.compile(r"(?<![\w./~-])((?:" + "|".join(map(re.escape, TOP_LEVEL)) + r")/[\w./-]*[\w/])")
#: Folders that builds and runs create (.gitignore): named in docs, absent from a checkout.
GENERATED = tuple(
    line.strip().strip("/") + "/"
    for line in (ROOT / ".gitignore").read_text().splitlines()
    if "/" in line.strip().rstrip("/") and not re.search(r"[*?\[!#]", line)
)
#: Placeholders in a path (`experiments/KEY.yaml`, `docs/runbooks/<name>.md`): not a file.
_PLACEHOLDER = re.compile(r"[<>{}*…$]|(?:^|/)[A-Z][A-Z0-9_-]+(?:[./]|$)")


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes."""
    text = re.sub(r"`([^`]*)`", r"\1", heading.strip()).lower()
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = _FENCE.sub("", page.read_text())
    return {_slug(m.group(1)) for m in re.finditer(r"^#{1,6}\s+(.*?)\s*#*\s*$", text, re.M)}


def _relative_links(page: Path) -> list[str]:
    text = _FENCE.sub("", page.read_text())
    targets = [m.group(1) for m in _LINK.finditer(text)] + [
        m.group(1) for m in _IMAGE.finditer(text)
    ]
    return [t for t in targets if not re.match(r"^[a-z][a-z0-9+.-]*:", t)]


def _named_paths(page: Path) -> list[str]:
    out = []
    for match in _PATH.finditer(page.read_text()):
        path = match.group(1).rstrip("./")
        if not _PLACEHOLDER.search(path):
            out.append(path)
    return out


def _page_id(page: Path) -> str:
    return str(page.relative_to(ROOT))


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_relative_links_resolve(page: Path) -> None:
    broken = []
    for target in _relative_links(page):
        path_part, _, anchor = target.partition("#")
        resolved = (page.parent / path_part).resolve() if path_part else page
        if not resolved.exists():
            broken.append(f"{target}: no {os.path.relpath(resolved, ROOT)}")
        elif anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
            broken.append(f"{target}: no heading #{anchor} in {resolved.name}")
    assert not broken, f"{_page_id(page)} links to what does not exist:\n" + "\n".join(broken)


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_named_repository_paths_exist(page: Path) -> None:
    missing = sorted(
        {
            p
            for p in _named_paths(page)
            if not (ROOT / p).exists() and not (p + "/").startswith(GENERATED)
        }
    )
    assert not missing, f"{_page_id(page)} names paths that do not exist: {missing}"


def test_the_checks_catch_a_broken_link_and_a_missing_path(tmp_path: Path) -> None:
    page = ROOT / "docs" / "_probe_for_link_test.md"
    try:
        page.write_text(
            "# Probe\n\nSee [limits](limits.md), [ok](#probe), [bad anchor](quality.md#nope),\n"
            "and `docs/limits` and src/rastup_data/ingest/limits.py and experiments/KEY.yaml.\n"
        )
        assert _relative_links(page) == ["limits.md", "#probe", "quality.md#nope"]
        with pytest.raises(AssertionError, match=r"limits\.md: no docs/limits\.md"):
            test_relative_links_resolve(page)
        with pytest.raises(AssertionError, match="no heading #nope"):
            test_relative_links_resolve(page)
        assert _named_paths(page) == ["docs/limits", "src/rastup_data/ingest/limits.py"]
        with pytest.raises(AssertionError, match="docs/limits"):
            test_named_repository_paths_exist(page)
    finally:
        page.unlink()
