"""Alert lifecycle (pending, firing, repeat, resolved; deduplicated across a restart) and the
sinks: the log, the state database, and a signed webhook to a real HTTP server."""

from __future__ import annotations

import http.server
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import orjson
import pytest
import stripe

from rastup_data.alerts import AlertHistory, Notification
from rastup_data.alerts.families.gauge import GaugeParams
from rastup_data.alerts.model import AlertSeverity, Rule
from rastup_data.alerts.reader import Comparison
from rastup_data.alerts.selectors import Selector
from rastup_data.alerts.sinks import HistorySink, LogSink, WebhookSink
from rastup_data.alerts.tracker import AlertTracker
from rastup_data.state import open_state
from rastup_data.webhooks.signatures import verify_stripe

RULE = Rule(
    name="nrt_stale",
    kind="gauge",
    severity=AlertSeverity.PAGE,
    summary="views {value:.0f} s old in {city}",
    runbook="docs/runbooks/nrt-stale.md",
    params=GaugeParams(Selector("rastup_nrt_freshness_seconds"), Comparison(">", 1200)),
    for_s=60.0,
)
NYC = (("city", "nyc"),)


def test_pending_firing_repeat_resolved_and_no_duplicate_after_a_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    with open_state(url) as state:
        tracker = AlertTracker(AlertHistory(state, "test"), repeat_every_s=3600)
        assert tracker.update(RULE, {NYC: 1300.0}, 0.0) == []  # pending: for 60 s not passed
        fired = tracker.update(RULE, {NYC: 1310.0}, 60.0)
        assert [(n.status, n.summary) for n in fired] == [("firing", "views 1310 s old in nyc")]
        assert tracker.update(RULE, {NYC: 1400.0}, 120.0) == []  # already notified
    with open_state(url) as state:  # a restarted evaluator remembers the firing alert
        tracker = AlertTracker(AlertHistory(state, "test"), repeat_every_s=3600)
        assert [a.status for a in tracker.active()] == ["firing"]
        assert tracker.update(RULE, {NYC: 1500.0}, 180.0) == []
        assert [n.status for n in tracker.update(RULE, {NYC: 1500.0}, 3660.0)] == ["repeat"]
        resolved = tracker.update(RULE, {}, 3720.0)
        assert [(n.status, n.labels) for n in resolved] == [("resolved", NYC)]
        assert tracker.active() == []
        # A condition that stops before its `for` passed is never notified.
        assert tracker.update(RULE, {NYC: 1300.0}, 4000.0) == []
        assert tracker.update(RULE, {}, 4030.0) == []


def _note(status: str = "firing") -> Notification:
    return Notification(
        status=status,
        env="test",
        rule="nrt_stale",
        fingerprint="f1",
        labels=NYC,
        severity="page",
        value=1310.0,
        summary="views 1310 s old in nyc",
        runbook="docs/runbooks/nrt-stale.md",
        at=1_700_000_000.0,
    )


def test_the_log_and_history_sinks(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="rastup_data.alerts"):
        LogSink().send([_note(), _note("resolved")])
    lines = [r.getMessage() for r in caplog.records if r.name == "rastup_data.alerts"]
    assert lines[0] == (
        "alert nrt_stale FIRING [page; city=nyc]: views 1310 s old in nyc "
        "(runbook docs/runbooks/nrt-stale.md)"
    )
    assert [r.levelname for r in caplog.records if r.name == "rastup_data.alerts"] == [
        "WARNING",
        "INFO",
    ]
    with open_state(f"sqlite:///{tmp_path / 'state.db'}") as state:
        history = AlertHistory(state, "test")
        HistorySink(history).send([_note(), _note("resolved")])
        events = history.events()
    assert sorted(e["status"] for e in events) == ["firing", "resolved"]
    assert events[0]["labels"] == {"city": "nyc"}


class _Receiver(http.server.BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []
    answers: ClassVar[list[int]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        type(self).received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(self.answers.pop(0) if self.answers else 204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    _Receiver.received, _Receiver.answers = [], []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks/alerts"
    server.shutdown()
    server.server_close()


def test_the_webhook_is_signed_and_retried(receiver: str) -> None:
    _Receiver.answers = [503]  # the first attempt is refused, the second accepted
    WebhookSink(receiver, "whsec_ops_secret").send([_note()])
    assert len(_Receiver.received) == 2
    headers, body = _Receiver.received[-1]
    document = orjson.loads(body)
    assert document["alerts"][0]["rule"] == "nrt_stale"
    assert document["alerts"][0]["runbook"] == "docs/runbooks/nrt-stale.md"
    signature = headers["x-rastup-signature"]
    # Verified by the platform's verifier and by Stripe's own library (an independent one).
    verify_stripe(
        {"stripe-signature": signature}, body, ["whsec_ops_secret"], now=float(signature[2:12])
    )
    stripe.WebhookSignature.verify_header(
        body.decode(), signature, "whsec_ops_secret", tolerance=None
    )
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header(
            body.decode(), signature, "whsec_other", tolerance=None
        )


def test_a_webhook_that_never_answers_is_logged_not_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR):
        WebhookSink("http://127.0.0.1:9/nowhere", "s", timeout_s=0.5, attempts=1).send([_note()])
    assert "refused 1 notification(s)" in caplog.text
