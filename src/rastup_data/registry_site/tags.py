"""Governance tags of event fields, shown in the registry and the data dictionary.

``pii`` marks identifiers of a person (pseudonymous ids included: they are personal data
under erasure), ``financial`` money amounts, ``free_text`` fields people type (where the
PII guard earns its keep). A schema property may add tags with ``"x-tags": [...]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["PERSON_IDENTIFIERS", "field_tags"]

#: Field names that identify a person.
PERSON_IDENTIFIERS = frozenset(
    {"user_id", "anon_id", "session_id", "unit_id", "provider_id", "subject_id"}
)
_FREE_TEXT = frozenset({"reason", "invalid_reason", "template"})


def field_tags(name: str, schema: Mapping[str, Any] | None = None) -> tuple[str, ...]:
    """The tags of a field from its name and its schema's ``x-tags``."""
    tags: set[str] = set()
    if name in PERSON_IDENTIFIERS:
        tags.add("pii")
    if name.endswith("_cents"):
        tags.add("financial")
    if name in _FREE_TEXT:
        tags.add("free_text")
    extra = (schema or {}).get("x-tags")
    if isinstance(extra, list):
        tags.update(str(t) for t in extra)
    return tuple(sorted(tags))
