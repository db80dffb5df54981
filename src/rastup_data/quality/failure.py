"""The error a blocked gate raises: ``QUALITY_CHECK_FAILED`` with the report attached."""

from __future__ import annotations

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.quality.report import GateReport

__all__ = ["QualityCheckFailed", "raise_if_blocking"]


#: What a blocked build means for the reader, and what to do.
BUILD_BLOCKED = (
    "Nothing was published. To fix this, inspect the sample rows in the gate report, fix the "
    "data or the model, and rebuild."
)


class QualityCheckFailed(RastupError):
    """An error-severity check failed; the build must not be published (or, for an audit of
    a warehouse, whatever ``consequence`` says)."""

    def __init__(self, report: GateReport, *, consequence: str = BUILD_BLOCKED) -> None:
        blocking = report.blocking
        names = ", ".join(r.name for r in blocking) or "none"
        first = f" First: {blocking[0].name}: {blocking[0].message}." if blocking else ""
        super().__init__(
            ErrorCode.QUALITY_CHECK_FAILED,
            f"{len(blocking)} error-severity quality check(s) failed: {names}.{first} "
            + consequence,
        )
        self.report = report


def raise_if_blocking(report: GateReport, *, consequence: str = BUILD_BLOCKED) -> GateReport:
    """Raise :class:`QualityCheckFailed` when ``report`` has a blocking failure; else return it.

    ``consequence`` ends the message: what the failure meant, and what to do."""
    if not report.passed:
        raise QualityCheckFailed(report, consequence=consequence)
    return report
