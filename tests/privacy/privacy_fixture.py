"""Shared records of the privacy tests."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Subjects:
    """Two users with linked anonymous ids (erase one, hold the other) and a bystander."""

    user: str
    anons: frozenset[str]
    other: str
    other_anons: frozenset[str]
