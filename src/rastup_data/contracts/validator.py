"""Per-event verdicts: envelope, known (event, v), payload schema, then the PII guard.

The hot path is one compiled validator per (event, v) for the envelope with the payload
schema embedded, plus the PII prefilter. Only an invalid event pays for the slower
diagnosis that finds which stage failed and why.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import jsonschema_rs

from rastup_data.contracts.loader import Registry, load_registry
from rastup_data.contracts.pii import find_pii_in_valid_event, scan_pii
from rastup_data.errors import ErrorCode, RastupError

__all__ = ["EventValidator", "Rejection", "compile_schema", "json_path", "load_validator"]

_MAX_DETAIL = 200
_MAX_ERRORS = 20


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why one event was refused: a stable code and a message that says what is wrong."""

    code: ErrorCode
    message: str


class EventValidator:
    """Checks event dicts against a :class:`Registry`; build it once, call :meth:`check` often."""

    def __init__(self, registry: Registry) -> None:
        self._envelope = compile_schema(registry.envelope, registry.envelope_source)
        self._payloads: dict[tuple[str, int], jsonschema_rs.Validator] = {}
        self._combined: dict[tuple[str, int], jsonschema_rs.Validator] = {}
        self._versions: dict[str, list[int]] = {}
        for key, schema in registry.events.items():
            self._payloads[key] = compile_schema(schema.schema, schema.source)
            self._combined[key] = compile_schema(
                _embed_payload(registry.envelope, schema.schema), schema.source
            )
            self._versions.setdefault(schema.event, []).append(schema.version)

    @property
    def known(self) -> frozenset[tuple[str, int]]:
        return frozenset(self._payloads)

    def check(self, event: dict[str, Any]) -> Rejection | None:
        """None if the event is acceptable, else the first :class:`Rejection` that applies."""
        try:
            combined = self._combined.get((event["event"], event["v"]))
        except (KeyError, TypeError, IndexError):
            combined = None
        if combined is not None and combined.is_valid(event):
            finding = find_pii_in_valid_event(event)
            return None if finding is None else _pii_rejection(finding.describe())
        return self._diagnose(event)

    def _diagnose(self, event: object) -> Rejection | None:
        if not isinstance(event, dict):
            return Rejection(
                ErrorCode.EVENT_ENVELOPE_INVALID,
                f"an event must be a JSON object, not {_json_type(event)}; "
                "send envelopes as in `rastup-data contracts examples`.",
            )
        problem = _first_problem(self._envelope, event, "$")
        if problem is not None:
            return Rejection(ErrorCode.EVENT_ENVELOPE_INVALID, f"envelope invalid: {problem}")
        name, version = event["event"], event["v"]
        payload_validator = self._payloads.get((name, version))
        if payload_validator is None:
            versions = sorted(self._versions.get(name, ()))
            if versions:
                known = ", ".join(str(v) for v in versions)
                detail = f"event {name!r} has no version {version}; registered versions: {known}"
            else:
                detail = f"no schema is registered for event {name!r}"
            return Rejection(
                ErrorCode.EVENT_UNKNOWN,
                f"{detail}. Register the schema, or fix the event name/version.",
            )
        problem = _first_problem(payload_validator, event["payload"], "$.payload")
        if problem is not None:
            return Rejection(ErrorCode.EVENT_SCHEMA_INVALID, f"payload invalid: {problem}")
        finding = scan_pii(event)
        return None if finding is None else _pii_rejection(finding.describe())


def compile_schema(schema: Mapping[str, Any], source: str) -> jsonschema_rs.Validator:
    """A 2020-12 validator with format checks on; a broken schema is a lint failure."""
    try:
        return jsonschema_rs.Draft202012Validator(dict(schema), validate_formats=True)
    except (jsonschema_rs.ValidationError, jsonschema_rs.ReferencingError, ValueError) as exc:
        raise RastupError(
            ErrorCode.CONTRACT_LINT_FAILED,
            f"{source}: not a valid JSON Schema ({exc}). Fix the schema, then run "
            "`rastup-data contracts lint`.",
        ) from exc


def json_path(base: str, parts: list[str | int]) -> str:
    """``$.payload`` + ``["items", 0, "id"]`` -> ``$.payload.items[0].id``."""
    path = base
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _first_problem(validator: jsonschema_rs.Validator, instance: Any, base: str) -> str | None:
    errors = list(islice(validator.iter_errors(instance), _MAX_ERRORS))
    if not errors:
        return None
    errors.sort(key=lambda error: (len(error.instance_path), [str(p) for p in error.instance_path]))
    first = errors[0]
    message = first.message
    if len(message) > _MAX_DETAIL:
        message = message[: _MAX_DETAIL - 1] + "…"
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    return f"{json_path(base, list(first.instance_path))}: {message}{more}"


def _embed_payload(envelope: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    combined = copy.deepcopy(dict(envelope))
    combined.pop("examples", None)
    properties = dict(combined.get("properties", {}))
    properties["payload"] = {key: value for key, value in payload.items() if key != "examples"}
    combined["properties"] = properties
    return combined


def _pii_rejection(where: str) -> Rejection:
    return Rejection(
        ErrorCode.EVENT_PII_DETECTED,
        f"personal data found: {where}. Remove it from the event and use pseudonymous ids.",
    )


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return type(value).__name__


def load_validator(path: Path | None = None) -> EventValidator:
    """Load the registry at ``path`` (default: the packaged one) and compile its validator."""
    return EventValidator(load_registry(path))
