"""Stickiness: a person keeps its variant across login and on linked devices."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rastup_data.experiments.assignment import Assigner, AssignmentReason, link_identity
from rastup_data.experiments.catalog import load_catalog
from rastup_data.experiments.definitions import ExperimentSet, UnitType, load_experiments
from rastup_data.state import StateDB, open_state

REPO = Path(__file__).resolve().parents[2]
START = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture
def opened(request: pytest.FixtureRequest) -> Callable[[str], StateDB]:
    """``open_state`` whose database is closed when the test ends."""

    def open_for_test(url: str) -> StateDB:
        db = open_state(url)
        request.addfinalizer(db.close)
        return db

    return open_for_test


@pytest.fixture(scope="module")
def experiments(tmp_path_factory: pytest.TempPathFactory) -> ExperimentSet:
    folder = tmp_path_factory.mktemp("sticky") / "experiments"
    folder.mkdir()
    spec = {
        "key": "sticky_exp",
        "description": "stickiness",
        "owner": "tests",
        "unit": "user",
        "start": "2026-01-01T00:00:00Z",
        "variants": [{"name": "control", "weight": 50}, {"name": "treatment", "weight": 50}],
        "metrics": {"primary": ["booking_conversion"]},
    }
    (folder / "sticky_exp.yaml").write_text(yaml.safe_dump(spec))
    return load_experiments(folder, load_catalog(REPO / "metrics" / "catalog.yaml"))


def _variant_by_hash(unit_id: str) -> str:
    digest = hashlib.sha256(f"sticky_exp:{unit_id}".encode()).digest()
    return "control" if int.from_bytes(digest[:8], "big") % 10000 < 5000 else "treatment"


def _anon_with_variant(variant: str, *, not_equal_to: str | None = None) -> str:
    return next(
        f"a_{i}"
        for i in range(1000)
        if _variant_by_hash(f"a_{i}") == variant and f"a_{i}" != not_equal_to
    )


def test_variant_survives_login(
    experiments: ExperimentSet, state_url: str, opened: Callable[[str], StateDB]
) -> None:
    user = next(f"u_{i}" for i in range(1000) if _variant_by_hash(f"u_{i}") == "control")
    anon = _anon_with_variant("treatment")  # hashing the user would say control
    assigner = Assigner(opened(state_url), experiments, clock=lambda: START)
    before = assigner.assign("sticky_exp", anon_id=anon)
    at_login = assigner.assign("sticky_exp", anon_id=anon, user_id=user)
    after = assigner.assign("sticky_exp", user_id=user)
    assert before.variant == at_login.variant == after.variant == "treatment"
    assert (before.unit_id, before.unit_type) == (anon, UnitType.ANON)
    assert (at_login.unit_id, at_login.unit_type, at_login.reason) == (
        user,
        UnitType.USER,
        AssignmentReason.INHERITED,
    )
    assert after.reason is AssignmentReason.STICKY
    # Logged out again on the same device: the device now resolves to its user.
    logged_out = assigner.assign("sticky_exp", anon_id=anon)
    assert (logged_out.unit_id, logged_out.variant) == (user, "treatment")


def test_second_device_follows_the_user_once_linked(
    experiments: ExperimentSet, state_url: str, opened: Callable[[str], StateDB]
) -> None:
    state = opened(state_url)
    assigner = Assigner(state, experiments, clock=lambda: START)
    phone = _anon_with_variant("treatment")
    laptop = _anon_with_variant("control")
    assert assigner.assign("sticky_exp", anon_id=phone).variant == "treatment"
    first = assigner.assign("sticky_exp", anon_id=phone, user_id="u_7")
    assert first.variant == "treatment"
    # Unlinked, the laptop is its own unit with its own variant.
    assert assigner.assign("sticky_exp", anon_id=laptop).variant == "control"
    assert assigner.link_identity(laptop, "u_7") == "u_7"
    on_laptop = assigner.assign("sticky_exp", anon_id=laptop)
    assert (on_laptop.unit_id, on_laptop.variant) == ("u_7", "treatment")


def test_earliest_assigned_linked_device_decides_the_users_variant(
    experiments: ExperimentSet, state_url: str, opened: Callable[[str], StateDB]
) -> None:
    assigner = Assigner(opened(state_url), experiments)
    older = _anon_with_variant("control")
    newer = _anon_with_variant("treatment")
    assigner.assign("sticky_exp", anon_id=older, at=START)
    assigner.assign("sticky_exp", anon_id=newer, at=START + timedelta(hours=1))
    assigner.link_identity(newer, "u_two_devices")
    assigner.link_identity(older, "u_two_devices")
    on_newer = assigner.assign("sticky_exp", anon_id=newer, at=START + timedelta(hours=2))
    assert (on_newer.unit_id, on_newer.variant) == ("u_two_devices", "control")
    assert on_newer.reason is AssignmentReason.INHERITED


def test_first_link_of_a_shared_device_wins(
    experiments: ExperimentSet, state_url: str, opened: Callable[[str], StateDB]
) -> None:
    state = opened(state_url)
    assert link_identity(state, "a_shared", "u_first") == "u_first"
    assert link_identity(state, "a_shared", "u_second") == "u_first"
    assigner = Assigner(state, experiments, clock=lambda: START)
    second = assigner.assign("sticky_exp", anon_id="a_shared", user_id="u_second")
    assert second.unit_id == "u_second"
    assert second.variant == _variant_by_hash("u_second")


def test_links_and_assignments_persist_across_reopen(
    experiments: ExperimentSet, state_url: str
) -> None:
    url = state_url
    anon = _anon_with_variant("treatment")
    with open_state(url) as state:
        Assigner(state, experiments, clock=lambda: START).assign("sticky_exp", anon_id=anon)
    with open_state(url) as state:
        again = Assigner(state, experiments, clock=lambda: START).assign(
            "sticky_exp", anon_id=anon, user_id="u_persist"
        )
    assert (again.variant, again.reason) == ("treatment", AssignmentReason.INHERITED)


visits = st.lists(
    st.tuples(st.integers(0, 3), st.sampled_from(["anon", "login", "link"])),
    min_size=1,
    max_size=25,
)


@settings(max_examples=100, deadline=None)
@example(
    visits=[(0, "anon"), (1, "anon"), (1, "link"), (0, "link"), (1, "anon")],
    device_seed=2,
    user_seed=1,
)
@given(visits=visits, device_seed=st.integers(0, 10_000), user_seed=st.integers(0, 10_000))
def test_property_a_person_never_flips_once_resolved(
    experiments: ExperimentSet,
    visits: list[tuple[int, str]],
    device_seed: int,
    user_seed: int,
) -> None:
    """Model: devices keep their own variant until linked; the user's variant is fixed when
    the user is first resolved (inherited from the earliest-assigned linked device, else
    hashed) and every visit resolving to the user gets it from then on."""
    user = f"u_{user_seed}"
    devices = [f"a_{device_seed}_{d}" for d in range(4)]
    assigner = Assigner(open_state("sqlite:///:memory:"), experiments)
    linked: set[int] = set()
    first_seen: dict[int, int] = {}
    device_variant: dict[int, str] = {}
    user_variant: str | None = None
    for step, (device, action) in enumerate(visits):
        at = START + timedelta(seconds=step)
        if action == "link":
            assigner.link_identity(devices[device], user, at=at)
            linked.add(device)
            continue
        if action == "login":
            result = assigner.assign("sticky_exp", anon_id=devices[device], user_id=user, at=at)
            linked.add(device)
        else:
            result = assigner.assign("sticky_exp", anon_id=devices[device], at=at)
        if device in linked:
            if user_variant is None:
                candidates = sorted((first_seen[d], d) for d in linked if d in first_seen)
                user_variant = (
                    device_variant[candidates[0][1]] if candidates else _variant_by_hash(user)
                )
            assert (result.unit_id, result.variant) == (user, user_variant)
        else:
            first_seen.setdefault(device, step)
            expected = device_variant.setdefault(device, _variant_by_hash(devices[device]))
            assert (result.unit_id, result.variant) == (devices[device], expected)
        assert result.in_experiment
