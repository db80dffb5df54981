"""Registry lint: the rules every schema file must follow before it is published.

Rules (the ``rule`` of each :class:`LintProblem`):

- ``unreadable``: the file is not JSON, not an object, or not where schemas live.
- ``not-a-schema``: the document is not a valid JSON Schema 2020-12.
- ``metadata``: ``$schema`` (2020-12), ``title``, ``description``, ``x-owner`` or a
  non-empty ``examples`` list is missing.
- ``id-mismatch``: ``$id`` does not end with the file's path (``/events/<name>/v<N>.json``).
- ``pii-name``: a property name looks like personal data (email, phone, name, address,
  zip/postal code, birth date, IP address, SSN, passport, card number …).
- ``example-invalid``: an example is not a complete envelope valid for this (event, v),
  or it holds personal data.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import islice, pairwise
from pathlib import Path
from typing import Any

import jsonschema_rs

from rastup_data.contracts.loader import (
    DEFAULT_REGISTRY_PATH,
    EventSchema,
    Registry,
    parse_registry,
    read_registry_documents,
)
from rastup_data.contracts.pii import scan_pii
from rastup_data.contracts.validator import json_path

__all__ = ["LintProblem", "lint_registry", "pii_name_reason"]

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

# Single tokens that name personal data on their own.
_PII_TOKENS = frozenset(
    {
        "email", "emails", "mail", "phone", "phones", "telephone", "msisdn", "cellphone",
        "surname", "firstname", "lastname", "fullname", "username", "address", "addresses",
        "street", "zip", "zipcode", "postcode", "postal", "dob", "birthdate", "birthday",
        "birth", "ssn", "passport", "ip", "ipaddress", "ipv4", "ipv6", "iban", "cvv", "cvc",
        "password", "latitude", "longitude", "lat", "lng", "geolocation", "gps",
    }
)  # fmt: skip
# Adjacent token pairs that name personal data together.
_PII_PAIRS = frozenset(
    {
        ("first", "name"), ("last", "name"), ("full", "name"), ("given", "name"),
        ("family", "name"), ("middle", "name"), ("maiden", "name"), ("legal", "name"),
        ("real", "name"), ("user", "name"), ("display", "name"), ("contact", "name"),
        ("e", "mail"), ("mobile", "number"), ("card", "number"), ("credit", "card"),
        ("debit", "card"),
        ("national", "id"), ("tax", "id"), ("social", "security"), ("driver", "license"),
        ("drivers", "license"), ("driver", "licence"), ("drivers", "licence"), ("ip", "v4"),
        ("ip", "v6"), ("ipv", "4"), ("ipv", "6"),
    }
)  # fmt: skip
_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_SEPARATORS = re.compile(r"[^A-Za-z0-9]+")
# Keywords whose values are data, not schemas: never searched for property names.
_DATA_KEYWORDS = frozenset({"examples", "default", "const", "enum"})


@dataclass(frozen=True, slots=True)
class LintProblem:
    """One broken rule: the file (relative to the registry), a JSON path in it, and why."""

    source: str
    path: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.path}: {self.message} [{self.rule}]"


def lint_registry(root: Path | None = None) -> list[LintProblem]:
    """Every rule broken by the registry folder at ``root`` (default: the packaged one)."""
    folder = DEFAULT_REGISTRY_PATH if root is None else Path(root)
    registry, load_problems = parse_registry(read_registry_documents(folder), folder)
    problems = [LintProblem(p.source, "$", "unreadable", p.message) for p in load_problems]
    documents: list[tuple[str, Mapping[str, Any]]] = []
    if registry.envelope:
        documents.append((registry.envelope_source, registry.envelope))
    documents += [(schema.source, schema.schema) for schema in registry]
    valid_schemas: dict[str, jsonschema_rs.Validator] = {}
    for source, document in documents:
        problems += _metadata_problems(source, document)
        problems += _pii_name_problems(source, document)
        schema_problem = _meta_schema_problem(source, document)
        if schema_problem is None:
            valid_schemas[source] = jsonschema_rs.Draft202012Validator(
                dict(document), validate_formats=True
            )
        else:
            problems.append(schema_problem)
    envelope_validator = valid_schemas.get(registry.envelope_source)
    if envelope_validator is not None:
        problems += _envelope_example_problems(registry, envelope_validator, valid_schemas)
        for schema in registry:
            payload_validator = valid_schemas.get(schema.source)
            if payload_validator is not None:
                problems += _event_example_problems(schema, envelope_validator, payload_validator)
    return problems


def pii_name_reason(name: str) -> str | None:
    """Why a property name looks like personal data, or None. Splits snake, kebab and camel case."""
    tokens = [
        word.lower() for part in _SEPARATORS.split(name) for word in _WORDS.findall(part) if word
    ]
    if tokens == ["name"]:
        return "'name' names a person"
    for token in tokens:
        if token in _PII_TOKENS:
            return f"{token!r} names personal data"
    for pair in pairwise(tokens):
        if pair in _PII_PAIRS:
            return f"{' '.join(pair)!r} names personal data"
    return None


def _metadata_problems(source: str, document: Mapping[str, Any]) -> list[LintProblem]:
    problems: list[LintProblem] = []
    if document.get("$schema") != SCHEMA_DIALECT:
        problems.append(
            LintProblem(source, "$.$schema", "metadata", f"$schema must be {SCHEMA_DIALECT!r}")
        )
    for keyword, what in (
        ("title", "a title"),
        ("description", "a description"),
        ("x-owner", "an owner team (x-owner)"),
    ):
        value = document.get(keyword)
        if not isinstance(value, str) or not value.strip():
            problems.append(
                LintProblem(source, f"$.{keyword}", "metadata", f"missing {what}; add one")
            )
    examples = document.get("examples")
    if not isinstance(examples, list) or not examples:
        problems.append(
            LintProblem(
                source,
                "$.examples",
                "metadata",
                "missing examples; add at least one complete, valid envelope",
            )
        )
    schema_id = document.get("$id")
    if not isinstance(schema_id, str) or not schema_id.endswith("/" + source):
        problems.append(
            LintProblem(
                source,
                "$.$id",
                "id-mismatch",
                f"$id {schema_id!r} does not match the file; it must end with '/{source}'",
            )
        )
    return problems


def _pii_name_problems(source: str, document: Mapping[str, Any]) -> list[LintProblem]:
    problems = []
    for path, name in _property_names(document, "$"):
        reason = pii_name_reason(name)
        if reason is not None:
            problems.append(
                LintProblem(
                    source,
                    path,
                    "pii-name",
                    f"property name {name!r} looks like personal data ({reason}); events "
                    "carry pseudonymous ids only",
                )
            )
    return problems


def _property_names(node: object, path: str) -> Iterator[tuple[str, str]]:
    """(JSON path, property name) for every declared or required property, at any depth."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from _property_names(item, f"{path}[{index}]")
    elif isinstance(node, Mapping):
        yield from _own_property_names(node, path)
        yield from _nested_property_names(node, path)


