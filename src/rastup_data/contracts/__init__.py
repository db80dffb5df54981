"""Event contracts: the schema registry, the event validator and the PII guard.

The collector calls ``load_validator().check(event)`` on every event after
stamping ``received_at``; ``None`` means accepted, otherwise a :class:`Rejection` with a
stable error code.
"""

from __future__ import annotations

from rastup_data.contracts.adapter import Adapters, load_adapters
from rastup_data.contracts.compat import BreakingChange, diff_registries, diff_schemas
from rastup_data.contracts.lint import LintProblem, lint_registry
from rastup_data.contracts.loader import DEFAULT_REGISTRY_PATH, EventSchema, Registry, load_registry
from rastup_data.contracts.pii import PiiFinding, find_pii, scan_pii
from rastup_data.contracts.validator import EventValidator, Rejection, load_validator

__all__ = [
    "DEFAULT_REGISTRY_PATH",
    "Adapters",
    "BreakingChange",
    "EventSchema",
    "EventValidator",
    "LintProblem",
    "PiiFinding",
    "Registry",
    "Rejection",
    "diff_registries",
    "diff_schemas",
    "find_pii",
    "lint_registry",
    "load_adapters",
    "load_registry",
    "load_validator",
    "scan_pii",
]
