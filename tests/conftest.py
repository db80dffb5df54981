"""Shared test configuration."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.services.postgres import PostgresServer
from tests.services.s3 import MotoServer, clear_cached_stores

os.environ.setdefault("DO_NOT_TRACK", "1")
#: The run's own user cache (the dbt parse every lake shares), not the developer's: commands
#: the tests start as processes inherit it.
_CACHE_DIR = tempfile.mkdtemp(prefix="rastup-test-cache-")
os.environ["RASTUP_CACHE_DIR"] = _CACHE_DIR


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_CACHE_DIR, ignore_errors=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files with a ``slow`` test first, each file's tests kept together and in order.

    ``make test`` runs the files on several workers (pytest-xdist, ``--dist loadfile``):
    started first, the long end-to-end files run beside the many short ones and never
    last, on one worker, while the others wait. On two cores the whole suite took 23 min
    47 s so, against 24 min 02 s in xdist's own order (the files with most tests first).
    """
    slow = {item.path for item in items if item.get_closest_marker("slow") is not None}
    items.sort(key=lambda item: item.path not in slow)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fuzz", "the collector's hostile-input fuzzer (make fuzz)")
    group.addoption("--fuzz-requests", type=int, default=600, help="requests to send")
    group.addoption("--fuzz-seed", type=int, default=20261129, help="the generator's seed")


@pytest.fixture(autouse=True)
def _restore_environment() -> Iterator[None]:
    """Commands such as `rastup-data --env stage` set variables for their children; a test
    that invokes them in-process must not leave them to the tests after it."""
    saved = dict(os.environ)
    yield
    if os.environ != saved:
        os.environ.clear()
        os.environ.update(saved)


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


# --- State databases: SQLite and a real PostgreSQL --------------------------------------
# `scripts/ensure-postgresql.sh` (run by `make setup` and `.ci/run`) installs the server.
# One throwaway server per test session; each test that asks for `state_url` runs once on a
# SQLite file and once on its own fresh PostgreSQL database.

STATE_ENGINES = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server on a free loopback port for the whole test session."""
    server = PostgresServer.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=STATE_ENGINES)
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty state database URL: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        from rastup_data.state import sqlite_url

        return sqlite_url(tmp_path / "state" / "state.db")
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.new_database()


# --- A local S3 API (moto in server mode) -----------------------------------------------
# One server per test session; `s3_lake` gives a test an s3:// lake URL in a fresh bucket
# and points this process (and the subprocesses it starts) at the server.


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    server = MotoServer.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_lake(
    moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[str]:
    """``s3://<fresh bucket>/lake`` with RASTUP_S3_ENDPOINT and the AWS variables set, and
    the default work folder in the test's temporary folder (not ./rastup-work)."""
    for name, value in moto_server.environ().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("RASTUP_WORK_DIR", str(tmp_path / "default-work"))
    clear_cached_stores()
    yield f"s3://{moto_server.new_bucket()}/lake"
    clear_cached_stores()


# --- Real browser (Debian's Chromium driven by Playwright) ------------------------------
# `scripts/ensure-chromium.sh` (run by `make setup` and `.ci/run`) installs the browser.
# One Chromium process per test session (`chromium_endpoint`); each test module connects
# Playwright to it over CDP (`browser`), and each test gets a fresh context and page that
# records console errors (`browser_page`). Playwright's sync API keeps an event loop
# running in the main thread while it is started, which breaks `asyncio.run` in other
# tests: that is why the Playwright side lives only as long as one module.

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
def chromium_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The DevTools WebSocket URL of one headless Chromium for the whole session."""
    profile = tmp_path_factory.mktemp("chromium-profile")
    process = subprocess.Popen(
        [
            CHROMIUM,
            *CHROMIUM_ARGS,
            "--remote-debugging-port=0",
            f"--user-data-dir={profile}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    drain = threading.Thread(target=process.stderr.read, daemon=True)
    try:
        deadline = time.monotonic() + 30
        for line in process.stderr:
            if line.startswith("DevTools listening on "):
                endpoint = line.split(" on ", 1)[1].strip()
                break
            assert time.monotonic() < deadline, "Chromium did not open its DevTools port"
        else:
            raise AssertionError(f"Chromium exited with {process.wait()}")
        drain.start()  # keep reading its log so Chromium never blocks on a full pipe
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if drain.is_alive():
            drain.join(timeout=5)
        process.stderr.close()


@pytest.fixture(scope="module")
def browser(chromium_endpoint: str) -> Iterator[Any]:
    """Playwright connected to the session's Chromium for one test module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        connected = playwright.chromium.connect_over_cdp(chromium_endpoint)
        try:
            yield connected
        finally:
            connected.close()


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
