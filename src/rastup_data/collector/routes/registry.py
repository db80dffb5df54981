"""``GET /registry/…``: the lake's schema registry site, as the last build generated it.

When no build has generated one yet, the first request generates one from the last
build's manifest if this node has one, else without models (under a second; the next
build adds them). Paths are confined to the site folder.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path, PurePosixPath

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from rastup_data.collector.responses import Refusal
from rastup_data.collector.routes.common import runtime_of
from rastup_data.errors import ErrorCode
from rastup_data.lake.layout import LakeLayout

__all__ = ["router"]

router = APIRouter()

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
}
_GENERATING = threading.Lock()


@router.get("/registry", include_in_schema=False)
async def registry_root() -> Response:
    return RedirectResponse("/registry/", status_code=308)


@router.get("/registry/{path:path}", summary="The schema registry site and data dictionary")
async def registry_page(request: Request, path: str) -> Response:
    relative = _safe_relative(path)
    if relative is None:
        raise _not_found()
    site = await asyncio.to_thread(_site_folder, runtime_of(request).layout)
    file = site.joinpath(*relative.parts)
    try:
        found = file.is_file()
    except OSError:  # e.g. a name longer than the filesystem allows: no such page either
        found = False
    if not found:
        raise _not_found()
    media = _TYPES.get(file.suffix, "application/octet-stream")
    return FileResponse(file, media_type=media, headers={"Cache-Control": "no-cache"})


def _site_folder(layout: LakeLayout) -> Path:
    from rastup_data.registry_site.lake_site import current_site, refresh_lake_site
    from rastup_data.transform.manifest import build_manifest_path, load_manifest

    with _GENERATING:
        site = current_site(layout)
        if site is None:
            manifest = build_manifest_path(layout)
            refresh_lake_site(layout, load_manifest(manifest) if manifest.is_file() else None)
            site = current_site(layout)
    assert site is not None
    return site


def _safe_relative(path: str) -> PurePosixPath | None:
    relative = PurePosixPath(path.strip("/"))
    if any(part in {"..", "."} or part.startswith(".") for part in relative.parts):
        return None
    if path.endswith("/") or not relative.parts:
        relative = relative / "index.html"
    return relative


def _not_found() -> Refusal:
    return Refusal(ErrorCode.ROUTE_NOT_FOUND, "no such registry page", status=404)
