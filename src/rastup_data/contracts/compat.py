"""Backward-compatibility diff between two versions of the registry (pure functions).

A change is breaking when an event valid under the old schema may be invalid under the new
one, or a reader may lose a field it relied on: a removed (event, v) or property, a changed
or narrowed type, a new required property, a narrowed enum, an added or changed const,
pattern or format, a tightened bound (maxLength, minimum, …), closed or restricted
additional properties, or a changed composition keyword (anyOf, $ref, …) whose effect
cannot be proven harmless. New events, new versions, new optional properties and widening
are fine. Annotations (title, description, examples, ``x-*``) never matter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from rastup_data.contracts.loader import Registry

__all__ = ["BreakingChange", "diff_registries", "diff_schemas"]

EVENT_REMOVED = "event_removed"
PROPERTY_REMOVED = "property_removed"
TYPE_CHANGED = "type_changed"
REQUIRED_ADDED = "required_added"
ENUM_NARROWED = "enum_narrowed"
CONST_CHANGED = "const_changed"
PATTERN_CHANGED = "pattern_changed"
FORMAT_CHANGED = "format_changed"
BOUND_TIGHTENED = "bound_tightened"
ADDITIONAL_PROPERTIES_CLOSED = "additional_properties_closed"
KEYWORD_CHANGED = "keyword_changed"

_UPPER_BOUNDS = ("maxLength", "maxItems", "maxProperties", "maximum", "exclusiveMaximum")
_LOWER_BOUNDS = ("minLength", "minItems", "minProperties", "minimum", "exclusiveMinimum")
# Keywords holding one subschema; an absent or `true` one accepts anything.
_SUBSCHEMA_KEYWORDS = ("additionalProperties", "unevaluatedProperties", "items", "propertyNames")
# Keywords compared as a whole: any new or changed value counts as breaking.
_OPAQUE_KEYWORDS = (
    "$ref",
    "$dynamicRef",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
    "dependentRequired",
    "dependentSchemas",
    "patternProperties",
    "prefixItems",
    "contains",
    "minContains",
    "maxContains",
    "unevaluatedItems",
    "contentEncoding",
    "contentMediaType",
    "contentSchema",
)


@dataclass(frozen=True, slots=True)
class BreakingChange:
    """One incompatible difference, located by file and JSON path in the schema."""

    source: str
    path: str
    kind: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.path}: {self.message}"


def diff_registries(old: Registry, new: Registry) -> list[BreakingChange]:
    """Breaking changes from ``old`` to ``new`` for the envelope and every (event, v) in old."""
    changes: list[BreakingChange] = []
    if old.envelope and new.envelope:
        changes += diff_schemas(old.envelope, new.envelope, new.envelope_source)
    for key in sorted(old.events):
        before = old.events[key]
        after = new.events.get(key)
        if after is None:
            changes.append(
                BreakingChange(
                    before.source,
                    "$",
                    EVENT_REMOVED,
                    f"{before.event} v{before.version} was removed; published versions must "
                    "stay (deprecate them instead)",
                )
            )
            continue
        changes += diff_schemas(before.schema, after.schema, after.source)
    return changes


def diff_schemas(
    old: Mapping[str, Any] | bool,  # noqa: FBT001 - a JSON Schema may be the schema true/false
    new: Mapping[str, Any] | bool,  # noqa: FBT001 - a JSON Schema may be the schema true/false
    source: str = "",
    path: str = "$",
) -> list[BreakingChange]:
    """Breaking changes between two JSON Schemas (or boolean schemas) at ``path``."""
    if old is False:
        return []
    if new is False:
        return [
            _change(source, path, ADDITIONAL_PROPERTIES_CLOSED, "schema now rejects everything")
        ]
    before: Mapping[str, Any] = {} if old is True else old
    after: Mapping[str, Any] = {} if new is True else new
    changes: list[BreakingChange] = []
    changes += _type_changes(before, after, source, path)
    changes += _required_changes(before, after, source, path)
    changes += _property_changes(before, after, source, path)
    changes += _enum_and_const_changes(before, after, source, path)
    changes += _bound_changes(before, after, source, path)
    changes += _string_rule_changes(before, after, source, path)
    for keyword in _SUBSCHEMA_KEYWORDS:
        changes += _subschema_changes(keyword, before, after, source, path)
    for keyword in _OPAQUE_KEYWORDS:
        if keyword in after and _canonical(after[keyword]) != _canonical(before.get(keyword)):
            changes.append(
                _change(
                    source,
                    f"{path}.{keyword}",
                    KEYWORD_CHANGED,
                    f"{keyword} was added or changed; its effect cannot be proven compatible",
                )
            )
    old_defs, new_defs = before.get("$defs"), after.get("$defs")
    if isinstance(old_defs, Mapping) and isinstance(new_defs, Mapping):
        for name in sorted(set(old_defs) & set(new_defs)):
            changes += diff_schemas(old_defs[name], new_defs[name], source, f"{path}.$defs.{name}")
    return changes


def _type_changes(
    before: Mapping[str, Any], after: Mapping[str, Any], source: str, path: str
) -> list[BreakingChange]:
    old_types, new_types = _types(before), _types(after)
    if new_types is None:
        return []
    if old_types is None:
        allowed = ", ".join(sorted(new_types))
        return [_change(source, path, TYPE_CHANGED, f"type restricted to {allowed}")]
    lost = sorted(t for t in old_types if not _type_covered(t, new_types))
    if not lost:
        return []
    was, now = ", ".join(sorted(old_types)), ", ".join(sorted(new_types))
    return [_change(source, path, TYPE_CHANGED, f"type changed from {was} to {now}")]


def _required_changes(
    before: Mapping[str, Any], after: Mapping[str, Any], source: str, path: str
) -> list[BreakingChange]:
    added = sorted(_string_set(after.get("required")) - _string_set(before.get("required")))
    return [
        _change(source, f"{path}.required", REQUIRED_ADDED, f"new required property {name!r}")
        for name in added
    ]


def _property_changes(
    before: Mapping[str, Any], after: Mapping[str, Any], source: str, path: str
) -> list[BreakingChange]:
    old_props = before.get("properties")
    new_props = after.get("properties")
    if not isinstance(old_props, Mapping):
        return []
    new_props = new_props if isinstance(new_props, Mapping) else {}
    changes: list[BreakingChange] = []
    for name in old_props:
        where = f"{path}.properties.{name}"
        if name not in new_props:
            changes.append(_change(source, where, PROPERTY_REMOVED, f"property {name!r} removed"))
        else:
            changes += diff_schemas(old_props[name], new_props[name], source, where)
    return changes


def _enum_and_const_changes(
    before: Mapping[str, Any], after: Mapping[str, Any], source: str, path: str
) -> list[BreakingChange]:
    changes: list[BreakingChange] = []
    if isinstance(after.get("enum"), list):
        new_values = {_canonical(value) for value in after["enum"]}
        if not isinstance(before.get("enum"), list):
            changes.append(_change(source, f"{path}.enum", ENUM_NARROWED, "enum added"))
        else:
            removed = [v for v in before["enum"] if _canonical(v) not in new_values]
            if removed:
                listed = ", ".join(_canonical(value) for value in removed)
                changes.append(
                    _change(
                        source, f"{path}.enum", ENUM_NARROWED, f"enum narrowed: {listed} removed"
                    )
                )
    if "const" in after and (
        "const" not in before or _canonical(before["const"]) != _canonical(after["const"])
    ):
        changes.append(_change(source, f"{path}.const", CONST_CHANGED, "const added or changed"))
    return changes


def _bound_changes(
    before: Mapping[str, Any], after: Mapping[str, Any], source: str, path: str
) -> list[BreakingChange]:
    changes: list[BreakingChange] = []
    for keyword in (*_UPPER_BOUNDS, *_LOWER_BOUNDS):
        new_value = _number(after.get(keyword))
        if new_value is None:
            continue
        old_value = _number(before.get(keyword))
        upper = keyword in _UPPER_BOUNDS
        if old_value is None:
            message = f"{keyword} {new_value} added"
        elif (new_value < old_value) if upper else (new_value > old_value):
            message = f"{keyword} tightened from {old_value} to {new_value}"
        else:
            continue
        changes.append(_change(source, f"{path}.{keyword}", BOUND_TIGHTENED, message))
    new_step, old_step = _number(after.get("multipleOf")), _number(before.get("multipleOf"))
    if new_step and not (old_step is not None and old_step % new_step == 0):
        changes.append(
            _change(source, f"{path}.multipleOf", BOUND_TIGHTENED, "multipleOf added or changed")
        )
    if after.get("uniqueItems") is True and before.get("uniqueItems") is not True:
        changes.append(_change(source, f"{path}.uniqueItems", BOUND_TIGHTENED, "uniqueItems added"))
    return changes


def _string_rule_changes(
    before: Mapping[str, Any], after: Mapping[str, Any], source: str, path: str
) -> list[BreakingChange]:
    changes: list[BreakingChange] = []
    for keyword, kind in (("pattern", PATTERN_CHANGED), ("format", FORMAT_CHANGED)):
        if keyword in after and after[keyword] != before.get(keyword):
            verb = "changed" if keyword in before else "added"
            changes.append(
                _change(
                    source,
                    f"{path}.{keyword}",
                    kind,
                    f"{keyword} {verb}: {before.get(keyword)!r} -> {after[keyword]!r}",
                )
            )
    return changes


def _subschema_changes(
    keyword: str, before: Mapping[str, Any], after: Mapping[str, Any], source: str, path: str
) -> list[BreakingChange]:
    if keyword not in before and keyword not in after:
        return []
    old_value = before.get(keyword, True)
    new_value = after.get(keyword, True)
    where = f"{path}.{keyword}"
    if old_value is False or new_value is True:
        return []
    if new_value is False:
        return [_change(source, where, ADDITIONAL_PROPERTIES_CLOSED, f"{keyword} closed (false)")]
    if not isinstance(new_value, Mapping) or not isinstance(old_value, Mapping | bool):
        return []
    if old_value is True and keyword in ("additionalProperties", "unevaluatedProperties"):
        return [
            _change(
                source, where, ADDITIONAL_PROPERTIES_CLOSED, f"{keyword} restricted by a schema"
            )
        ]
    return diff_schemas(old_value, new_value, source, where)


def _types(schema: Mapping[str, Any]) -> set[str] | None:
    value = schema.get("type")
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {item for item in value if isinstance(item, str)}
    return None


def _type_covered(old_type: str, new_types: set[str]) -> bool:
    return old_type in new_types or (old_type == "integer" and "number" in new_types)


def _string_set(value: object) -> set[str]:
    if not isinstance(value, list):
        return set()
    return {item for item in value if isinstance(item, str)}


def _number(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return None


def _canonical(value: object) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def _change(source: str, path: str, kind: str, message: str) -> BreakingChange:
    return BreakingChange(source, path, kind, message)
