"""Events of the contracts registry as the site shows them.

The changelog of an event is computed from its versions: properties added and removed,
and the breaking changes ``contracts.compat`` finds between consecutive versions. The
models reading an event are those whose SQL names it in a string literal.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from typing import Any

from rastup_data.contracts.compat import diff_schemas
from rastup_data.contracts.loader import EventSchema, Registry
from rastup_data.registry_site.content import ChangeEntry, EventEntry, EventVersion, FieldEntry
from rastup_data.registry_site.tags import field_tags
from rastup_data.transform.manifest import DbtProject

__all__ = ["collect_events", "envelope_fields", "fields_of"]

_LITERAL = re.compile(r"'([a-z0-9_]+(?:\.[a-z0-9_]+)+)'")


def fields_of(schema: Mapping[str, Any]) -> tuple[FieldEntry, ...]:
    """The top-level properties of an object schema, in declaration order."""
    properties = schema.get("properties")
    if not isinstance(properties, Mapping):
        return ()
    required = set(schema.get("required") or ())
    return tuple(
        FieldEntry(
            name=name,
            type=_type_text(spec),
            required=name in required,
            description=str(spec.get("description") or "") if isinstance(spec, Mapping) else "",
            tags=field_tags(name, spec if isinstance(spec, Mapping) else None),
        )
        for name, spec in properties.items()
    )


def envelope_fields(registry: Registry) -> tuple[FieldEntry, ...]:
    return fields_of(registry.envelope)


def collect_events(registry: Registry, project: DbtProject | None) -> tuple[EventEntry, ...]:
    """One entry per event name, versions ascending."""
    readers = _readers(project, {schema.event for schema in registry})
    by_name: dict[str, list[EventSchema]] = {}
    for schema in registry:
        by_name.setdefault(schema.event, []).append(schema)
    entries = []
    for name in sorted(by_name):
        schemas = sorted(by_name[name], key=lambda s: s.version)
        versions = tuple(_version(s) for s in schemas)
        latest = schemas[-1]
        entries.append(
            EventEntry(
                name=name,
                owner=latest.owner,
                description=latest.description,
                versions=versions,
                changelog=_changelog(schemas),
                read_by=tuple(sorted(readers.get(name, ()))),
            )
        )
    return tuple(entries)


def _version(schema: EventSchema) -> EventVersion:
    return EventVersion(
        version=schema.version,
        title=schema.title,
        description=schema.description,
        fields=fields_of(schema.schema),
        schema=schema.schema,
        examples=schema.examples,
        source=schema.source,
    )


def _changelog(schemas: list[EventSchema]) -> tuple[ChangeEntry, ...]:
    entries = [ChangeEntry(schemas[0].version, ("First published version.",))]
    for before, after in itertools.pairwise(schemas):
        old = set((before.schema.get("properties") or {}).keys())
        new = set((after.schema.get("properties") or {}).keys())
        changes = [f"Added field `{n}`." for n in sorted(new - old)]
        changes += [f"Removed field `{n}`." for n in sorted(old - new)]
        changes += [
            f"{c.path}: {c.message} ({c.kind})."
            for c in diff_schemas(before.schema, after.schema, after.source)
            if not c.path.startswith("$.properties.") or c.path.split(".")[2] in old & new
        ]
        entries.append(ChangeEntry(after.version, tuple(changes) or ("Annotations only.",)))
    return tuple(reversed(entries))


def _readers(project: DbtProject | None, names: set[str]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    if project is None:
        return found
    for model in project.models.values():
        for literal in _LITERAL.findall(model.raw_code):
            if literal in names:
                found.setdefault(literal, set()).add(model.unique_id)
    return found


def _type_text(spec: Any) -> str:
    if not isinstance(spec, Mapping):
        return "any"
    kind = spec.get("type")
    text = " | ".join(str(k) for k in kind) if isinstance(kind, list) else str(kind or "any")
    if "enum" in spec:
        values = ", ".join(str(v) for v in spec["enum"] if v is not None)
        text += f" ({values})"
    elif "format" in spec:
        text += f" ({spec['format']})"
    return text
