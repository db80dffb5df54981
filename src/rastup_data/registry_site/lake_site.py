"""The lake's own copy of the site, which ``serve`` shows at ``/registry``.

::

    <lake>/registry/sites/<id>/   one folder per generation (never written again)
    <lake>/registry/CURRENT       the name of the folder to serve

``transform.build`` refreshes it after every successful publish (about 0.2 s) from that
build's manifest; readers follow CURRENT, so they never meet a half-written site.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from rastup_data.lake.layout import LakeLayout
from rastup_data.registry_site.site import SiteOptions, SiteResult, build_site
from rastup_data.transform.manifest import DbtProject
from rastup_data.transform.warehouse import new_snapshot_id, write_atomically

__all__ = ["KEEP_SITES", "current_site", "refresh_lake_site", "registry_root"]

#: Generations kept besides the current one (a reader may still be on the previous one).
KEEP_SITES = 2


def registry_root(layout: LakeLayout) -> Path:
    return layout.root / "registry"


def current_site(layout: LakeLayout) -> Path | None:
    """The folder CURRENT names, or None when no site was generated yet."""
    root = registry_root(layout)
    try:
        name = (root / "CURRENT").read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    if not name or "/" in name or name.startswith("."):
        return None
    path = root / "sites" / name
    return path if path.is_dir() else None


def refresh_lake_site(layout: LakeLayout, project: DbtProject | None) -> SiteResult:
    """Generate a new site for the lake and switch CURRENT to it; old ones are removed."""
    root = registry_root(layout)
    site_id = new_snapshot_id()
    result = build_site(SiteOptions(project=project), root / "sites" / site_id)
    write_atomically(root / "CURRENT", site_id + "\n")
    generations = sorted(p for p in (root / "sites").iterdir() if not p.name.startswith("."))
    for old in generations[: -(KEEP_SITES + 1)]:
        if old.name != site_id:
            shutil.rmtree(old, ignore_errors=True)
    return result
