"""Registry lint: each rule is caught on a temporary broken copy of the registry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rastup_data.contracts import LintProblem, lint_registry
from rastup_data.contracts.lint import pii_name_reason

CANCELLED = "events/booking.leg.cancelled/v1.json"


def _problems(root: Path, rule: str) -> list[LintProblem]:
    return [problem for problem in lint_registry(root) if problem.rule == rule]


def test_packaged_registry_is_clean() -> None:
    assert lint_registry() == []


@pytest.mark.parametrize(
    "name",
    [
        "email", "userEmail", "contact_email", "phone", "phone_number", "mobileNumber",
        "first_name", "lastName", "FullName", "name", "surname", "address", "street",
        "zip", "zipCode", "postal_code", "dob", "birth_date", "birthDate", "ip",
        "ip_address", "IPAddress", "ipv4", "ssn", "passport_number", "cardNumber",
    ],
)  # fmt: skip
def test_pii_like_names_are_recognised(name: str) -> None:
    assert pii_name_reason(name) is not None


@pytest.mark.parametrize(
    "name",
    [
        "user_id", "anon_id", "template", "template_name", "listing_type", "tip_cents",
        "zipper_count", "shipping", "campaign_id", "placement", "method", "city", "channel",
    ],
)  # fmt: skip
def test_ordinary_names_pass(name: str) -> None:
    assert pii_name_reason(name) is None


@pytest.mark.parametrize(
    ("where", "name"),
    [
        (("properties",), "customer_email"),
        (("properties", "reason", "properties"), "phoneNumber"),
        (("properties",), "ip_address"),
    ],
)
def test_pii_property_names_fail_with_file_and_path(
    registry_copy: Path, edit_schema: Any, where: tuple[str, ...], name: str
) -> None:
    def add_property(document: dict[str, Any]) -> None:
        node = document
        for key in where[:-1]:
            node = node[key]
        if where[-1] not in node:
            node[where[-1]] = {}
        node[where[-1]][name] = {"type": "string", "maxLength": 10}

    edit_schema(registry_copy, CANCELLED, add_property)
    problems = _problems(registry_copy, "pii-name")
    assert [(p.source, p.path) for p in problems] == [(CANCELLED, "$." + ".".join([*where, name]))]


def test_pii_name_in_required_only_and_in_envelope(registry_copy: Path, edit_schema: Any) -> None:
    edit_schema(registry_copy, CANCELLED, lambda d: d["required"].append("home_address"))
    edit_schema(
        registry_copy,
        "envelope/v1.json",
        lambda d: d["properties"]["context"]["properties"].update({"ip": {"type": "string"}}),
    )
    found = {(p.source, p.path) for p in _problems(registry_copy, "pii-name")}
    assert found == {
        (CANCELLED, "$.required[4]"),
        ("envelope/v1.json", "$.properties.context.properties.ip"),
    }


@pytest.mark.parametrize(
    ("keyword", "path"),
    [("description", "$.description"), ("x-owner", "$.x-owner"), ("title", "$.title"),
     ("$schema", "$.$schema")],
)  # fmt: skip
def test_missing_metadata(registry_copy: Path, edit_schema: Any, keyword: str, path: str) -> None:
    edit_schema(registry_copy, CANCELLED, lambda d: d.pop(keyword))
    problems = _problems(registry_copy, "metadata")
    assert [(p.source, p.path) for p in problems] == [(CANCELLED, path)]


@pytest.mark.parametrize("examples", [None, []])
def test_missing_examples(
    registry_copy: Path, edit_schema: Any, examples: list[Any] | None
) -> None:
    def change(document: dict[str, Any]) -> None:
        if examples is None:
            del document["examples"]
        else:
            document["examples"] = examples

    edit_schema(registry_copy, CANCELLED, change)
    problems = _problems(registry_copy, "metadata")
    assert [(p.source, p.path) for p in problems] == [(CANCELLED, "$.examples")]


@pytest.mark.parametrize(
    ("breakage", "path_part"),
    [
        (lambda ex: ex["payload"].pop("reason"), "$.examples[0].payload"),
        (
            lambda ex: ex["payload"].update(cancelled_by="alien"),
            "$.examples[0].payload.cancelled_by",
        ),
        (lambda ex: ex.pop("received_at"), "$.examples[0]"),
        (lambda ex: ex["ids"].update(event_id="nope"), "$.examples[0].ids.event_id"),
        (lambda ex: ex.update(event="booking.leg.completed"), "booking.leg.completed"),
        (
            lambda ex: ex["payload"].update(reason="mail jane@example.com"),
            "$.examples[0].payload.reason",
        ),
    ],
)
def test_examples_must_validate_against_envelope_and_payload(
    registry_copy: Path, edit_schema: Any, breakage: Any, path_part: str
) -> None:
    edit_schema(registry_copy, CANCELLED, lambda d: breakage(d["examples"][0]))
    problems = _problems(registry_copy, "example-invalid")
    assert len(problems) == 1
    assert problems[0].source == CANCELLED
    assert problems[0].path == "$.examples[0]"
    assert path_part in problems[0].message


def test_id_must_match_the_folder(registry_copy: Path, edit_schema: Any) -> None:
    edit_schema(
        registry_copy,
        CANCELLED,
        lambda d: d.update(
            {"$id": "https://rastup.com/schemas/events/booking.leg.completed/v1.json"}
        ),
    )
    source = registry_copy / "events/booking.leg.cancelled/v2.json"
    source.write_bytes((registry_copy / CANCELLED).read_bytes())
    problems = _problems(registry_copy, "id-mismatch")
    assert {(p.source, p.path) for p in problems} == {
        (CANCELLED, "$.$id"),
        ("events/booking.leg.cancelled/v2.json", "$.$id"),
    }


def test_unreadable_files_and_invalid_schemas(
    registry_copy: Path, edit_schema: Any, write_json: Any
) -> None:
    (registry_copy / "events/broken.event").mkdir()
    (registry_copy / "events/broken.event/v1.json").write_text("{not json")
    (registry_copy / "events/stray.json").write_text("{}")
    write_json(registry_copy / "events/odd.event/v1.json", [1, 2])
    edit_schema(registry_copy, CANCELLED, lambda d: d["properties"]["reason"].update(type=5))
    unreadable = {p.source for p in _problems(registry_copy, "unreadable")}
    assert unreadable == {
        "events/broken.event/v1.json",
        "events/stray.json",
        "events/odd.event/v1.json",
    }
    not_schema = _problems(registry_copy, "not-a-schema")
    assert [p.source for p in not_schema] == [CANCELLED]


def test_each_problem_prints_as_one_line_with_file_and_path(
    registry_copy: Path, edit_schema: Any
) -> None:
    edit_schema(registry_copy, CANCELLED, lambda d: d.pop("x-owner"))
    (problem,) = lint_registry(registry_copy)
    assert str(problem).startswith(f"{CANCELLED}: $.x-owner: ")
    assert "\n" not in str(problem)
