"""``build_site``: collect the registry's content, render it, write a static folder.

The folder is written beside its destination and renamed into place, so a reader (the
``/registry`` route, a web server) never sees half a site.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from rastup_data.contracts.loader import load_registry
from rastup_data.experiments.home import locate_definitions
from rastup_data.registry_site.content import SiteContent
from rastup_data.registry_site.events import collect_events, envelope_fields
from rastup_data.registry_site.pages import render_pages
from rastup_data.registry_site.search import dictionary_rows, search_index
from rastup_data.registry_site.usage import UsageContext, collect_usages
from rastup_data.storage import LocalStorage
from rastup_data.transform.manifest import DbtProject

__all__ = [
    "RenderedSite",
    "SiteOptions",
    "SiteResult",
    "build_site",
    "collect_content",
    "render_site",
    "write_site",
]

_ASSETS = Path(__file__).resolve().parent / "assets"


@dataclass(frozen=True, slots=True)
class SiteOptions:
    """Where the site's sources are. ``project`` None: a site without models."""

    project: DbtProject | None
    registry: Path | None = None
    #: Defaults: where `experiments …` commands find them (rastup_data.experiments.home).
    metrics: Path | None = field(default_factory=lambda: locate_definitions().catalog)
    experiments: Path | None = field(default_factory=lambda: locate_definitions().experiments_dir)
    dashboards: Path | None = Path("dashboards")
    generated_at: str = field(
        default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    )


@dataclass(frozen=True, slots=True)
class SiteResult:
    """What a build wrote."""

    path: Path
    pages: int
    events: int
    models: int
    dictionary_entries: int
    #: What was left out and why (no build yet, a catalogue or experiment that did not load).
    notes: tuple[str, ...] = ()


def collect_content(options: SiteOptions) -> SiteContent:
    registry = load_registry(options.registry)
    events = collect_events(registry, options.project)
    context, notes = UsageContext.load(
        options.project, events, (options.metrics, options.experiments, options.dashboards)
    )
    if options.project is None:
        notes = (*notes, "no dbt manifest (no build yet): models appear after the first build")
    return SiteContent(
        events=events,
        models=options.project.sorted() if options.project else (),
        metrics=tuple(_metric(m) for m in context.metrics or ()),
        experiments=tuple(_experiment(e) for e in context.experiments or ()),
        usages=collect_usages(context),
        envelope_fields=envelope_fields(registry),
        generated_at=options.generated_at,
        notes=notes,
    )


@dataclass(frozen=True, slots=True)
class RenderedSite:
    """Every file of a site ({site-relative path: bytes}) and what it holds."""

    files: dict[str, bytes]
    pages: int
    events: int
    models: int
    dictionary_entries: int
    notes: tuple[str, ...] = ()

    def result(self, path: Path) -> SiteResult:
        return SiteResult(
            path, self.pages, self.events, self.models, self.dictionary_entries, self.notes
        )


def build_site(options: SiteOptions, out: Path) -> SiteResult:
    """Render the site of ``options`` into the folder ``out`` (replaced atomically)."""
    site = render_site(options)
    write_site(site.files, out)
    return site.result(out)


def render_site(options: SiteOptions) -> RenderedSite:
    """Collect and render the whole site in memory (about 1 MB)."""
    content = collect_content(options)
    rows = dictionary_rows(content)
    pages = render_pages(content, rows)
    index = search_index(content, rows)
    files: dict[str, bytes] = {path: html.encode() for path, html in pages.items()}
    files["assets/search-index.js"] = (
        b"window.RASTUP_SEARCH_INDEX = " + orjson.dumps(index) + b";\n"
    )
    files["search-index.json"] = orjson.dumps(index)
    for asset in _ASSETS.iterdir():
        files[f"assets/{asset.name}"] = asset.read_bytes()
    return RenderedSite(
        files, len(pages), len(content.events), len(content.models), len(rows), content.notes
    )


def write_site(files: dict[str, bytes], out: Path) -> None:
    """Write ``files`` to a sibling temporary folder, then swap it in for ``out`` in one step
    (``Storage.swap_prefix``), so a reader never finds the site missing or half written."""
    out = out.absolute()
    store = LocalStorage(out.parent)
    staged = f".{out.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    for relative, data in files.items():
        target = store.path(f"{staged}/{relative}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    store.swap_prefix(staged, out.name)


def _metric(metric: Any) -> dict[str, Any]:
    return {
        "name": metric.name,
        "label": metric.label,
        "description": metric.description,
        "kind": metric.kind.value,
        "direction": metric.direction.value,
        "window_days": metric.window_days,
        "tags": list(metric.tags),
    }


def _experiment(experiment: Any) -> dict[str, Any]:
    return {
        "key": experiment.key,
        "description": experiment.description,
        "owner": experiment.owner,
        "unit": experiment.unit.value,
        "variants": list(experiment.variant_names),
        "metrics": [(m.name, m.role.value) for m in experiment.metrics],
    }
