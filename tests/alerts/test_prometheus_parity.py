"""The exported rules pass `promtool check rules`; on the same metric histories, Prometheus
(`promtool test rules`) and the in-process evaluator fire exactly the same alerts."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from scenarios import SCENARIOS, Scenario

from rastup_data.alerts import AlertEvaluator, load_rules, render_prometheus
from rastup_data.alerts.model import Rule
from rastup_data.alerts.samples import Sample
from rastup_data.alerts.selectors import parse_selector
from rastup_data.environments import load_profile, profile_names
from rastup_data.lake.layout import LakeLayout
from rastup_data.state import open_state

PROMTOOL = shutil.which("promtool")
pytestmark = pytest.mark.skipif(
    PROMTOOL is None and not Path("/usr/bin/promtool").exists(),
    reason="promtool missing: run `make setup` (scripts/ensure-promtool.sh installs it)",
)


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PROMTOOL or "promtool", *args], capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize("env", profile_names())
def test_the_export_of_every_environment_passes_promtool_check(env: str, tmp_path: Path) -> None:
    rules = load_rules(load_profile(env))
    path = tmp_path / f"{env}.yml"
    path.write_text(render_prometheus(rules))
    checked = _promtool("check", "rules", str(path))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    recordings = 5 * len(rules.slos)
    assert f"SUCCESS: {len(rules.rules) + recordings} rules found" in checked.stdout


def _samples(scenario: Scenario, minute: int) -> list[Sample]:
    samples = []
    for text, values in scenario.series.items():
        selector = parse_selector(text)
        labels = {m.label: m.value for m in selector.matchers}
        samples.append(Sample.of(selector.name, values(minute), **labels))
    return samples


def _in_process(
    scenario: Scenario, tmp_path: Path
) -> list[tuple[str, tuple[tuple[str, str], ...], float]]:
    """Tick the evaluator once a minute over the histories (no probes); what fires at the end."""
    profile = load_profile("test")
    state = open_state(f"sqlite:///{tmp_path / 'state.db'}")
    evaluator = AlertEvaluator(
        load_rules(profile),
        profile,
        sources=(LakeLayout(tmp_path / "lake"), state),
        sinks=[],
        probes=[],
    )
    for minute in range(scenario.eval_minute + 1):
        evaluator.store.record(minute * 60.0, _samples(scenario, minute))
        evaluator.tick_rules(minute * 60.0)
    firing = [
        (a.rule, a.labels, a.value) for a in evaluator.tracker.active() if a.status == "firing"
    ]
    state.close()
    return firing


def _fill(template: str, value_text: str) -> str:
    return re.sub(r"\{value(?::[^}]*)?\}", value_text, template)


def _labels_only(template: str, labels: tuple[tuple[str, str], ...]) -> str:
    """Fill the label fields of a summary, leaving ``{value…}`` for the value's text."""
    known = dict(labels)
    return re.sub(
        r"\{([a-z_][a-z0-9_]*)(?::[^}]*)?\}",
        lambda m: m.group(0) if m.group(1) == "value" else known.get(m.group(1), ""),
        template,
    )


def _expected_alert(
    rule: Rule, labels: tuple[tuple[str, str], ...], value: float
) -> dict[str, object]:
    """What promtool must see: the rule's labels, and the summary as Prometheus renders it
    (``printf "%.4g"``, or ``humanizePercentage`` for a ``%`` field)."""
    expected_labels = {"severity": rule.severity.value, "env": "test", **dict(labels)}
    if rule.code is not None:
        expected_labels["code"] = rule.code.value
    if rule.slo is not None:
        expected_labels["slo"] = rule.slo
    text = f"{value * 100:.4g}%" if "%}" in rule.summary else f"{value:.4g}"
    return {
        "exp_labels": expected_labels,
        "exp_annotations": {
            "summary": _fill(_labels_only(rule.summary, labels), text),
            "runbook_url": rule.runbook,
        },
    }


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_prometheus_and_the_in_process_evaluator_fire_the_same_alerts(
    scenario: Scenario, tmp_path: Path
) -> None:
    firing = _in_process(scenario, tmp_path)
    assert {(rule, labels) for rule, labels, _ in firing} == scenario.fires

    rules = load_rules(load_profile("test"))
    (tmp_path / "rules.yml").write_text(render_prometheus(rules, interval_s=60))
    by_rule: dict[str, list[dict[str, object]]] = {rule.name: [] for rule in rules}
    for name, labels, value in firing:
        by_rule[name].append(_expected_alert(rules.rule(name), labels, value))
    test_file = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {
                        "series": text,
                        "values": " ".join(
                            repr(values(m)) for m in range(scenario.eval_minute + 1)
                        ),
                    }
                    for text, values in scenario.series.items()
                ],
                "alert_rule_test": [
                    {
                        "eval_time": f"{scenario.eval_minute}m",
                        "alertname": name,
                        "exp_alerts": expected,
                    }
                    for name, expected in by_rule.items()
                ],
            }
        ],
    }
    (tmp_path / "test.yml").write_text(yaml.safe_dump(test_file, sort_keys=False))
    tested = _promtool("test", "rules", str(tmp_path / "test.yml"))
    assert tested.returncode == 0, tested.stdout + tested.stderr
