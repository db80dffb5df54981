"""Experiment assignment by salted hashing, shared bit for bit with the assignment engine."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["BUCKETS", "EXPERIMENTS", "ExperimentSpec", "assign_variant", "hash_bucket"]

BUCKETS = 10_000


@dataclass(frozen=True, slots=True)
class ExperimentSpec:
    """A simulated experiment: variants with weights (summing to ``BUCKETS``) and the
    planted relative lift on booking conversion per variant."""

    key: str
    variants: tuple[str, ...]
    weights: tuple[int, ...]
    booking_lift: tuple[float, ...]
    exposure_point: str  # "search" or "checkout"


EXPERIMENTS: tuple[ExperimentSpec, ...] = (
    ExperimentSpec(
        "search_ranking_v2", ("control", "treatment"), (5000, 5000), (0.0, 0.08), "search"
    ),
    ExperimentSpec("checkout_copy", ("control", "treatment"), (5000, 5000), (0.0, 0.0), "checkout"),
)


def hash_bucket(salt: str, unit_id: str) -> int:
    """The unit's bucket in ``[0, BUCKETS)`` for an experiment salted with ``salt``."""
    digest = hashlib.sha256(f"{salt}:{unit_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def assign_variant(salt: str, unit_id: str, variants: Sequence[str], weights: Sequence[int]) -> int:
    """Index of the variant whose slice of ``[0, BUCKETS)`` holds the unit's bucket."""
    bucket = hash_bucket(salt, unit_id)
    upper = 0
    for index, weight in enumerate(weights):
        upper += weight
        if bucket < upper:
            return index
    return len(variants) - 1