def _own_property_names(node: Mapping[str, Any], path: str) -> Iterator[tuple[str, str]]:
    """The properties one schema object declares, then the required ones it does not."""
    properties = node.get("properties")
    declared = set(properties) if isinstance(properties, Mapping) else set()
    for name in sorted(declared):
        yield f"{path}.properties.{name}", str(name)
    required = node.get("required")
    if isinstance(required, list):
        for index, name in enumerate(required):
            if isinstance(name, str) and name not in declared:
                yield f"{path}.required[{index}]", name


def _nested_property_names(node: Mapping[str, Any], path: str) -> Iterator[tuple[str, str]]:
    """The property names of every subschema below one schema object."""
    for keyword, value in node.items():
        if keyword in _DATA_KEYWORDS:
            continue
        if keyword == "properties" and isinstance(value, Mapping):
            for name, subschema in value.items():
                yield from _property_names(subschema, f"{path}.properties.{name}")
        elif isinstance(value, Mapping | list):
            yield from _property_names(value, f"{path}.{keyword}")


def _meta_schema_problem(source: str, document: Mapping[str, Any]) -> LintProblem | None:
    try:
        jsonschema_rs.meta.validate(dict(document))
        jsonschema_rs.Draft202012Validator(dict(document), validate_formats=True)
    except (jsonschema_rs.ValidationError, jsonschema_rs.ReferencingError, ValueError) as exc:
        where = json_path("$", list(getattr(exc, "instance_path", [])))
        detail = getattr(exc, "message", str(exc))
        return LintProblem(
            source, where, "not-a-schema", f"not a valid JSON Schema 2020-12: {detail}"
        )
    return None


def _envelope_example_problems(
    registry: Registry,
    envelope: jsonschema_rs.Validator,
    valid_schemas: Mapping[str, jsonschema_rs.Validator],
) -> list[LintProblem]:
    problems = []
    examples = registry.envelope.get("examples")
    for index, example in enumerate(examples if isinstance(examples, list) else []):
        where = f"$.examples[{index}]"
        problem = _instance_problem(envelope, example, where)
        if problem is None and isinstance(example, Mapping):
            schema = registry.get(str(example.get("event")), _int(example.get("v")))
            payload = valid_schemas.get(schema.source) if schema is not None else None
            if payload is not None:
                problem = _instance_problem(payload, example.get("payload"), where + ".payload")
            if problem is None:
                problem = _pii_problem(example, where)
        if problem is not None:
            problems.append(
                LintProblem(registry.envelope_source, where, "example-invalid", problem)
            )
    return problems


def _event_example_problems(
    schema: EventSchema, envelope: jsonschema_rs.Validator, payload: jsonschema_rs.Validator
) -> list[LintProblem]:
    problems = []
    examples = schema.schema.get("examples")
    for index, example in enumerate(examples if isinstance(examples, list) else []):
        where = f"$.examples[{index}]"
        problem = _instance_problem(envelope, example, where)
        if problem is None and isinstance(example, Mapping):
            if example.get("event") != schema.event or _int(example.get("v")) != schema.version:
                problem = (
                    f"example is for {example.get('event')!r} v{example.get('v')}, "
                    f"not {schema.event!r} v{schema.version}"
                )
            else:
                problem = _instance_problem(payload, example.get("payload"), where + ".payload")
            if problem is None:
                problem = _pii_problem(example, where)
        if problem is not None:
            problems.append(LintProblem(schema.source, where, "example-invalid", problem))
    return problems


def _instance_problem(validator: jsonschema_rs.Validator, instance: Any, where: str) -> str | None:
    errors = list(islice(validator.iter_errors(instance), 1))
    if not errors:
        return None
    error = errors[0]
    return f"example is invalid at {json_path(where, list(error.instance_path))}: {error.message}"


def _pii_problem(example: Any, where: str) -> str | None:
    finding = scan_pii(example, where)
    if finding is None:
        return None
    return f"example holds personal data: {finding.describe()}"


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else -1
