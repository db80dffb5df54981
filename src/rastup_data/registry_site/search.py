"""The data dictionary rows and the search index, both derived from the site content."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rastup_data.registry_site.content import SiteContent, event_page, model_page

__all__ = ["DictionaryRow", "dictionary_rows", "search_index"]


@dataclass(frozen=True, slots=True)
class DictionaryRow:
    """One field or column of the data dictionary (``url`` is site-relative)."""

    name: str
    owner: str
    kind: str
    type: str
    tags: tuple[str, ...]
    description: str
    url: str


def dictionary_rows(content: SiteContent) -> list[DictionaryRow]:
    """Envelope fields, every event's latest payload fields, every documented column."""
    rows = [
        DictionaryRow(
            f.name, "envelope", "envelope field", f.type, f.tags, f.description, "index.html"
        )
        for f in content.envelope_fields
    ]
    for event in content.events:
        rows += [
            DictionaryRow(
                f.name,
                event.name,
                "event field",
                f.type,
                f.tags,
                f.description,
                event_page(event.name),
            )
            for f in event.latest.fields
        ]
    for model in content.models:
        rows += [
            DictionaryRow(
                c.name,
                model.relation,
                f"{model.resource_type} column",
                c.data_type or "—",
                c.tags,
                c.description,
                model_page(model),
            )
            for c in model.columns
        ]
    return sorted(rows, key=lambda r: (r.name, r.owner))


def search_index(content: SiteContent, rows: list[DictionaryRow]) -> list[dict[str, Any]]:
    """Entries ``{k: kind, n: name, t: text, u: url, g: tags}`` the search box filters."""
    entries: list[dict[str, Any]] = []
    for event in content.events:
        text = f"{event.description} owner {event.owner} " + " ".join(
            f.name for f in event.latest.fields
        )
        entries.append(_entry("event", event.name, text, event_page(event.name), event.tags))
    for model in content.models:
        text = f"{model.description} " + " ".join(c.name for c in model.columns)
        entries.append(
            _entry(model.resource_type, model.relation, text, model_page(model), model.tags)
        )
    for metric in content.metrics:
        entries.append(
            _entry(
                "metric",
                str(metric["name"]),
                f"{metric['label']} {metric['description']}",
                f"metrics/index.html#metric-{metric['name']}",
                metric["tags"],
            )
        )
    for experiment in content.experiments:
        entries.append(
            _entry(
                "experiment",
                str(experiment["key"]),
                str(experiment["description"]),
                f"experiments/index.html#experiment-{experiment['key']}",
                (),
            )
        )
    for row in rows:
        entries.append(
            _entry(f"column of {row.owner}", row.name, row.description, row.url, row.tags)
        )
    return entries


def _entry(kind: str, name: str, text: str, url: str, tags: Any) -> dict[str, Any]:
    return {"k": kind, "n": name, "t": text, "u": url, "g": list(tags)}
