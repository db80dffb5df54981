"""Every runbook an error code or an alert names exists; every page has its Check, Act and
Verify commands, and each command is a command of the product with options it has."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from runbook import RUNBOOKS, commands

from rastup_data.alerts.rules import load_rules
from rastup_data.cli import cli
from rastup_data.environments import load_profile, profile_names
from rastup_data.errors import ERROR_CODES, ErrorCode, Severity

ROOT = RUNBOOKS.parents[1]
PAGES = sorted(p.name for p in RUNBOOKS.glob("*.md") if p.name != "README.md")
#: The seed's operational codes: each has a runbook whatever its severity.
SEED = {
    ErrorCode.EVENT_SCHEMA_INVALID,
    ErrorCode.EVENT_ENVELOPE_INVALID,
    ErrorCode.EVENT_PUT_FAILED,
    ErrorCode.PIPELINE_LAG_EXCEEDED,
    ErrorCode.CTAS_FAILURE,
    ErrorCode.QUALITY_CHECK_FAILED,
    ErrorCode.ATHENA_SCANNED_BYTES_BREACH,
    ErrorCode.BI_REFRESH_FAILED,
    ErrorCode.DSAR_CONFLICT,
}


def test_every_runbook_an_error_code_names_exists() -> None:
    named = {code: info.runbook for code, info in ERROR_CODES.items() if info.runbook}
    missing = {code.value: page for code, page in named.items() if not (ROOT / page).is_file()}
    assert missing == {}


def test_every_operational_code_has_a_runbook() -> None:
    loud = {c for c, i in ERROR_CODES.items() if i.severity in (Severity.ERROR, Severity.CRITICAL)}
    without = sorted(c.value for c in loud | SEED if ERROR_CODES[c].runbook is None)
    assert without == []


@pytest.mark.parametrize("env", profile_names())
def test_every_alert_names_an_existing_runbook(env: str) -> None:
    rules = load_rules(load_profile(env))  # the SLOs' burn-rate alerts included
    pages = {r.name: r.runbook for r in rules.rules}
    assert any(name.startswith("slo_") for name in pages)
    assert {n: p for n, p in pages.items() if not (ROOT / p).is_file()} == {}
    assert {Path(p).name for p in pages.values()} <= set(PAGES)


@pytest.mark.parametrize("page", PAGES)
def test_a_page_has_check_act_and_verify_commands(page: str) -> None:
    sections = {c.section.split(" / ")[0] for c in commands(page)}
    assert {"Check", "Act", "Verify"} <= sections, page


def _resolve(argv: list[str]) -> tuple[click.Command, list[str]]:
    command: click.Command = cli
    rest = list(argv)
    while isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
        found = command.get_command(click.Context(command), rest[0])
        assert found is not None, f"no command {rest[0]!r} in {' '.join(argv)!r}"
        command, rest = found, rest[1:]
    return command, rest


@pytest.mark.parametrize("page", PAGES)
def test_every_command_of_a_page_is_a_command_of_the_product(page: str) -> None:
    values = {
        "QUERY_ID": "q",
        "DATASET": "ds_comms",
        "REQUEST_ID": "r",
        "CASE_ID": "c",
        "TOKEN_ID": "t",
        "REGISTRY": ".",
        "ADAPTERS": ".",
        "JOB": "daily_build",
        "EXPERIMENT": "e",
    }
    for command in commands(page):
        leaf, rest = _resolve(command.argv(values))
        assert not isinstance(leaf, click.Group), f"{command.line}: names a group"
        leaf.make_context(leaf.name or "", rest, resilient_parsing=False)
