"""The gate report: all results of one run, what blocks publication, and how it reads."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from rastup_data.quality.model import CheckResult, CheckSeverity, CheckStatus

__all__ = ["GateReport", "print_report", "render_report", "render_report_rich"]

_STATUS_STYLE = {"passed": "green", "skipped": "yellow", "warn": "yellow", "error": "bold red"}


@dataclass(frozen=True, slots=True)
class GateReport:
    """The ordered results of one quality-gate run."""

    results: tuple[CheckResult, ...]

    @property
    def passed(self) -> bool:
        """True when no error-severity check failed (warnings and skips do not block)."""
        return not self.blocking

    @property
    def blocking(self) -> tuple[CheckResult, ...]:
        return tuple(r for r in self.results if r.blocking)

    @property
    def warnings(self) -> tuple[CheckResult, ...]:
        return tuple(r for r in self.results if r.failed and r.severity is CheckSeverity.WARN)

    @property
    def skipped(self) -> tuple[CheckResult, ...]:
        return tuple(r for r in self.results if r.skipped)

    @property
    def alerts(self) -> tuple[CheckResult, ...]:
        """The results that raise an alert signal (see ``CheckSpec.alert``)."""
        return tuple(r for r in self.results if r.raises_alert)

    def alert_counts(self) -> dict[str, int]:
        """Alert signal -> how many checks raised it in this run (for a metrics counter)."""
        counts: dict[str, int] = {}
        for result in self.alerts:
            counts[result.alert] = counts.get(result.alert, 0) + 1
        return counts

    def result(self, name: str) -> CheckResult:
        """The result of the check called ``name``; KeyError if it did not run."""
        for result in self.results:
            if result.name == name:
                return result
        raise KeyError(name)

    def counts(self) -> dict[str, int]:
        return {
            "total": len(self.results),
            "passed": sum(r.passed for r in self.results),
            "warnings": len(self.warnings),
            "errors": len(self.blocking),
            "skipped": len(self.skipped),
            "alerts": len(self.alerts),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "counts": self.counts(),
            "blocking": [r.name for r in self.blocking],
            "warnings": [r.name for r in self.warnings],
            "alerts": self.alert_counts(),
            "results": [r.to_dict() for r in self.results],
        }

    def render(self, *, sample_rows: int = 5) -> str:
        """Plain text: a summary line, one line per check, then the evidence of failures."""
        return render_report(self, sample_rows=sample_rows)


def _outcome(result: CheckResult) -> str:
    if result.status is CheckStatus.FAILED:
        return result.severity.value
    return str(result.status.value)


def _summary_line(report: GateReport) -> str:
    counts = report.counts()
    verdict = "PASSED" if report.passed else "BLOCKED"
    alerts = f", {counts['alerts']} alert(s)" if counts["alerts"] else ""
    return (
        f"quality gate {verdict}: {counts['passed']} passed, {counts['errors']} error(s), "
        f"{counts['warnings']} warning(s){alerts}, {counts['skipped']} skipped of "
        f"{counts['total']}"
    )


def _rows_table(rows: Sequence[dict[str, Any]]) -> list[str]:
    columns: list[str] = []
    for row in rows:
        columns.extend(col for col in row if col not in columns)
    cells = [[_cell(row.get(col)) for col in columns] for row in rows]
    widths = [max(len(col), *(len(line[i]) for line in cells)) for i, col in enumerate(columns)]
    header = "  ".join(col.ljust(w) for col, w in zip(columns, widths, strict=True))
    body = ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in cells]
    return [header.rstrip(), *(line.rstrip() for line in body)]


def _cell(value: Any) -> str:
    text = "NULL" if value is None else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def render_report(report: GateReport, *, sample_rows: int = 5) -> str:
    """The report as plain text, naming each failing check and showing sample failing rows."""
    lines = [_summary_line(report)]
    width = max((len(r.name) for r in report.results), default=0)
    for result in report.results:
        lines.append(f"  {_outcome(result).upper():<7} {result.name:<{width}}  {result.message}")
    failures = [r for r in report.results if r.failed]
    for result in failures:
        lines.append("")
        lines.append(
            f"{result.severity.value.upper()} {result.name} ({result.kind.value}"
            f"{', ' + result.table if result.table else ''})"
        )
        lines.append(f"  {result.message}")
        if result.raises_alert:
            lines.append(f"  alert: {result.alert}")
        lines.append(f"  observed: {_cell(result.observed)}   threshold: {_cell(result.threshold)}")
        shown = result.sample_rows[:sample_rows]
        if shown:
            lines.append(f"  sample rows ({len(shown)}):")
            lines.extend("    " + line for line in _rows_table(shown))
    return "\n".join(lines) + "\n"


def print_report(
    report: GateReport,
    console: Console | None = None,
    *,
    sample_rows: int = 5,
    show_passed: bool = False,
) -> None:
    """Print the report with rich: a table of the checks that did not pass (all of them with
    ``show_passed``), then one table of sample rows per failure."""
    out = console or Console()
    verdict_style = "green" if report.passed else "bold red"
    out.print(Text(_summary_line(report), style=verdict_style))
    table = Table(show_edge=False, pad_edge=False)
    for header in ("outcome", "check", "kind", "message"):
        table.add_column(header, overflow="fold")
    for result in report.results:
        if result.passed and not show_passed:
            continue
        outcome = _outcome(result)
        table.add_row(
            Text(outcome, style=_STATUS_STYLE.get(outcome, "")),
            result.name,
            result.kind.value,
            result.message,
        )
    if table.row_count:
        out.print(table)
    for result in (r for r in report.results if r.failed):
        shown = result.sample_rows[:sample_rows]
        title = f"{result.severity.value.upper()} {result.name}: sample failing rows"
        if not shown:
            out.print(Text(f"{title}: none", style=_STATUS_STYLE[result.severity.value]))
            continue
        columns: list[str] = []
        for row in shown:
            columns.extend(col for col in row if col not in columns)
        samples = Table(title=title, show_edge=False)
        for col in columns:
            samples.add_column(col)
        for row in shown:
            samples.add_row(*(_cell(row.get(col)) for col in columns))
        out.print(samples)


def render_report_rich(report: GateReport, *, width: int = 120, sample_rows: int = 5) -> str:
    """The rich rendering captured as text (no colour codes), e.g. for logs and tests."""
    buffer = io.StringIO()
    print_report(
        report, Console(file=buffer, width=width, color_system=None), sample_rows=sample_rows
    )
    return buffer.getvalue()
