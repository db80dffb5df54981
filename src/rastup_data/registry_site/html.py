"""Page chrome and small HTML helpers. Every link is relative, so the site works from any
mount point (``/registry/``) and straight from the file system."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

__all__ = ["badges", "code_block", "esc", "link", "page", "table"]

_NAV = (
    ("index.html", "Overview"),
    ("events/index.html", "Events"),
    ("models/index.html", "Models"),
    ("dictionary.html", "Data dictionary"),
    ("metrics/index.html", "Metrics"),
    ("experiments/index.html", "Experiments"),
)


def esc(value: object) -> str:
    return escape(str(value), quote=True)


def link(href: str, text: str) -> str:
    return f'<a href="{esc(href)}">{esc(text)}</a>'


def badges(tags: Iterable[str]) -> str:
    return "".join(f'<span class="tag tag-{esc(t)}">{esc(t)}</span>' for t in tags)


def code_block(text: str) -> str:
    return f"<pre><code>{esc(text)}</code></pre>"


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], *, css: str = "") -> str:
    """A table whose cells are already HTML."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    klass = f' class="{esc(css)}"' if css else ""
    return f"<table{klass}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def page(title: str, body: str, *, depth: int, generated_at: str) -> str:
    """A full page; ``depth`` is how many folders below the site root it lives."""
    root = "../" * depth
    nav = " ".join(f'<a href="{root}{href}">{esc(text)}</a>' for href, text in _NAV)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)} · RastUp schema registry</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{root}assets/site.css">
</head>
<body data-root="{root}">
<header>
<a class="brand" href="{root}index.html">RastUp schema registry</a>
<nav>{nav}</nav>
<div class="search">
<input id="site-search" type="search" placeholder="Search events, models, columns, metrics…"
 aria-label="Search" autocomplete="off">
<ol id="search-results" hidden></ol>
</div>
</header>
<main>
<h1>{esc(title)}</h1>
{body}
</main>
<footer>Generated {esc(generated_at)} from the event registry, the dbt manifest, the metrics
catalogue and the experiment definitions.</footer>
<script src="{root}assets/search-index.js"></script>
<script src="{root}assets/search.js"></script>
</body>
</html>
"""
