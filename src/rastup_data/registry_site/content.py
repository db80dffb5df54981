"""What the registry site shows, collected once and rendered by ``pages``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rastup_data.transform.manifest import DbtModel

__all__ = [
    "ChangeEntry",
    "EventEntry",
    "EventVersion",
    "FieldEntry",
    "SiteContent",
    "Usage",
    "event_page",
    "model_page",
]


@dataclass(frozen=True, slots=True)
class FieldEntry:
    """One payload field of an event version."""

    name: str
    type: str
    required: bool
    description: str
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EventVersion:
    """One registered version of an event."""

    version: int
    title: str
    description: str
    fields: tuple[FieldEntry, ...]
    schema: Mapping[str, Any]
    examples: tuple[Mapping[str, Any], ...]
    source: str


@dataclass(frozen=True, slots=True)
class ChangeEntry:
    """What changed from one version of an event to the next."""

    version: int
    changes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EventEntry:
    """An event name with all its versions."""

    name: str
    owner: str
    description: str
    versions: tuple[EventVersion, ...]
    changelog: tuple[ChangeEntry, ...]
    read_by: tuple[str, ...]  # unique ids of the dbt models whose SQL names the event

    @property
    def latest(self) -> EventVersion:
        return self.versions[-1]

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(sorted({t for f in self.latest.fields for t in f.tags}))


@dataclass(frozen=True, slots=True)
class Usage:
    """``user`` (a dashboard, experiment or metric) uses ``target`` (a model, event or metric)."""

    user_kind: str
    user_name: str
    target_kind: str
    target_name: str
    how: str = ""
    user_page: str = ""


@dataclass(frozen=True, slots=True)
class SiteContent:
    """Everything one site build shows."""

    events: tuple[EventEntry, ...]
    models: tuple[DbtModel, ...]
    metrics: tuple[Mapping[str, Any], ...]
    experiments: tuple[Mapping[str, Any], ...]
    usages: tuple[Usage, ...]
    envelope_fields: tuple[FieldEntry, ...]
    generated_at: str
    notes: tuple[str, ...] = field(default=())

    def used_by(self, target_kind: str, target_name: str) -> tuple[Usage, ...]:
        return tuple(
            u for u in self.usages if u.target_kind == target_kind and u.target_name == target_name
        )

    def model(self, unique_id: str) -> DbtModel | None:
        return next((m for m in self.models if m.unique_id == unique_id), None)


def event_page(name: str) -> str:
    """Site-relative path of an event's page."""
    return f"events/{name}.html"


def model_page(model: DbtModel) -> str:
    """Site-relative path of a model's page."""
    return f"models/{model.schema}.{model.alias}.html"
