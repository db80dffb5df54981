"""The error-code reference page, ``docs/error-codes.md``, rendered from the catalogue."""

from __future__ import annotations

from rastup_data.errors.codes import ERROR_CODES

__all__ = ["render_error_codes_markdown"]


def render_error_codes_markdown() -> str:
    """The error-code reference, as committed in ``docs/error-codes.md``."""
    lines = [
        "# Error codes",
        "",
        "Every outcome a user or operator acts on has a stable code. Codes never change once",
        "published; each has a Prometheus counter `rastup_errors_total{code, env, component,",
        "severity}`. This page is generated from `src/rastup_data/errors/catalogue.py`",
        "(`python -m rastup_data.errors > docs/error-codes.md`); a test keeps it in step.",
        "",
        "| code | HTTP | severity | component | meaning | what to do | runbook |",
        "|---|---|---|---|---|---|---|",
    ]
    for code, info in ERROR_CODES.items():
        runbook = (
            f"[{info.runbook.split('/')[-1]}](runbooks/{info.runbook.split('/')[-1]})"
            if (info.runbook)
            else ""
        )
        http = (
            str(info.http_status)
            if info.http_status
            else "per event (202)"
            if (info.component == "collector")
            else "—"
        )
        lines.append(
            f"| `{code.value}` | {http} | {info.severity.value} | {info.component} | "
            f"{info.meaning} | {info.action} | {runbook} |"
        )
    return "\n".join(lines) + "\n"
