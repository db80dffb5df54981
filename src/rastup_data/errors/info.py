"""What the catalogue says of one error code: ``ErrorInfo``, and its ``Severity``."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = ["ErrorInfo", "Severity"]


class Severity(str, Enum):
    """How loud an occurrence of a code should be."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """What a code means, how it answers HTTP, how loud it is, and where to read more."""

    meaning: str
    action: str
    http_status: int | None
    severity: Severity
    component: str
    runbook: str | None = None
