"""The shipped policy loads; a malformed one is refused with the file and the path."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from rastup_data.environments import load_profile
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.governance.policy import (
    TagAction,
    default_policy_path,
    load_policy,
    parse_policy,
)

SHIPPED = yaml.safe_load(default_policy_path().read_text())


def test_shipped_policy_has_the_five_roles_and_their_tag_rules() -> None:
    policy = load_policy()
    assert set(policy.roles) == {"admin", "analyst", "finance", "trust", "viewer"}
    analyst = policy.roles["analyst"]
    assert analyst.column_action("silver", frozenset({"pii"})) is TagAction.MASKED
    assert analyst.column_action("silver", frozenset({"financial"})) is TagAction.DENIED
    assert analyst.column_action("gold", frozenset({"financial"})) is TagAction.VISIBLE
    assert analyst.column_action("silver", frozenset({"pii", "financial"})) is TagAction.DENIED
    assert policy.roles["finance"].column_action("silver", frozenset({"financial"})) is (
        TagAction.VISIBLE
    )
    assert policy.roles["admin"].grants_relation("bronze.quarantine")
    assert not policy.roles["viewer"].grants_relation("silver.fact_bookings")
    assert policy.roles["viewer"].grants_relation("gold.kpi_marketplace_daily")


def test_the_wheel_ships_the_policy_file() -> None:
    pyproject = (Path(__file__).parents[2] / "pyproject.toml").read_text()
    assert '"governance" = "rastup_data/_governance"' in pyproject
    assert default_policy_path().is_file()


def _broken(path: list[str], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(SHIPPED)
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "where"),
    [
        (["roles", "analyst", "tags", "pii"], "hidden", "roles.analyst.tags.pii"),
        (["roles", "analyst", "grantz"], ["gold.*"], "roles.analyst.grantz"),
        (["roles", "analyst", "tags", "financial"], {"silver": "denied"}, "tags.financial.*"),
        (["cost", "billing_unit"], "ten gigs", "cost.billing_unit"),
        (["partition_filters", "paths"], ["cli", "fax"], "partition_filters.paths"),
        (["city_scope", "relations", "fact_bookings"], "city", "fact_bookings"),
        (["version"], 2, "version"),
        (["cost", "alarm_ratio"], 0.5, "operations/environments"),
    ],
)
def test_malformed_policies_name_the_file_and_path(path: list[str], value: Any, where: str) -> None:
    with pytest.raises(RastupError) as error:
        parse_policy(_broken(path, value), source="policy.yaml")
    assert error.value.code is ErrorCode.POLICY_INVALID
    assert str(error.value).startswith("POLICY_INVALID: policy.yaml: ")
    assert where in error.value.message


def test_a_policy_without_admin_is_refused() -> None:
    data = copy.deepcopy(SHIPPED)
    del data["roles"]["admin"]
    with pytest.raises(RastupError, match="admin"):
        parse_policy(data)


def test_unreadable_yaml_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "policy.yaml"
    bad.write_text("roles: [unclosed")
    with pytest.raises(RastupError) as error:
        load_policy(bad)
    assert error.value.code is ErrorCode.POLICY_INVALID
    assert str(bad) in error.value.message


def test_billing_rounds_up_to_whole_units_with_the_athena_minimum() -> None:
    cost = load_policy().cost
    mib = 1024 * 1024
    assert cost.billed(0) == 10 * mib
    assert cost.billed(10 * mib + 1) == 11 * mib
    assert cost.billed(25 * mib) == 25 * mib
    assert load_profile("prod").daily_scan_budget == 2 * 10**12
    assert load_profile("stage").daily_scan_budget == 500 * 10**9
