"""The assign / list commands on a real state database file."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from rastup_data.experiments.assign_cli import ASSIGN_COMMANDS, assign, list_experiments
from rastup_data.state import open_state

REPO = Path(__file__).resolve().parents[2]
EXPERIMENTS = str(REPO / "experiments")


def _assign(lake: Path, *args: str) -> dict[str, object]:
    result = CliRunner().invoke(
        assign, ["--experiments-dir", EXPERIMENTS, "--lake", str(lake), *args]
    )
    assert result.exit_code == 0, result.output
    parsed: dict[str, object] = json.loads(result.output)
    return parsed


def test_assign_is_sticky_across_invocations_and_login(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    first = _assign(lake, "search_ranking_v2", "--anon-id", "a_cli1")
    again = _assign(lake, "search_ranking_v2", "--anon-id", "a_cli1")
    login = _assign(lake, "search_ranking_v2", "--anon-id", "a_cli1", "--user-id", "u_cli1")
    assert first["variant"] in ("control", "treatment")
    assert first["variant"] == again["variant"] == login["variant"]
    assert (first["reason"], again["reason"], login["reason"]) == (
        "assigned",
        "sticky",
        "inherited",
    )
    assert login["unit_id"] == "u_cli1"
    with open_state(lake=lake) as state:
        assert state.fetchone(
            "SELECT user_id FROM identity_links WHERE anon_id = ?", ("a_cli1",)
        ) == ("u_cli1",)


def test_assign_expose_prints_the_event_once(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    first = _assign(lake, "checkout_copy", "--unit", "u_exp1", "--expose")
    second = _assign(lake, "checkout_copy", "--unit", "u_exp1", "--expose")
    event = first["exposure_event"]
    assert isinstance(event, dict)
    assert event["payload"]["unit_id"] == "u_exp1"
    assert second["exposure_event"] is None


def test_assign_with_bad_input_is_a_coded_error(tmp_path: Path) -> None:
    runner = CliRunner()
    for args in (
        ["no_such_experiment", "--unit", "u_1"],
        ["search_ranking_v2"],
        ["search_ranking_v2", "--unit", "u_1", "--attr", "city"],
    ):
        result = runner.invoke(
            assign, ["--experiments-dir", EXPERIMENTS, "--lake", str(tmp_path), *args]
        )
        assert result.exit_code == 2, result.output
        assert "error: " in result.output
        assert "Traceback" not in result.output


def test_list_as_json_and_table() -> None:
    result = CliRunner().invoke(
        list_experiments, ["--experiments-dir", EXPERIMENTS, "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    by_key = {r["key"]: r for r in rows}
    assert set(by_key) == {"search_ranking_v2", "checkout_copy"}
    assert by_key["search_ranking_v2"]["variants"] == {"control": 50.0, "treatment": 50.0}
    assert by_key["search_ranking_v2"]["primary"] == ["booking_conversion"]
    table = CliRunner().invoke(list_experiments, ["--experiments-dir", EXPERIMENTS])
    assert table.exit_code == 0
    assert "search_ranking_v2" in table.output


def test_commands_are_exported_for_the_experiments_group() -> None:
    assert sorted(c.name or "" for c in ASSIGN_COMMANDS) == ["assign", "list", "validate"]
