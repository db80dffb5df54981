"""What the alert rules are made of: severities, rules, and the conditions they evaluate to."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from rastup_data.alerts.samples import LabelSet
from rastup_data.errors import ErrorCode

__all__ = ["AlertSeverity", "Rule", "render_summary"]


class AlertSeverity(str, Enum):
    """How soon someone must act: page now, ticket today, info when convenient."""

    PAGE = "page"
    TICKET = "ticket"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Rule:
    """One alert rule: its family (``kind``) and the family's parameters."""

    name: str
    kind: str
    severity: AlertSeverity
    summary: str
    runbook: str
    params: Any
    code: ErrorCode | None = None
    for_s: float = 0.0
    slo: str | None = None

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "severity": self.severity.value,
            "code": self.code.value if self.code else None,
            "slo": self.slo,
            "for_s": self.for_s,
            "runbook": self.runbook,
            "summary": self.summary,
        }


_FIELD = re.compile(r"\{([a-z_][a-z0-9_]*)(?::([^}]*))?\}")


def render_summary(template: str, labels: LabelSet | Mapping[str, str], value: float) -> str:
    """Fill ``{label}`` and ``{value:.1%}`` fields; an unknown label renders empty."""
    known = dict(labels)

    def field(match: re.Match[str]) -> str:
        name, spec = match.group(1), match.group(2) or ""
        if name == "value":
            try:
                return format(value, spec)
            except ValueError:
                return str(value)
        return known.get(name, "")

    return _FIELD.sub(field, template)


def prometheus_summary(template: str) -> str:
    """The same template for Prometheus: ``{{ $labels.x }}`` and ``{{ $value | … }}``."""

    def field(match: re.Match[str]) -> str:
        name, spec = match.group(1), match.group(2) or ""
        if name != "value":
            return "{{ $labels." + name + " }}"
        if spec.endswith("%"):
            return "{{ $value | humanizePercentage }}"
        return '{{ $value | printf "%.4g" }}'

    return _FIELD.sub(field, template)
