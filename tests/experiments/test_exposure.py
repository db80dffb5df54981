"""Exposure logging: the exp.exposure envelope, returned once per unit and experiment."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import yaml

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.experiments.assignment import Assigner
from rastup_data.experiments.catalog import load_catalog
from rastup_data.experiments.definitions import ExperimentSet, UnitType, load_experiments
from rastup_data.experiments.exposure import UnitRef, assign_and_expose, log_exposure
from rastup_data.state import StateDB, open_state

REPO = Path(__file__).resolve().parents[2]
REGISTRY = REPO / "src" / "rastup_data" / "contracts" / "registry"
NOW = datetime(2026, 6, 1, 12, 30, tzinfo=UTC)


def _validator(path: Path) -> Any:
    return jsonschema_rs.validator_for(json.loads(path.read_text()), validate_formats=True)


ENVELOPE = _validator(REGISTRY / "envelope" / "v1.json")
PAYLOAD = _validator(REGISTRY / "events" / "exp.exposure" / "v1.json")


def _assert_valid_event(event: dict[str, Any]) -> None:
    ENVELOPE.validate(event)
    PAYLOAD.validate(event["payload"])


@pytest.fixture
def experiments(tmp_path: Path) -> ExperimentSet:
    folder = tmp_path / "experiments"
    folder.mkdir()
    base = {
        "description": "exposure tests",
        "owner": "tests",
        "start": "2026-01-01T00:00:00Z",
        "variants": [{"name": "control", "weight": 50}, {"name": "treatment", "weight": 50}],
        "metrics": {"primary": ["booking_conversion"]},
    }
    for key, unit, extra in (
        ("per_user", "user", {}),
        ("per_session", "session", {}),
        ("nyc_only", "user", {"targeting": {"city": ["nyc"]}}),
    ):
        spec = {"key": key, "unit": unit, **base, **extra}
        (folder / f"{key}.yaml").write_text(yaml.safe_dump(spec))
    return load_experiments(folder, load_catalog(REPO / "metrics" / "catalog.yaml"))


@pytest.fixture
def state(state_url: str) -> Iterator[StateDB]:
    with open_state(state_url) as db:
        yield db


def test_first_call_returns_a_valid_exposure_event(
    experiments: ExperimentSet, state: StateDB
) -> None:
    assigner = Assigner(state, experiments, clock=lambda: NOW)
    assignment, event = assign_and_expose(
        assigner, "per_user", UnitRef(anon_id="a_dev1", session_id="s_1"), at=NOW
    )
    assert event is not None
    _assert_valid_event(event)
    assert event["event"] == "exp.exposure"
    assert event["v"] == 1
    assert event["occurred_at"] == "2026-06-01T12:30:00.000000Z"
    assert event["context"] == {"app": "backend", "platform": "server"}
    assert uuid.UUID(event["ids"]["event_id"]).version == 4
    assert (event["anon_id"], event["user_id"], event["session_id"]) == ("a_dev1", None, "s_1")
    assert event["payload"] == {
        "exp_key": "per_user",
        "variant": assignment.variant,
        "unit_id": "a_dev1",
        "unit_type": "anon",
    }
    row = state.fetchone(
        "SELECT variant, event_id, unit_type FROM exposures_logged "
        "WHERE exp_key = ? AND unit_id = ?",
        ("per_user", "a_dev1"),
    )
    assert row == (assignment.variant, event["ids"]["event_id"], "anon")


def test_repeated_calls_log_the_exposure_once(experiments: ExperimentSet, state: StateDB) -> None:
    assigner = Assigner(state, experiments, clock=lambda: NOW)
    results = [assign_and_expose(assigner, "per_user", UnitRef(user_id="u_42")) for _ in range(25)]
    events = [e for _, e in results if e is not None]
    assert len(events) == 1
    assert {a.variant for a, _ in results} == {events[0]["payload"]["variant"]}
    assert state.fetchone("SELECT count(*) FROM exposures_logged") == (1,)
    # Logging the same assignment directly does not log it again either.
    assert log_exposure(state, results[0][0]) is None


def test_each_unit_and_experiment_gets_its_own_exposure(
    experiments: ExperimentSet, state: StateDB
) -> None:
    assigner = Assigner(state, experiments, clock=lambda: NOW)
    first = [
        assign_and_expose(assigner, "per_user", UnitRef(user_id=f"u_{i}"))[1] for i in range(30)
    ]
    assert all(e is not None for e in first)
    assert len({e["ids"]["event_id"] for e in first if e is not None}) == 30
    other = assign_and_expose(
        assigner, "nyc_only", UnitRef(user_id="u_0"), attributes={"city": "nyc"}
    )
    assert other[1] is not None


def test_units_not_in_the_experiment_are_not_exposed(
    experiments: ExperimentSet, state: StateDB
) -> None:
    assigner = Assigner(state, experiments, clock=lambda: NOW)
    assignment, event = assign_and_expose(
        assigner, "nyc_only", UnitRef(user_id="u_1"), attributes={"city": "lax"}
    )
    assert (assignment.in_experiment, event) == (False, None)
    assert state.fetchone("SELECT count(*) FROM exposures_logged") == (0,)


def test_after_login_the_user_is_exposed_once_with_the_same_variant(
    experiments: ExperimentSet, state: StateDB
) -> None:
    assigner = Assigner(state, experiments, clock=lambda: NOW)
    anon_assignment, anon_event = assign_and_expose(assigner, "per_user", UnitRef(anon_id="a_x1"))
    user_assignment, user_event = assign_and_expose(
        assigner, "per_user", UnitRef(anon_id="a_x1", user_id="u_x1")
    )
    assert anon_event is not None
    assert user_event is not None
    _assert_valid_event(user_event)
    assert user_event["payload"]["unit_id"] == "u_x1"
    assert user_event["payload"]["unit_type"] == "user"
    assert (user_event["user_id"], user_event["anon_id"]) == ("u_x1", "a_x1")
    assert user_assignment.variant == anon_assignment.variant
    assert assign_and_expose(assigner, "per_user", UnitRef(anon_id="a_x1"))[1] is None


def test_session_exposures_name_the_person_and_carry_the_session(
    experiments: ExperimentSet, state: StateDB
) -> None:
    assigner = Assigner(state, experiments, clock=lambda: NOW)
    assignment, event = assign_and_expose(
        assigner, "per_session", UnitRef(unit_id="s_abc", anon_id="a_dev9")
    )
    assert assignment.unit_type is UnitType.SESSION
    assert event is not None
    _assert_valid_event(event)
    assert event["session_id"] == "s_abc"
    assert (event["payload"]["unit_id"], event["payload"]["unit_type"]) == ("a_dev9", "anon")
    assert (
        assign_and_expose(assigner, "per_session", UnitRef(unit_id="s_abc", anon_id="a_dev9"))[1]
        is None
    )


def test_session_exposure_without_a_person_is_a_coded_error(
    experiments: ExperimentSet, state: StateDB
) -> None:
    assigner = Assigner(state, experiments, clock=lambda: NOW)
    with pytest.raises(RastupError) as info:
        assign_and_expose(assigner, "per_session", UnitRef(unit_id="s_lonely"))
    assert info.value.code is ErrorCode.EXPERIMENT_INVALID
    # Nothing was recorded, so a corrected call still logs the exposure.
    assert state.fetchone("SELECT count(*) FROM exposures_logged") == (0,)
    assert assign_and_expose(assigner, "per_session", UnitRef(unit_id="s_lonely", user_id="u_5"))[1]


def test_bad_session_id_is_a_coded_error(experiments: ExperimentSet, state: StateDB) -> None:
    assigner = Assigner(state, experiments, clock=lambda: NOW)
    with pytest.raises(RastupError) as info:
        assign_and_expose(assigner, "per_user", UnitRef(user_id="u_1", session_id="session-1"))
    assert info.value.code is ErrorCode.EXPERIMENT_INVALID
