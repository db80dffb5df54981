"""`serve` evaluates the rules itself: a failed build fires `build_failed`, shown to admins
at GET /v1/alerts, exported on /metrics and posted to the signed webhook; a published build
resolves it. Runs the real `rastup-data serve` with two worker processes."""

from __future__ import annotations

import http.server
import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import httpx
import orjson
import pytest
import yaml
from tests.waiting import PATIENCE_S, start_serve_process, stop_gently, wait_until

from rastup_data.environments import default_profiles_dir
from rastup_data.governance import Gate
from rastup_data.lake.layout import LakeLayout
from rastup_data.transform.runs import BuildRun, append_build_run
from rastup_data.webhooks.signatures import verify_stripe

pytestmark = pytest.mark.slow


class _Hook(http.server.BaseHTTPRequestHandler):
    bodies: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        verify_stripe(
            {"stripe-signature": self.headers["x-rastup-signature"]},
            body,
            ["hook-secret"],
            now=time.time(),
        )
        type(self).bodies.append(body)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _record(layout: LakeLayout, status: str, code: str | None = None) -> None:
    at = datetime.now(UTC).isoformat()
    append_build_run(layout, BuildRun("build", at, at, 1.0, status, code=code))


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, LakeLayout, dict[str, str]]]:
    layout = LakeLayout(tmp_path / "lake")
    layout.root.mkdir(parents=True)
    with Gate.open(layout.root) as gate:
        tokens = {
            role: gate.tokens.create(
                f"ops-{role}", role, known_roles=gate.policy.roles, created_by="t"
            )[0]
            for role in ("admin", "viewer")
        }
    profile = yaml.safe_load((default_profiles_dir() / "test.yaml").read_text())
    profile["schedule"] = {"alerts": {"every": "1s"}}
    (tmp_path / "profile.yaml").write_text(yaml.safe_dump(profile))
    _Hook.bodies = []
    hook = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    port = _free_port()
    environment = dict(
        os.environ,
        RASTUP_INGEST_KEYS="k",
        RASTUP_PROFILE=str(tmp_path / "profile.yaml"),
        RASTUP_ALERT_WEBHOOK_URL=f"http://127.0.0.1:{hook.server_address[1]}/alerts",
        RASTUP_ALERT_WEBHOOK_SECRET="hook-secret",
        DO_NOT_TRACK="1",
    )
    arguments = ["--lake", str(layout.root), "--workers", "2", "--validation-workers", "0"]
    arguments += ["--nrt-interval", "0"]
    try:
        proc = start_serve_process(port, arguments, env=environment, log=tmp_path / "serve.log")
        try:
            yield f"http://127.0.0.1:{port}", layout, tokens
        finally:
            if proc.poll() is None:
                stop_gently(proc)
    finally:
        hook.shutdown()
        hook.server_close()


def _alerts(url: str, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(f"{url}/v1/alerts", headers=headers, timeout=PATIENCE_S)


def test_serve_fires_shows_exports_notifies_and_resolves(
    served: tuple[str, LakeLayout, dict[str, str]],
) -> None:
    url, layout, tokens = served
    _record(layout, "failed", "CTAS_FAILURE")

    def firing() -> list[dict[str, Any]]:
        active = _alerts(url, tokens["admin"]).json()["active"]
        return [a for a in active if a["rule"] == "build_failed" and a["status"] == "firing"]

    (alert,) = wait_until(firing, "build_failed to fire", ignoring=(httpx.HTTPError,))
    assert alert["runbook"] == "docs/runbooks/build-failure.md"
    assert alert["severity"] == "ticket"
    assert _alerts(url, None).status_code == 401
    refused = _alerts(url, tokens["viewer"])
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "ACCESS_DENIED"
    assert _alerts(url, tokens["admin"] + "?").status_code == 401
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    for since in ("99999999d", "1e308s", "soon"):  # the first was a 500 (date overflow)
        bad = httpx.get(f"{url}/v1/alerts?since={since}", headers=admin, timeout=PATIENCE_S)
        assert bad.status_code == 400, bad.text
        assert bad.json()["error"]["code"] == "REQUEST_MALFORMED"
    # Each worker shares its metrics once a second: a scrape may hit a sibling of the
    # evaluating worker just before the gauge reaches it.
    failing = 'rastup_build_failing{code="CTAS_FAILURE"} 1.0'
    wait_until(
        lambda: failing in httpx.get(f"{url}/metrics", timeout=PATIENCE_S).text,
        "the failing gauge",
        ignoring=(httpx.HTTPError,),
    )

    _record(layout, "published")
    wait_until(lambda: not firing(), "build_failed to resolve", ignoring=(httpx.HTTPError,))
    events = _alerts(url, tokens["admin"]).json()["events"]
    assert [e["status"] for e in events if e["rule"] == "build_failed"] == ["resolved", "firing"]
    posted = wait_until(lambda: len(_Hook.bodies) >= 2 and _Hook.bodies, "the webhook")
    statuses = [
        a["status"]
        for body in posted
        for a in orjson.loads(body)["alerts"]
        if a["rule"] == "build_failed"
    ]
    assert statuses[:2] == ["firing", "resolved"]
