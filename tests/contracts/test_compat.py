"""Compatibility diff: each breaking-change class is caught, widening is accepted."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from rastup_data.contracts import Registry, diff_registries, diff_schemas
from rastup_data.contracts.loader import EventSchema

BASE: dict[str, Any] = {
    "type": "object",
    "required": ["booking_id", "status"],
    "additionalProperties": False,
    "properties": {
        "booking_id": {"type": "string", "pattern": "^bk_[A-Za-z0-9]+$", "maxLength": 64},
        "status": {"type": "string", "enum": ["open", "closed"]},
        "note": {"type": ["string", "null"], "maxLength": 200},
        "amount_cents": {"type": "integer", "minimum": 0, "maximum": 10_000_000},
        "tags": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "meta": {"type": "object", "properties": {"source": {"type": "string"}}},
    },
}


def _changed(edit: Any) -> dict[str, Any]:
    schema = copy.deepcopy(BASE)
    edit(schema)
    return schema


def _props(schema: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = schema["properties"]
    return properties


BREAKING = [
    ("removed property", lambda s: _props(s).pop("note"), "property_removed", "$.properties.note"),
    (
        "changed type",
        lambda s: _props(s)["amount_cents"].update(type="string"),
        "type_changed",
        "$.properties.amount_cents",
    ),
    (
        "nullable removed",
        lambda s: _props(s)["note"].update(type="string"),
        "type_changed",
        "$.properties.note",
    ),
    (
        "number narrowed to integer",
        lambda s: _props(s)["meta"]["properties"]["source"].update(type="integer"),
        "type_changed",
        "$.properties.meta.properties.source",
    ),
    ("new required", lambda s: s["required"].append("note"), "required_added", "$.required"),
    (
        "enum narrowed",
        lambda s: _props(s)["status"].update(enum=["open"]),
        "enum_narrowed",
        "$.properties.status.enum",
    ),
    (
        "enum added",
        lambda s: _props(s)["note"].update(enum=["a", "b"]),
        "enum_narrowed",
        "$.properties.note.enum",
    ),
    (
        "pattern tightened",
        lambda s: _props(s)["booking_id"].update(pattern="^bk_[0-9]+$"),
        "pattern_changed",
        "$.properties.booking_id.pattern",
    ),
    (
        "pattern added",
        lambda s: _props(s)["note"].update(pattern="^[a-z]*$"),
        "pattern_changed",
        "$.properties.note.pattern",
    ),
    (
        "maxLength tightened",
        lambda s: _props(s)["note"].update(maxLength=100),
        "bound_tightened",
        "$.properties.note.maxLength",
    ),
    (
        "minimum raised",
        lambda s: _props(s)["amount_cents"].update(minimum=1),
        "bound_tightened",
        "$.properties.amount_cents.minimum",
    ),
    (
        "maximum lowered",
        lambda s: _props(s)["amount_cents"].update(maximum=100),
        "bound_tightened",
        "$.properties.amount_cents.maximum",
    ),
    (
        "minLength in items raised",
        lambda s: _props(s)["tags"]["items"].update(minLength=2),
        "bound_tightened",
        "$.properties.tags.items.minLength",
    ),
    (
        "additionalProperties closed",
        lambda s: _props(s)["meta"].update(additionalProperties=False),
        "additional_properties_closed",
        "$.properties.meta.additionalProperties",
    ),
    (
        "additionalProperties restricted",
        lambda s: _props(s)["meta"].update(additionalProperties={"type": "string"}),
        "additional_properties_closed",
        "$.properties.meta.additionalProperties",
    ),
    (
        "format added",
        lambda s: _props(s)["note"].update(format="date"),
        "format_changed",
        "$.properties.note.format",
    ),
    (
        "const added",
        lambda s: _props(s)["status"].update(const="open"),
        "const_changed",
        "$.properties.status.const",
    ),
    (
        "composition added",
        lambda s: _props(s)["note"].update(anyOf=[{"maxLength": 3}]),
        "keyword_changed",
        "$.properties.note.anyOf",
    ),
]


@pytest.mark.parametrize(("label", "edit", "kind", "path"), BREAKING, ids=[b[0] for b in BREAKING])
def test_each_breaking_change_class_is_detected(
    label: str, edit: Any, kind: str, path: str
) -> None:
    changes = diff_schemas(BASE, _changed(edit), "events/x/v1.json")
    assert [(change.kind, change.path) for change in changes] == [(kind, path)], label
    assert str(changes[0]).startswith(f"events/x/v1.json: {path}: ")


WIDENING = [
    ("new optional property", lambda s: _props(s).update(city={"type": "string"})),
    ("enum widened", lambda s: _props(s)["status"]["enum"].append("void")),
    ("nullable added", lambda s: _props(s)["booking_id"].update(type=["string", "null"])),
    ("integer widened to number", lambda s: _props(s)["amount_cents"].update(type="number")),
    ("maxLength raised", lambda s: _props(s)["note"].update(maxLength=500)),
    ("maxLength removed", lambda s: _props(s)["booking_id"].pop("maxLength")),
    ("minimum lowered", lambda s: _props(s)["amount_cents"].update(minimum=-5)),
    ("maximum raised", lambda s: _props(s)["amount_cents"].update(maximum=10**9)),
    ("pattern removed", lambda s: _props(s)["booking_id"].pop("pattern")),
    ("required dropped", lambda s: s["required"].remove("status")),
    ("additionalProperties opened", lambda s: s.update(additionalProperties=True)),
    ("annotations changed", lambda s: s.update(title="t", description="d", examples=[{}])),
    ("owner changed", lambda s: s.update({"x-owner": "payments"})),
]


@pytest.mark.parametrize(("label", "edit"), WIDENING, ids=[w[0] for w in WIDENING])
def test_widening_and_annotations_are_compatible(label: str, edit: Any) -> None:
    assert diff_schemas(BASE, _changed(edit)) == [], label


def test_identical_schemas_and_several_changes_at_once() -> None:
    assert diff_schemas(BASE, copy.deepcopy(BASE)) == []

    def many(schema: dict[str, Any]) -> None:
        _props(schema).pop("note")
        _props(schema)["status"]["enum"] = ["open"]
        schema["required"].append("amount_cents")

    kinds = sorted(change.kind for change in diff_schemas(BASE, _changed(many)))
    assert kinds == ["enum_narrowed", "property_removed", "required_added"]


def _registry(*schemas: tuple[str, int, dict[str, Any]]) -> Registry:
    events = {
        (name, version): EventSchema(name, version, schema, f"events/{name}/v{version}.json")
        for name, version, schema in schemas
    }
    return Registry(envelope={"type": "object"}, events=events)


def test_removed_event_version_is_breaking_new_ones_are_not() -> None:
    old = _registry(("a.done", 1, BASE), ("b.done", 1, BASE))
    new = _registry(("a.done", 1, BASE), ("a.done", 2, {"type": "object"}), ("c.new", 1, BASE))
    changes = diff_registries(old, new)
    assert [(c.source, c.kind) for c in changes] == [("events/b.done/v1.json", "event_removed")]


def test_breaking_change_published_as_new_version_is_fine() -> None:
    old = _registry(("a.done", 1, BASE))
    v2 = _changed(lambda s: _props(s).pop("note"))
    assert diff_registries(old, _registry(("a.done", 1, BASE), ("a.done", 2, v2))) == []
    changes = diff_registries(old, _registry(("a.done", 1, v2)))
    assert [c.kind for c in changes] == ["property_removed"]


def test_envelope_changes_are_compared_too() -> None:
    old = Registry(envelope=BASE, events={})
    new = Registry(envelope=_changed(lambda s: s["required"].append("note")), events={})
    changes = diff_registries(old, new)
    assert [(c.source, c.kind) for c in changes] == [("envelope/v1.json", "required_added")]
