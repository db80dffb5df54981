"""The lake's own copy of the site, which ``serve`` shows at ``/registry``.

::

    <work>/registry/sites/<id>/   one folder per generation (never written again)
    <work>/registry/CURRENT       pointer: the generation to serve

It lives in the node's work store (``LakeLayout.work``): it is generated from the build's
manifest, and each node serving ``/registry`` keeps its own. ``transform.build``
refreshes it after every successful publish (under a second); readers follow CURRENT, so
they never meet a half-written site.
"""

from __future__ import annotations

from pathlib import Path

from rastup_data.lake.layout import LakeLayout
from rastup_data.registry_site.site import SiteOptions, SiteResult, render_site
from rastup_data.transform.manifest import DbtProject
from rastup_data.transform.warehouse import new_snapshot_id

__all__ = ["KEEP_SITES", "current_site", "refresh_lake_site"]

#: Generations kept besides the current one (a reader may still be on the previous one).
KEEP_SITES = 2
_SITES = "registry/sites"
_POINTER = "registry/CURRENT"


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
    site_id = new_snapshot_id()
    site = render_site(SiteOptions(project=project))
    for relative, data in site.files.items():
        store.put_bytes(f"{_SITES}/{site_id}/{relative}", data)
    store.write_pointer(_POINTER, site_id)
    generations = sorted({key.split("/")[2] for key in store.list_keys(_SITES)})
    for old in generations[: -(KEEP_SITES + 1)]:
        if old != site_id:
            store.delete_prefix(f"{_SITES}/{old}")
    return site.result(store.path(f"{_SITES}/{site_id}"))
