"""The curated public surface of rastup_data.simulate."""

from __future__ import annotations

import rastup_data.simulate as simulate_pkg


def test_public_names() -> None:
    assert set(simulate_pkg.__all__) == {
        "CITIES",
        "CITY_SEED_COLUMNS",
        "DEFAULT_START",
        "EVENTS_FILE",
        "EXPERIMENTS",
        "FUNNEL_STAGES",
        "GOLDEN_FILE",
        "MALFORMED_CLASSES",
        "City",
        "ExperimentSpec",
        "MarketplaceSimulation",
        "SimulationConfig",
        "SimulationSummary",
        "assign_variant",
        "city_seed_csv",
        "city_seed_rows",
        "hash_bucket",
        "iter_event_lines",
        "simulate",
    }
    for name in simulate_pkg.__all__:
        assert getattr(simulate_pkg, name) is not None


def test_defaults_match_the_issue() -> None:
    config = simulate_pkg.SimulationConfig()
    assert (config.days, config.users, config.start.isoformat()) == (7, 10_000, "2026-11-01")
