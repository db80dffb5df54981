"""Marketplace simulator with an independent golden-KPI ledger.

``simulate(out_dir, ...)`` writes ``events.ndjson`` and ``golden.json``;
``iter_event_lines(config)`` and ``MarketplaceSimulation`` generate without files.
"""

from __future__ import annotations

from rastup_data.simulate.assignment import EXPERIMENTS as EXPERIMENTS
from rastup_data.simulate.assignment import ExperimentSpec as ExperimentSpec
from rastup_data.simulate.assignment import assign_variant as assign_variant
from rastup_data.simulate.assignment import hash_bucket as hash_bucket
from rastup_data.simulate.cities import CITIES as CITIES
from rastup_data.simulate.cities import CITY_SEED_COLUMNS as CITY_SEED_COLUMNS
from rastup_data.simulate.cities import City as City
from rastup_data.simulate.cities import city_seed_csv as city_seed_csv
from rastup_data.simulate.cities import city_seed_rows as city_seed_rows
from rastup_data.simulate.config import DEFAULT_START as DEFAULT_START
from rastup_data.simulate.config import SimulationConfig as SimulationConfig
from rastup_data.simulate.engine import MarketplaceSimulation as MarketplaceSimulation
from rastup_data.simulate.faults import MALFORMED_CLASSES as MALFORMED_CLASSES
from rastup_data.simulate.ledger import FUNNEL_STAGES as FUNNEL_STAGES
from rastup_data.simulate.runner import EVENTS_FILE as EVENTS_FILE
from rastup_data.simulate.runner import GOLDEN_FILE as GOLDEN_FILE
from rastup_data.simulate.runner import SimulationSummary as SimulationSummary
from rastup_data.simulate.runner import iter_event_lines as iter_event_lines
from rastup_data.simulate.runner import simulate as simulate

__all__ = [
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
]
