"""`rastup-data contracts lint|list|examples` through the real CLI entry point."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from click.testing import CliRunner

from rastup_data.cli import cli
from rastup_data.contracts import EventValidator, Registry

STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def _run(*args: str) -> Any:
    return CliRunner().invoke(cli, ["contracts", *args])


def test_help_lists_the_subcommands() -> None:
    result = _run("--help")
    assert result.exit_code == 0
    for name in ("lint", "check", "list", "examples"):
        assert name in result.stdout


def test_lint_passes_on_the_packaged_registry() -> None:
    result = _run("lint")
    assert result.exit_code == 0, result.output
    assert "43 event schema(s)" in result.stdout


def test_lint_fails_with_one_line_per_problem(registry_copy: Path, edit_schema: Any) -> None:
    edit_schema(
        registry_copy,
        "events/comms.sent/v1.json",
        lambda d: (d.pop("description"), d["properties"].update(email={"type": "string"})),
    )
    result = _run("lint", "--registry", str(registry_copy))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    file = str(registry_copy / "events/comms.sent/v1.json")
    assert {line.split(": ")[0] for line in lines} == {file}
    assert any(": $.properties.email: " in line for line in lines)
    assert any(": $.description: " in line for line in lines)
    assert "CONTRACT_LINT_FAILED" in result.stderr


def test_list_json_has_every_event_with_owner_and_required_fields(registry: Registry) -> None:
    result = _run("list", "--format", "json")
    assert result.exit_code == 0
    rows = orjson.loads(result.stdout)
    assert len(rows) == len(registry) == 43
    by_event = {row["event"]: row for row in rows}
    assert by_event["booking.leg.cancelled"]["required"] == [
        "booking_id",
        "leg_id",
        "cancelled_by",
        "reason",
    ]
    assert by_event["payout.paid"]["owner"] == "payments"
    assert all(row["v"] == 1 and row["description"] and row["owner"] for row in rows)
    assert by_event["booking.leg.requested"]["since"] == "1.1"
    assert by_event["booking.leg.confirmed"]["since"] == "1.0"


def test_list_table_has_a_header_and_a_row_per_event() -> None:
    result = _run("list")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "event catalogue v1.1"
    assert lines[1].split()[:4] == ["EVENT", "V", "SINCE", "OWNER"]
    assert len(lines) == 45
    assert any(line.startswith("exp.exposure ") and "unit_type" in line for line in lines)


def test_list_rejects_an_unknown_format() -> None:
    result = _run("list", "--format", "xml")
    assert result.exit_code == 2


def test_examples_are_valid_fresh_and_unique(validator: EventValidator) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    first = _run("examples")
    second = _run("examples")
    after = datetime.now(UTC) + timedelta(seconds=1)
    assert first.exit_code == 0
    assert second.exit_code == 0
    events = [orjson.loads(line) for line in first.stdout.splitlines()]
    again = [orjson.loads(line) for line in second.stdout.splitlines()]
    assert len(events) == 43
    assert len({event["event"] for event in events}) == 43
    for event in events:
        assert validator.check(event) is None, event["event"]
        assert uuid.UUID(event["ids"]["event_id"]).version == 4
        for field in ("occurred_at", "received_at"):
            assert STAMP.match(event[field]), event[field]
            moment = datetime.fromisoformat(event[field].replace("Z", "+00:00"))
            assert before <= moment <= after
    ids = {event["ids"]["event_id"] for event in events + again}
    assert len(ids) == 86


def test_broken_registry_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    result = _run("list", "--registry", str(tmp_path / "missing"))
    assert result.exit_code == 2
    assert "CONFIG_INVALID" in result.stderr
    broken = tmp_path / "broken"
    (broken / "events" / "x.y").mkdir(parents=True)
    (broken / "events" / "x.y" / "v1.json").write_text("{")
    result = _run("examples", "--registry", str(broken))
    assert result.exit_code == 2
    assert "CONTRACT_LINT_FAILED" in result.stderr
    assert "Traceback" not in result.output
