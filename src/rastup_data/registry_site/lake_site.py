"""The lake's own copy of the site, which ``serve`` shows at ``/registry``.

::

    <work>/registry/sites/<id>/   one folder per generation (never written again)
    <work>/registry/CURRENT       pointer: the generation to serve

It lives in the node's work store (``LakeLayout.work``): it is generated from the build's
manifest, and each node serving ``/registry`` keeps its own. ``transform.build``
refreshes it after every successful publish; readers follow CURRENT, so they never meet a
half-written site. A refresh whose pages would say what the current generation says (the
same registry, manifest and definitions: most builds) writes nothing: a generation is about
a hundred durable file writes, seconds of disk waits after a publish. Each generation keeps
the digest of its content, generation time left out, in ``.content-digest`` (dotfiles are
not served).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from rastup_data.lake.layout import LakeLayout
from rastup_data.registry_site.site import RenderedSite, SiteOptions, SiteResult, render_site
from rastup_data.transform.manifest import DbtProject
from rastup_data.transform.warehouse import new_snapshot_id

__all__ = ["KEEP_SITES", "current_site", "refresh_lake_site"]

#: Generations kept besides the current one (a reader may still be on the previous one).
KEEP_SITES = 2
_SITES = "registry/sites"
_POINTER = "registry/CURRENT"
_DIGEST = ".content-digest"


def current_site(layout: LakeLayout) -> Path | None:
    """The local folder CURRENT names, or None when no site was generated yet."""
    name = layout.work.read_pointer(_POINTER)
    if not name or "/" in name or name.startswith("."):
        return None
    path = layout.work.path(f"{_SITES}/{name}")
    return path if path.is_dir() else None


def refresh_lake_site(layout: LakeLayout, project: DbtProject | None) -> SiteResult:
    """Generate a new site for the lake and switch CURRENT to it; old ones are removed."""
    store = layout.work
    options = SiteOptions(project=project)
    site = render_site(options)
    digest = content_digest(site, options.generated_at)
    current = current_site(layout)
    if current is not None and _digest_of(current) == digest:
        return site.result(current)
    site_id = new_snapshot_id()
    for relative, data in site.files.items():
        store.put_bytes(f"{_SITES}/{site_id}/{relative}", data)
    store.put_bytes(f"{_SITES}/{site_id}/{_DIGEST}", digest.encode())
    store.write_pointer(_POINTER, site_id)
    generations = sorted({key.split("/")[2] for key in store.list_keys(_SITES)})
    for old in generations[: -(KEEP_SITES + 1)]:
        if old != site_id:
            store.delete_prefix(f"{_SITES}/{old}")
    return site.result(store.path(f"{_SITES}/{site_id}"))


def content_digest(site: RenderedSite, generated_at: str) -> str:
    """SHA-256 of every file of ``site`` (by path), the generation time left out."""
    stamp = generated_at.encode()
    digest = hashlib.sha256()
    for relative in sorted(site.files):
        data = site.files[relative].replace(stamp, b"") if stamp else site.files[relative]
        digest.update(relative.encode() + b"\0" + len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def _digest_of(folder: Path) -> str | None:
    try:
        return (folder / _DIGEST).read_text().strip() or None
    except OSError:
        return None
