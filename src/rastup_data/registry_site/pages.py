"""One renderer per page kind; ``render_pages`` returns {site-relative path: HTML}."""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from rastup_data.registry_site.content import (
    EventEntry,
    FieldEntry,
    SiteContent,
    Usage,
    event_page,
    model_page,
)
from rastup_data.registry_site.html import badges, code_block, esc, link, page, table
from rastup_data.registry_site.search import DictionaryRow
from rastup_data.transform.manifest import DbtModel

__all__ = ["render_pages"]


def render_pages(content: SiteContent, rows: Sequence[DictionaryRow]) -> dict[str, str]:
    pages = {
        "index.html": _overview(content),
        "events/index.html": _events_index(content),
        "models/index.html": _models_index(content),
        "dictionary.html": _dictionary(content, rows),
        "metrics/index.html": _metrics(content),
        "experiments/index.html": _experiments(content),
    }
    for entry in content.events:
        pages[event_page(entry.name)] = _event(content, entry)
    for model in content.models:
        pages[model_page(model)] = _model(content, model)
    return pages


def _fields_table(fields: Sequence[FieldEntry]) -> str:
    return table(
        ("field", "type", "required", "tags", "description"),
        (
            (
                f"<code>{esc(f.name)}</code>",
                esc(f.type),
                "yes" if f.required else "no",
                badges(f.tags),
                esc(f.description),
            )
            for f in fields
        ),
    )


def _used_by(content: SiteContent, kind: str, name: str, depth: int) -> str:
    usages = content.used_by(kind, name)
    if not usages:
        return '<p class="muted">No dashboard, experiment or metric uses this yet.</p>'
    root = "../" * depth
    return table(("used by", "name", "how"), (_usage_row(u, root) for u in usages))


def _usage_row(usage: Usage, root: str) -> tuple[str, str, str]:
    name = (
        link(root + usage.user_page, usage.user_name) if usage.user_page else esc(usage.user_name)
    )
    return esc(usage.user_kind), name, esc(usage.how)


def _model_link(content: SiteContent, unique_id: str, depth: int) -> str:
    model = content.model(unique_id)
    if model is None:
        return f"<code>{esc(unique_id)}</code>"
    return link("../" * depth + model_page(model), model.relation)


def _overview(content: SiteContent) -> str:
    cards = [
        ("events/index.html", "events", len(content.events)),
        ("models/index.html", "models, seeds and sources", len(content.models)),
        ("metrics/index.html", "metrics", len(content.metrics)),
        ("experiments/index.html", "experiments", len(content.experiments)),
    ]
    body = (
        '<div class="cards">'
        + "".join(
            f'<div class="card"><div class="count">{n}</div>{link(href, label)}</div>'
            for href, label, n in cards
        )
        + "</div>"
    )
    body += (
        "<p>Every event the collector accepts, every Silver/Gold model with its columns, "
        "tests and lineage, and who uses what. Search from the box above, or browse the "
        f"{link('dictionary.html', 'data dictionary')}.</p>"
    )
    body += "<h2>Envelope (v1)</h2>" + _fields_table(content.envelope_fields)
    if content.notes:
        body += "<h2>Notes</h2><ul>" + "".join(f"<li>{esc(n)}</li>" for n in content.notes)
        body += "</ul>"
    return page("Overview", body, depth=0, generated_at=content.generated_at)


def _events_index(content: SiteContent) -> str:
    rows = (
        (
            link(f"{e.name}.html", e.name),
            esc(", ".join(f"v{v.version}" for v in e.versions)),
            esc(e.owner),
            badges(e.tags),
            esc(e.description),
        )
        for e in content.events
    )
    body = table(("event", "versions", "owner", "tags", "description"), rows)
    return page("Events", body, depth=1, generated_at=content.generated_at)


def _event(content: SiteContent, entry: EventEntry) -> str:
    latest = entry.latest
    parts = [
        f"<p>{esc(entry.description)}</p>",
        f"<p>Owner: <strong>{esc(entry.owner)}</strong> · latest version "
        f"<strong>v{latest.version}</strong> · tags {badges(entry.tags) or '—'}</p>",
        f"<h2>Fields (v{latest.version})</h2>",
        _fields_table(latest.fields),
        "<h2>Versions and changelog</h2><ul>",
        *(
            f"<li><strong>v{c.version}</strong>: " + " ".join(esc(x) for x in c.changes) + "</li>"
            for c in entry.changelog
        ),
        "</ul><h2>Read by models</h2>",
        "<ul>" + "".join(f"<li>{_model_link(content, m, 1)}</li>" for m in entry.read_by) + "</ul>"
        if entry.read_by
        else '<p class="muted">No model reads this event yet.</p>',
        "<h2>Used by</h2>",
        _used_by(content, "event", entry.name, 1),
    ]
    for version in reversed(entry.versions):
        parts.append(f"<h2>Example (v{version.version})</h2>")
        for example in version.examples[:1]:
            parts.append(code_block(orjson.dumps(example, option=orjson.OPT_INDENT_2).decode()))
        parts.append(f"<h2>Schema (v{version.version}, <code>{esc(version.source)}</code>)</h2>")
        parts.append(code_block(orjson.dumps(version.schema, option=orjson.OPT_INDENT_2).decode()))
    return page(entry.name, "\n".join(parts), depth=1, generated_at=content.generated_at)


