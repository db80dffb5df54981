"""The day loop: schedules each day's sessions and backend work, and yields lines in
send order while the golden ledger fills."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from rastup_data.simulate.backoffice import BackOffice
from rastup_data.simulate.bookings import BookingDesk
from rastup_data.simulate.cities import CITIES
from rastup_data.simulate.clock import DAY_MS
from rastup_data.simulate.comms import CommsDesk
from rastup_data.simulate.config import SimulationConfig
from rastup_data.simulate.desk import World
from rastup_data.simulate.emitter import EmitterCounts, EventEmitter
from rastup_data.simulate.ids import IdFactory
from rastup_data.simulate.ledger import GoldenLedger
from rastup_data.simulate.market import SessionSimulator
from rastup_data.simulate.population import build_population
from rastup_data.simulate.trust import TrustDesk

__all__ = ["MarketplaceSimulation"]

_HOUR_MS = 3_600_000
# Relative activity per UTC hour: US evenings are UTC 00-05, US nights UTC 07-12.
_HOUR_WEIGHTS = (9, 8, 7, 6, 4, 3, 2, 1, 1, 1, 1, 2, 3, 4, 5, 6, 6, 6, 7, 7, 7, 8, 9, 9)
_HOUR_TABLE = tuple(hour for hour, weight in enumerate(_HOUR_WEIGHTS) for _ in range(weight))
_BATCH_LINES = 8_192

_SESSION, _BUDGET, _MARKETING, _STUDIO, _ONBOARDING, _BOT = range(6)


class MarketplaceSimulation:
    """One simulation run. Iterate ``batches()`` once; then read ``golden()``."""

    def __init__(self, config: SimulationConfig) -> None:
        self.config = config
        self._rng = random.Random(config.seed)
        self._ids = IdFactory(random.Random(config.seed * 7_919 + 3))
        self._ledger = GoldenLedger(config.start_ms)
        self._emitter = EventEmitter(config, self._ledger)
        self._population = build_population(self._rng, self._ids, config.users)
        world = World(self._rng, self._ids, self._emitter, self._population)
        comms = CommsDesk(world)
        trust = TrustDesk(world)
        bookings = BookingDesk(world, comms, trust)
        self._sessions = SessionSimulator(world, bookings, trust)
        self._office = BackOffice(world, comms, trust)
        self.days_done = 0
        self._finished = False

    def batches(self) -> Iterator[list[bytes]]:
        """Lists of NDJSON lines (without newlines), in send order."""
        if self._finished or self.days_done:
            raise RuntimeError("a MarketplaceSimulation can be iterated only once")
        emitter = self._emitter
        for day in range(self.config.days):
            day_start = self.config.start_ms + day * DAY_MS
            self._sessions.experiments_live = day >= self.config.experiment_start_day
            for task in self._day_tasks(day_start):
                emitter.release_until(task[0])
                self._run_task(task)
                if emitter.ready_count >= _BATCH_LINES:
                    yield emitter.take_ready()
            self.days_done = day + 1
            yield emitter.take_ready()
        emitter.release_all()
        self._finished = True
        yield emitter.take_ready()

    def _day_tasks(self, day_start: int) -> list[tuple[int, int, int, Any]]:
        """Everything that happens on one day, in time order (ties in creation order: the
        second field is the task's index)."""
        population = self._population
        tasks: list[tuple[int, int, int, Any]] = []
        for index, campaign in enumerate(population.all_campaigns):
            tasks.append((day_start + 1_000 + index * 10, len(tasks), _BUDGET, campaign))
        self._person_tasks(day_start, tasks)
        self._office_tasks(day_start, tasks)
        tasks.sort()
        return tasks

    def _person_tasks(self, day_start: int, tasks: list[tuple[int, int, int, Any]]) -> None:
        """Each person's sessions of the day, or now and then a marketing message instead."""
        random_ = self._rng.random
        hours = _HOUR_TABLE
        n_hours = len(hours)
        for person in self._population.persons:
            if random_() >= min(0.9, 0.22 * person.propensity):
                if person.registered and random_() < 0.06:
                    t = day_start + (14 + int(random_() * 4)) * _HOUR_MS
                    tasks.append((t + int(random_() * _HOUR_MS), len(tasks), _MARKETING, person))
                continue
            devices = person.devices
            for _ in range(2 if random_() < 0.25 else 1):
                device = devices[0] if len(devices) == 1 else devices[int(random_() * 2)]
                hour = hours[int(random_() * n_hours)]
                t = day_start + hour * _HOUR_MS + int(random_() * _HOUR_MS)
                tasks.append((t, len(tasks), _SESSION, (person, device)))

    def _office_tasks(self, day_start: int, tasks: list[tuple[int, int, int, Any]]) -> None:
        """Back-office work of the day: studio reviews, onboarding, bot clicks on campaigns."""
        rng = self._rng
        random_ = rng.random
        scale = max(1, self.config.users // 2_500)
        for city in range(len(CITIES)):
            for kind in (_STUDIO, _ONBOARDING):
                for _ in range(scale + rng.randrange(0, 3)):
                    t = day_start + 3_600_000 + int(random_() * 22 * _HOUR_MS)
                    tasks.append((t, len(tasks), kind, city))
        for campaign in self._population.all_campaigns:
            for _ in range(rng.randrange(0, 2 + scale)):
                t = day_start + 60_000 + int(random_() * (DAY_MS - 120_000))
                tasks.append((t, len(tasks), _BOT, campaign))

    def _run_task(self, task: tuple[int, int, int, Any]) -> None:
        t, _, kind, subject = task
        if kind == _SESSION:
            person, device = subject
            self._sessions.run(person, device, t)
        elif kind == _BUDGET:
            self._office.set_budget(subject, t)
        elif kind == _MARKETING:
            self._office.marketing(subject, t)
        elif kind == _STUDIO:
            self._office.studio_review(subject, t)
        elif kind == _ONBOARDING:
            self._office.provider_onboarding(subject, t)
        else:
            self._office.bot_click(subject, t)

    def counts(self) -> EmitterCounts:
        return self._emitter.counts()

    def golden(self) -> dict[str, Any]:
        """The golden KPIs; only after every batch was consumed."""
        if not self._finished:
            raise RuntimeError("golden() is available once batches() is exhausted")
        counts = self._emitter.counts()
        ledger = self._ledger
        return {
            "meta": {
                "seed": self.config.seed,
                "days": self.config.days,
                "users": self.config.users,
                "start": self.config.start.isoformat(),
                "experiment_start_day": self.config.experiment_start_day,
                "as_of": ledger.as_of(),
            },
            "marts": ledger.marts(),
            "ingest": {
                "sent": counts.sent,
                "valid": counts.valid,
                "duplicates": counts.duplicates,
                "malformed": counts.malformed,
            },
            "experiments": ledger.experiments(),
        }
