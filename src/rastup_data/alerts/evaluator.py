"""The in-process evaluator: every rule over the process's metrics and the probes' gauges.

One :meth:`AlertEvaluator.tick`: run the probes that are due, read the metrics exposition
(in ``serve``: this process's, merged with its workers'), remember the samples the rules
read, evaluate every rule, advance each alert (pending → firing → resolved), and hand the
notifications to the sinks. ``start`` runs it on a thread every ``interval_s``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from rastup_data.alerts.families import FAMILIES
from rastup_data.alerts.history import AlertHistory, Notification
from rastup_data.alerts.probes import Probe, ProbeCollector, ProbeContext, default_probes
from rastup_data.alerts.rules import RuleSet
from rastup_data.alerts.samples import Sample, parse_exposition
from rastup_data.alerts.series import SeriesStore
from rastup_data.alerts.sinks import Sink, deliver
from rastup_data.alerts.tracker import AlertTracker
from rastup_data.environments import EnvironmentProfile
from rastup_data.lake.layout import LakeLayout
from rastup_data.state import StateDB

__all__ = ["ACTIVE_ALERTS_GAUGE", "AlertEvaluator"]

log = logging.getLogger(__name__)

#: Exported on ``/metrics`` after each evaluation, one series per rule and state (0 when
#: none), so a dashboard shows what fires without a Prometheus evaluating the rules.
ACTIVE_ALERTS_GAUGE = "rastup_alerts_active"
_ACTIVE_HELP = {
    ACTIVE_ALERTS_GAUGE: "Alerts of each rule pending or firing at the last evaluation "
    "(one per label set; state: pending, firing)."
}


class AlertEvaluator:
    """Evaluates a rule set against one lake, its state database and a metrics source."""

    def __init__(
        self,
        rules: RuleSet,
        profile: EnvironmentProfile,
        *,
        sources: tuple[LakeLayout, StateDB],
        sinks: Sequence[Sink],
        exposition: Callable[[], str] | None = None,
        probes: Sequence[Probe] | None = None,
    ) -> None:
        self.rules = rules
        self.profile = profile
        self.layout, self.state = sources
        self.sinks = list(sinks)
        self.exposition = exposition
        self.probes = list(default_probes() if probes is None else probes)
        self.collector = ProbeCollector(self.probes, _ACTIVE_HELP)
        self.store = SeriesStore(rules.tracked())
        self.tracker = AlertTracker(AlertHistory(self.state, profile.name), rules.repeat_every_s)
        self.tracker.forget_rules_except({rule.name for rule in rules})
        self._probe_samples: dict[str, tuple[float, list[Sample]]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.ticks = 0

    def tick_samples(self, now: float) -> None:
        """Run the due probes, read the metrics, and remember the samples the rules read."""
        samples = self._probe(now)
        self.collector.update(samples)
        if self.exposition is not None:
            probed = {s.name for s in samples}
            samples += [s for s in parse_exposition(self.exposition()) if s.name not in probed]
        self.store.record(now, samples)

    def tick(self, now: float | None = None) -> list[Notification]:
        """Evaluate every rule once at ``now`` (default: the clock); returns the notifications."""
        moment = time.time() if now is None else now
        self.tick_samples(moment)
        return self.tick_rules(moment)

    def tick_rules(self, now: float) -> list[Notification]:
        """Evaluate every rule over the remembered samples; notify what changed."""
        notes: list[Notification] = []
        for rule in self.rules:
            holding = FAMILIES[rule.kind].evaluate(rule.params, self.store, now)
            notes.extend(self.tracker.update(rule, holding, now))
        self.collector.update(self._active_samples(), group="alerts")
        deliver(self.sinks, notes)
        self.ticks += 1
        return notes

    def _active_samples(self) -> list[Sample]:
        counts = {(rule.name, state): 0 for rule in self.rules for state in ("pending", "firing")}
        severity = {rule.name: rule.severity.value for rule in self.rules}
        for alert in self.tracker.active():
            key = (alert.rule, alert.status)
            if key in counts:
                counts[key] += 1
        return [
            Sample.of(ACTIVE_ALERTS_GAUGE, n, rule=rule, severity=severity[rule], state=state)
            for (rule, state), n in counts.items()
        ]

    def _probe(self, now: float) -> list[Sample]:
        context = ProbeContext(
            self.layout, self.state, self.profile, datetime.fromtimestamp(now, UTC)
        )
        samples: list[Sample] = []
        for probe in self.probes:
            last = self._probe_samples.get(probe.name)
            if last is None or now - last[0] >= probe.every_s or now < last[0]:
                try:
                    last = (now, probe.samples(context))
                except Exception:  # one broken source must not silence every other rule
                    log.exception(
                        "alert probe %s failed; its gauges keep their last values", probe.name
                    )
                    last = (now, last[1] if last else [])
                self._probe_samples[probe.name] = last
            samples.extend(last[1])
        return samples

    # -- on a thread -------------------------------------------------------------------

    def start(self, interval_s: float) -> None:
        self._thread = threading.Thread(
            target=self._run, args=(interval_s,), name="alert-evaluator", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self, interval_s: float) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self.tick()
            except Exception:  # keep evaluating; the failure is in the log
                log.exception("alert evaluation failed")
            self._stop.wait(max(1.0, interval_s - (time.monotonic() - started)))
