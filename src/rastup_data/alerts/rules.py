"""The alert rules file: ``operations/alerts.yaml`` (shipped as ``rastup_data/_operations``).

Loaded for one environment: ``${…}`` values come from its profile, and each SLO becomes
three burn-rate rules (:data:`~rastup_data.alerts.slo.BURN_WINDOWS`). Validated strictly:
an unknown key, kind, code or profile value is ``CONFIG_INVALID`` naming the file and the
path inside it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rastup_data.alerts.families import FAMILIES
from rastup_data.alerts.families.burn_rate import BurnRateParams
from rastup_data.alerts.model import AlertSeverity, Rule
from rastup_data.alerts.reader import RuleReader
from rastup_data.alerts.selectors import Selector
from rastup_data.alerts.slo import (
    BURN_WINDOWS,
    Indicator,
    LatencyIndicator,
    RatioIndicator,
    TimeAboveIndicator,
)
from rastup_data.config import Settings
from rastup_data.environments import SLO_NAMES, DocumentChecker, EnvironmentProfile
from rastup_data.environments.document import join_path, read_yaml_document
from rastup_data.errors import ErrorCode, RastupError

__all__ = ["RuleSet", "SloSpec", "default_rules_path", "load_rules", "parse_rules"]

_COMMON = ("name", "kind", "severity", "summary", "runbook", "code", "for")
_FAMILY_KEYS = {
    "counter": ("metric", "window", "ratio_of", "by", "above", "at_least", "below"),
    "gauge": ("metric", "by", "above", "at_least", "below"),
    "quantile": ("histogram", "q", "window", "above", "at_least", "below"),
    "anomaly": (
        "current",
        "baseline",
        "by",
        "above",
        "below",
        "min_current",
        "min_baseline",
    ),
}


@dataclass(frozen=True, slots=True)
class SloSpec:
    """An SLO of the rules file with its environment's objective."""

    name: str
    description: str
    runbook: str
    indicator: Indicator
    objective: float

    @property
    def error_budget(self) -> float:
        return 1.0 - self.objective


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Every rule of one environment, in file order (SLO burn-rate rules first)."""

    source: str
    env: str
    repeat_every_s: float
    slos: tuple[SloSpec, ...]
    rules: tuple[Rule, ...]

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def rule(self, name: str) -> Rule:
        for rule in self.rules:
            if rule.name == name:
                return rule
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"no alert rule named {name!r}. To fix this, use one of `rastup-data alerts list`.",
        )

    def tracked(self) -> dict[Selector, float]:
        """Every selector the rules read, with the longest history any of them needs."""
        tracked: dict[Selector, float] = {}
        for rule in self.rules:
            family = FAMILIES[rule.kind]
            for selector, window in family.tracked(rule.params).items():
                tracked[selector] = max(tracked.get(selector, 0.0), window + rule.for_s)
        return tracked


def default_rules_path() -> Path:
    """The shipped rules: packaged in a wheel (``rastup_data/_operations``) or the repo's."""
    here = Path(__file__).resolve()
    packaged = here.parents[1] / "_operations" / "alerts.yaml"
    return packaged if packaged.is_file() else here.parents[3] / "operations" / "alerts.yaml"


def load_rules(profile: EnvironmentProfile, path: str | Path | None = None) -> RuleSet:
    """The rules of ``path`` (default: ``$RASTUP_ALERT_RULES``, else the shipped file)."""
    file = Path(path) if path is not None else Settings.from_env().alert_rules_path
    file = file or default_rules_path()
    data = read_yaml_document(file, ErrorCode.CONFIG_INVALID, "the alert rules")
    return parse_rules(data, profile, source=str(file))


def parse_rules(data: Any, profile: EnvironmentProfile, *, source: str = "<rules>") -> RuleSet:
    """Validate a parsed rules document for ``profile``'s environment."""
    check = DocumentChecker(source, ErrorCode.CONFIG_INVALID)
    top = check.mapping(data, "", required=("version", "rules"), optional=("repeat_every", "slos"))
    if top["version"] != 1:
        check.fail("version", f"unsupported version {top['version']!r} (expected 1)")
    slos = _slos(check, top.get("slos", {}), profile)
    rules = [rule for slo in slos for rule in _burn_rules(slo)]
    for index, body in enumerate(check.items(top["rules"], "rules")):
        rules.append(_rule(check, body, join_path("rules", index), profile))
    seen: set[str] = set()
    for rule in rules:
        if rule.name in seen:
            check.fail("rules", f"two rules are named {rule.name!r}")
        seen.add(rule.name)
    repeat = check.duration(top.get("repeat_every", "4h"), "repeat_every")
    return RuleSet(source, profile.name, repeat, tuple(slos), tuple(rules))