def _models_index(content: SiteContent) -> str:
    rows = (
        (
            link(model_page(m).removeprefix("models/"), m.relation),
            esc(m.resource_type),
            esc(m.materialized),
            badges(m.tags),
            esc(m.description),
        )
        for m in content.models
    )
    body = table(("relation", "kind", "materialized", "tags", "description"), rows)
    return page("Models and datasets", body, depth=1, generated_at=content.generated_at)


def _model(content: SiteContent, model: DbtModel) -> str:
    tests_by_column: dict[str, list[str]] = {}
    for test in model.tests:
        for column in test.columns or ("(model)",):
            tests_by_column.setdefault(column, []).append(f"{test.kind} [{test.severity}]")
    columns = table(
        ("column", "type", "tags", "tests", "description"),
        (
            (
                f"<code>{esc(c.name)}</code>",
                esc(c.data_type or "—"),
                badges(c.tags),
                esc(", ".join(tests_by_column.get(c.name, ())) or "—"),
                esc(c.description),
            )
            for c in model.columns
        ),
    )
    events = [e.name for e in content.events if model.unique_id in e.read_by]
    parts = [
        f"<p>{esc(model.description) or '<span class=muted>No description.</span>'}</p>",
        f"<p>{esc(model.resource_type)} · {esc(model.materialized)} · "
        f"<code>{esc(model.path)}</code> {badges(model.tags)}</p>",
        "<h2>Columns</h2>",
        columns if model.columns else '<p class="muted">No documented columns.</p>',
        "<h2>Tests</h2>",
        table(
            ("test", "kind", "columns", "severity"),
            (
                (esc(t.name), esc(t.kind), esc(", ".join(t.columns) or "—"), esc(t.severity))
                for t in model.tests
            ),
        )
        if model.tests
        else '<p class="muted">No tests.</p>',
        "<h2>Lineage</h2>",
        "<p>Upstream: " + (", ".join(_model_link(content, p, 1) for p in model.parents) or "—"),
        "</p><p>Events read: " + (", ".join(link("../" + event_page(e), e) for e in events) or "—"),
        "</p><p>Downstream: "
        + (", ".join(_model_link(content, c, 1) for c in model.children) or "—")
        + "</p>",
        "<h2>Used by</h2>",
        _used_by(content, "model", model.unique_id, 1),
    ]
    return page(model.relation, "\n".join(parts), depth=1, generated_at=content.generated_at)


def _dictionary(content: SiteContent, rows: Sequence[DictionaryRow]) -> str:
    body = (
        "<p>Every event field and every documented column, with its type, tags and "
        f'meaning: <span id="dictionary-count">{len(rows)}</span> entries.</p>'
        '<input id="dictionary-filter" type="search" placeholder="Filter the dictionary…" '
        'aria-label="Filter the dictionary">'
    )
    body += table(
        ("name", "in", "kind", "type", "tags", "description"),
        (
            (
                f"<code>{esc(r.name)}</code>",
                link(r.url, r.owner),
                esc(r.kind),
                esc(r.type),
                badges(r.tags),
                esc(r.description),
            )
            for r in rows
        ),
    ).replace("<table>", '<table id="dictionary">', 1)
    return page("Data dictionary", body, depth=0, generated_at=content.generated_at)


def _metrics(content: SiteContent) -> str:
    parts = []
    for metric in content.metrics:
        name = str(metric["name"])
        parts.append(
            f'<h2 id="metric-{esc(name)}">{esc(metric["label"])} <code>{esc(name)}</code></h2>'
        )
        parts.append(f"<p>{esc(metric['description'])}</p>")
        parts.append(
            f"<p>{esc(metric['kind'])} · {esc(metric['direction'])} · "
            f"window {esc(metric['window_days'])} days · {badges(metric['tags'])}</p>"
        )
        reads = [
            u
            for u in content.usages
            if u.user_kind == "metric" and u.user_name == name and u.target_kind == "model"
        ]
        parts.append(
            "<p>Reads: "
            + (
                ", ".join(f"{_model_link(content, u.target_name, 1)} ({esc(u.how)})" for u in reads)
                or "—"
            )
            + "</p>"
        )
        parts.append(_used_by(content, "metric", name, 1))
    body = "\n".join(parts) or '<p class="muted">No metrics catalogue.</p>'
    return page("Metrics", body, depth=1, generated_at=content.generated_at)


def _experiments(content: SiteContent) -> str:
    parts = []
    for experiment in content.experiments:
        key = str(experiment["key"])
        parts.append(f'<h2 id="experiment-{esc(key)}"><code>{esc(key)}</code></h2>')
        parts.append(f"<p>{esc(experiment['description'])}</p>")
        parts.append(
            f"<p>Owner {esc(experiment['owner'])} · unit {esc(experiment['unit'])} · "
            f"variants {esc(', '.join(experiment['variants']))}</p>"
        )
        metrics = ", ".join(
            f"{link('../metrics/index.html#metric-' + m, m)} ({esc(role)})"
            for m, role in experiment["metrics"]
        )
        parts.append(f"<p>Metrics: {metrics or '—'}</p>")
    body = "\n".join(parts) or '<p class="muted">No experiments defined.</p>'
    return page("Experiments", body, depth=1, generated_at=content.generated_at)
