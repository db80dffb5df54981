"""The shipped rules cover the seed's codes and SLOs; a malformed rule names file and path."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from rastup_data.alerts import load_rules
from rastup_data.alerts.rules import default_rules_path, parse_rules
from rastup_data.alerts.slo import BURN_WINDOWS
from rastup_data.environments import SLO_NAMES, load_profile
from rastup_data.errors import ErrorCode, RastupError

SEED_CODES = {
    "EVENT_SCHEMA_INVALID",
    "EVENT_ENVELOPE_INVALID",
    "EVENT_PUT_FAILED",
    "PIPELINE_LAG_EXCEEDED",
    "CTAS_FAILURE",
    "QUALITY_CHECK_FAILED",
    "ATHENA_SCANNED_BYTES_BREACH",
    "BI_REFRESH_FAILED",
    "DSAR_CONFLICT",
}
SHIPPED = yaml.safe_load(default_rules_path().read_text())


def test_every_seed_code_and_slo_has_rules() -> None:
    rules = load_rules(load_profile("prod"))
    assert {r.code.value for r in rules if r.code is not None} >= SEED_CODES
    assert {s.name for s in rules.slos} == set(SLO_NAMES)
    for slo in SLO_NAMES:
        burns = [r for r in rules if r.slo == slo]
        assert [r.params.window.factor for r in burns] == [14.4, 6.0, 1.0]
        assert [(r.params.window.long_s, r.params.window.short_s) for r in burns] == [
            (3600, 300),
            (6 * 3600, 1800),
            (3 * 86400, 6 * 3600),
        ]
        assert [r.severity.value for r in burns] == ["page", "page", "ticket"]
    assert len(BURN_WINDOWS) == 3


def test_profile_values_differ_by_environment() -> None:
    prod = load_rules(load_profile("prod"))
    lag = prod.rule("pipeline_lag")
    assert lag.params.comparison.value == 120
    assert lag.for_s == 600
    assert prod.rule("marts_late").params.comparison.value == 3600
    assert prod.rule("slo_ingest_availability_fast_burn").params.limit == pytest.approx(0.0144)
    assert prod.rule("budget_alarm").params.comparison.value == 0.8


def _broken(index: int, key: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(SHIPPED)
    data["rules"][index][key] = value
    return data


@pytest.mark.parametrize(
    ("key", "value", "where"),
    [
        ("kind", "histogram", "rules[0].kind"),
        ("code", "EVENT_LOST", "rules[0].code"),
        ("severity", "urgent", "rules[0].severity"),
        ("metric", 'rastup_errors_total{code=="X"}', "rules[0].metric"),
        ("window", "fifteen minutes", "rules[0].window"),
        ("above", "${alarms.nope}", "rules[0].above"),
        ("runbook", "https://wiki/x", "rules[0].runbook"),
        ("threshold", 3, "rules[0].threshold"),
    ],
)
def test_malformed_rules_name_the_file_and_path(key: str, value: Any, where: str) -> None:
    with pytest.raises(RastupError) as error:
        parse_rules(_broken(0, key, value), load_profile("test"), source="alerts.yaml")
    assert error.value.code is ErrorCode.CONFIG_INVALID
    assert str(error.value).startswith("CONFIG_INVALID: alerts.yaml: ")
    assert where in error.value.message


def test_two_rules_with_one_name_are_refused() -> None:
    data = copy.deepcopy(SHIPPED)
    data["rules"].append(copy.deepcopy(data["rules"][0]))
    with pytest.raises(RastupError, match="two rules are named 'event_schema_invalid'"):
        parse_rules(data, load_profile("test"))
