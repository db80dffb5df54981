"""Shared test configuration."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("DO_NOT_TRACK", "1")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fuzz", "the collector's hostile-input fuzzer (make fuzz)")
    group.addoption("--fuzz-requests", type=int, default=600, help="requests to send")
    group.addoption("--fuzz-seed", type=int, default=20261129, help="the generator's seed")


@dataclass(frozen=True)
class BuiltLake:
    """A small simulated marketplace landed into Bronze and built into Silver/Gold."""

    root: Path
    sim: Path
    layout: Any

    @property
    def golden(self) -> Path:
        return self.sim / "golden.json"


@pytest.fixture(scope="session")
def built_lake(tmp_path_factory: pytest.TempPathFactory) -> BuiltLake:
    """One published build shared (read-only) by the registry, catalogue and notebook tests."""
    from rastup_data.lake.layout import LakeLayout
    from rastup_data.lander import land_ndjson
    from rastup_data.simulate import simulate
    from rastup_data.transform import build

    root = tmp_path_factory.mktemp("built-lake")
    simulate(root / "sim", seed=5, days=4, users=800)
    layout = LakeLayout(root / "lake")
    with open(root / "sim" / "events.ndjson", "rb") as lines:
        land_ndjson(layout, lines, name="built-lake")
    build(layout)
    return BuiltLake(root / "lake", root / "sim", layout)


# --- Real browser (Debian's Chromium driven by Playwright) ------------------------------
# `scripts/ensure-chromium.sh` (run by `make setup` and `.ci/run`) installs the browser.
# One browser per test session; each test gets a fresh page that records console errors.

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


@dataclass
class BrowserPage:
    """A Playwright page plus the console and page errors it produced."""

    page: Any
    console_errors: list[str]
    page_errors: list[str]

    @property
    def errors(self) -> list[str]:
        return [*self.console_errors, *self.page_errors]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Chromium for the whole session (launching costs about a second)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def browser_page(browser: Any) -> Iterator[BrowserPage]:
    """A new page in its own context; console errors and uncaught exceptions are kept."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    recorded = BrowserPage(page, [], [])
    page.on(
        "console",
        lambda msg: recorded.console_errors.append(msg.text) if msg.type == "error" else None,
    )
    page.on("pageerror", lambda exc: recorded.page_errors.append(str(exc)))
    try:
        yield recorded
    finally:
        context.close()
