"""``rastup_alerts_active``: after each evaluation, every rule's pending and firing alerts
are on ``/metrics`` (0 when none), so a dashboard shows what fires."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest

from rastup_data.alerts import AlertEvaluator, load_rules
from rastup_data.alerts.samples import parse_exposition
from rastup_data.environments import load_profile
from rastup_data.lake.layout import LakeLayout
from rastup_data.state import open_state


def _active(registry: CollectorRegistry) -> dict[tuple[str, str], float]:
    text = generate_latest(registry).decode()
    out = {}
    for sample in parse_exposition(text):
        if sample.name == "rastup_alerts_active":
            labels = dict(sample.labels)
            out[(labels["rule"], labels["state"])] = sample.value
            assert labels["severity"] in {"page", "ticket", "info"}
    return out


def test_the_gauge_counts_firing_alerts_per_rule_and_drops_to_zero_on_resolve(
    tmp_path: Path,
) -> None:
    profile = load_profile("test")
    rules = load_rules(profile)
    freshness = {"value": 5000.0}
    state = open_state(f"sqlite:///{tmp_path / 'state.db'}")
    evaluator = AlertEvaluator(
        rules,
        profile,
        sources=(LakeLayout(tmp_path / "lake"), state),
        sinks=[],
        exposition=lambda: f"rastup_nrt_freshness_seconds {freshness['value']}\n",
        probes=[],
    )
    registry = CollectorRegistry()
    registry.register(evaluator.collector)
    try:
        assert _active(registry) == {}  # nothing before the first evaluation
        evaluator.tick(1000.0)
        active = _active(registry)
        assert set(active) == {(r.name, s) for r in rules for s in ("pending", "firing")}
        assert active[("nrt_stale", "firing")] == 1.0
        assert sum(active.values()) == len(evaluator.tracker.active())

        freshness["value"] = 10.0
        evaluator.tick(1060.0)
        assert _active(registry)[("nrt_stale", "firing")] == 0.0
    finally:
        state.close()
