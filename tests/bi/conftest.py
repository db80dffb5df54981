"""BI test fixtures: a private copy of the built lake (tests write extracts), and one served
lake with refreshed extracts and tokens for the browser tests of the session."""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from rastup_data.collector.app import create_app
from rastup_data.collector.runtime import CollectorConfig, CollectorRuntime
from rastup_data.governance.principals import TokenStore
from rastup_data.lake.layout import LakeLayout
from rastup_data.spool.spool import SpoolConfig
from rastup_data.state import open_state


@pytest.fixture
def bi_lake(built_lake: Any, tmp_path: Path) -> LakeLayout:
    """A writable copy of the built lake (its published build holds the datasets)."""
    root = tmp_path / "lake"
    shutil.copytree(built_lake.root, root)
    return LakeLayout(root)


@dataclass(frozen=True)
class DashboardSite:
    """`serve` on loopback over a built lake whose extracts were refreshed, with tokens."""

    url: str
    layout: LakeLayout
    golden: dict[str, Any]
    admin: str
    viewer: str
    nyc: str
    expired: str
    first_day: str
    last_day: str

    def board(self, key: str, **query: str) -> str:
        params = {"from": self.first_day, "to": self.last_day, **query}
        return f"{self.url}/dashboards/{key}/?" + "&".join(f"{k}={v}" for k, v in params.items())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tokens(layout: LakeLayout) -> dict[str, str]:
    with open_state(lake=layout.root) as state:
        store = TokenStore(state)
        roles = ("admin", "analyst", "finance", "trust", "viewer")
        made = {
            "admin": store.create("ops-admin", "admin", known_roles=roles, created_by="test"),
            "viewer": store.create("exec-viewer", "viewer", known_roles=roles, created_by="test"),
            "nyc": store.create(
                "nyc-analyst", "analyst", known_roles=roles, cities=["nyc"], created_by="test"
            ),
            "expired": store.create(
                "gone", "viewer", known_roles=roles, ttl_days=1, created_by="test"
            ),
        }
        past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        state.execute(
            "UPDATE auth_tokens SET expires_at = ? WHERE token_id = ?",
            (past, made["expired"][1].token_id),
        )
    return {name: secret for name, (secret, _) in made.items()}


@pytest.fixture(scope="session")
def dashboard_site(
    built_lake: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DashboardSite]:
    """One served lake for the browser tests of the whole session."""
    from rastup_data.bi import RefreshLimits, RefreshRequest, load_schedule, refresh_datasets
    from rastup_data.bi.home import dashboards_dir

    root = tmp_path_factory.mktemp("dashboards") / "lake"
    shutil.copytree(built_lake.root, root)
    layout = LakeLayout(root)
    with open_state(lake=root) as state:
        request = RefreshRequest(limits=RefreshLimits(capacity_bytes=10**9))
        runs = refresh_datasets(layout, load_schedule(dashboards_dir()), state, request)
    assert all(r.ok for r in runs), [r.error for r in runs if not r.ok]
    tokens = _tokens(layout)
    golden = json.loads(built_lake.golden.read_text())
    days = sorted({row["dt"] for row in golden["marts"]["gold.kpi_marketplace_daily"]})
    runtime = CollectorRuntime(
        CollectorConfig(lake=root, validation_workers=0, spool=SpoolConfig(rotate_s=0.1))
    )
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "serve did not start"
        time.sleep(0.02)
    try:
        yield DashboardSite(
            url=f"http://127.0.0.1:{port}",
            layout=layout,
            golden=golden,
            admin=tokens["admin"],
            viewer=tokens["viewer"],
            nyc=tokens["nyc"],
            expired=tokens["expired"],
            first_day=days[0],
            last_day=days[-1],
        )
    finally:
        server.should_exit = True
        thread.join(timeout=30)
