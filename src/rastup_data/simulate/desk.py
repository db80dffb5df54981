"""What every desk of one simulation run shares, and the base that takes it."""

from __future__ import annotations

import random
from dataclasses import dataclass

from rastup_data.simulate.emitter import EventEmitter
from rastup_data.simulate.ids import IdFactory
from rastup_data.simulate.population import Population

__all__ = ["Desk", "World"]


@dataclass(frozen=True, slots=True)
class World:
    """One run's random stream, id factory, event emitter and population."""

    rng: random.Random
    ids: IdFactory
    emitter: EventEmitter
    population: Population


class Desk:
    """A part of the simulation that emits one area's events from the run's ``World``
    (the other desks it hands work to are its own constructor's arguments)."""

    def __init__(self, world: World) -> None:
        self._rng = world.rng
        self._ids = world.ids
        self._emit = world.emitter.emit
        self._population = world.population