def _runbook(check: DocumentChecker, value: Any, path: str) -> str:
    text = check.text(value, path)
    if not (text.startswith("docs/runbooks/") and text.endswith(".md")):
        check.fail(path, f"a runbook is a page docs/runbooks/<name>.md, got {text!r}")
    return text


def _slos(check: DocumentChecker, value: Any, profile: EnvironmentProfile) -> list[SloSpec]:
    slos = []
    for name, body in check.mapping(value, "slos").items():
        path = join_path("slos", name)
        if name not in SLO_NAMES:
            check.fail(path, f"no such SLO in the profiles (one of {', '.join(SLO_NAMES)})")
        entry = check.mapping(
            body, path, required=("indicator", "runbook"), optional=("description",)
        )
        slos.append(
            SloSpec(
                name=name,
                description=str(entry.get("description", "")),
                runbook=_runbook(check, entry["runbook"], join_path(path, "runbook")),
                indicator=_indicator(
                    RuleReader(check, entry["indicator"], join_path(path, "indicator"), profile)
                ),
                objective=profile.slo(name).objective,
            )
        )
    return slos


def _indicator(reader: RuleReader) -> Indicator:
    body = reader.check.mapping(
        reader.body,
        reader.path,
        required=("kind",),
        optional=("bad", "total", "histogram", "gauge", "threshold"),
    )
    kind = reader.check.choice(
        body["kind"], reader.where("kind"), ("ratio", "latency", "time_above")
    )
    if kind == "ratio":
        return RatioIndicator(reader.selector("bad"), reader.selector("total"))
    # A threshold is a duration (``60s``, a profile value) or 0 (any value above zero).
    threshold = 0.0 if reader.body.get("threshold") == 0 else reader.duration("threshold")
    if kind == "latency":
        name = reader.check.name(reader.require("histogram"), reader.where("histogram"))
        return LatencyIndicator(name, threshold)
    return TimeAboveIndicator(reader.selector("gauge"), threshold)


def _burn_rules(slo: SloSpec) -> list[Rule]:
    return [
        Rule(
            name=f"slo_{slo.name}_{window.name}",
            kind="burn_rate",
            severity=window.severity,
            summary=(
                f"{slo.name} burns its error budget at {{value:.1f}}× the sustainable rate "
                f"(over {_hours(window.long_s)} and {_hours(window.short_s)})"
            ),
            runbook=slo.runbook,
            params=BurnRateParams(slo.name, slo.indicator, window, slo.error_budget),
            slo=slo.name,
        )
        for window in BURN_WINDOWS
    ]


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:g} h" if seconds >= 3600 else f"{seconds / 60:g} min"


def _rule(check: DocumentChecker, value: Any, path: str, profile: EnvironmentProfile) -> Rule:
    kind = check.mapping(value, path).get("kind")
    if kind not in _FAMILY_KEYS:
        check.fail(join_path(path, "kind"), f"{kind!r} is not one of {', '.join(_FAMILY_KEYS)}")
    body = check.mapping(
        value,
        path,
        required=("name", "kind", "severity", "summary", "runbook"),
        optional=(*_COMMON, *_FAMILY_KEYS[kind]),
    )
    reader = RuleReader(check, body, path, profile)
    code = body.get("code")
    if code is not None and code not in ErrorCode.__members__:
        check.fail(join_path(path, "code"), f"{code!r} is not an error code (docs/error-codes.md)")
    severity = check.choice(
        body["severity"], join_path(path, "severity"), tuple(s.value for s in AlertSeverity)
    )
    return Rule(
        name=check.name(body["name"], join_path(path, "name")),
        kind=kind,
        severity=AlertSeverity(severity),
        summary=check.text(body["summary"], join_path(path, "summary")),
        runbook=_runbook(check, body["runbook"], join_path(path, "runbook")),
        params=FAMILIES[kind].parse(reader),
        code=ErrorCode[code] if code is not None else None,
        for_s=reader.duration("for", default=0.0) if "for" in body else 0.0,
    )
