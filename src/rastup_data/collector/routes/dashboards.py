"""``/dashboards/``: the BI dashboards, their tiles' CSV and live JSON, sign-in, and the
experiment report pages in the same chrome.

Pages sign in with a query-gate token (a cookie session) or take ``Authorization: Bearer``;
a missing, wrong or expired token sends a page to the sign-in form (JSON and CSV answer
401 ``AUTH_TOKEN_INVALID``). Every tile reads through the gate as that principal.
"""

from __future__ import annotations

import asyncio
import re
import threading
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from rastup_data.collector.responses import Refusal, json_response
from rastup_data.collector.routes.common import gate_of, runtime_of
from rastup_data.config import Settings
from rastup_data.errors import ErrorCode, RastupError

# The dashboards (plotly, the query gate with pyarrow and numpy) load with the first
# request for a page, not when a worker starts: one that only ingests never pays for them.
if TYPE_CHECKING:
    from rastup_data.bi.boards import Dashboard
    from rastup_data.bi.service import DashboardService, FilterText
    from rastup_data.governance import Gate, Principal

__all__ = ["router"]

router = APIRouter()

_SERVICE_LOCK = threading.Lock()
_HTML = "text/html; charset=utf-8"
_ASSETS = {
    "dashboards.css": "text/css; charset=utf-8",
    "dashboards.js": "text/javascript; charset=utf-8",
    "plotly.min.js": "text/javascript; charset=utf-8",
}
_MAX_SIGN_IN_BODY = 4096


def _service(request: Request) -> DashboardService:
    state = request.app.state
    service: DashboardService | None = getattr(state, "dashboards", None)
    if service is None:
        with _SERVICE_LOCK:
            service = getattr(state, "dashboards", None)
            if service is None:
                from rastup_data.bi.home import dashboards_dir
                from rastup_data.bi.service import DashboardService

                runtime = runtime_of(request)
                folder = dashboards_dir(Settings.from_env(lake=runtime.layout.root))
                service = DashboardService(runtime.layout, folder, runtime.config.experiments_dir)
                state.dashboards = service
    return service


def _principal(request: Request) -> tuple[Gate, Principal | None]:
    from rastup_data.bi.signin import presented_token

    gate = gate_of(request)
    token = presented_token(request.headers.get("authorization"), dict(request.cookies))
    if token is None:
        return gate, None
    try:
        return gate, gate.authenticate(token)
    except RastupError as exc:
        if exc.code is ErrorCode.AUTH_TOKEN_INVALID:
            return gate, None
        raise


def _to_sign_in(request: Request, message: str | None = None) -> Response:
    from rastup_data.bi.signin import expired_cookie_header, safe_next

    target = safe_next(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    response = RedirectResponse(f"/dashboards/sign-in?next={target}", status_code=303)
    if message or request.cookies.get("rastup_session"):
        response.headers["set-cookie"] = expired_cookie_header()
    return response


def _filters(request: Request) -> FilterText:
    from rastup_data.bi.service import FilterText

    query = request.query_params
    return FilterText(query.get("from"), query.get("to"), query.get("city"), query.get("every"))


@router.get("/dashboards", include_in_schema=False)
async def dashboards_root() -> Response:
    return RedirectResponse("/dashboards/", status_code=308)


@router.get("/dashboards/sign-in", include_in_schema=False)
async def sign_in_page(request: Request) -> Response:
    from rastup_data.bi.pages import sign_in_html
    from rastup_data.bi.signin import safe_next

    next_page = safe_next(request.query_params.get("next", ""))
    return Response(sign_in_html(next_page), media_type=_HTML)


@router.post("/dashboards/sign-in", include_in_schema=False)
async def sign_in(request: Request) -> Response:
    from rastup_data.bi.pages import sign_in_html
    from rastup_data.bi.signin import cookie_header, sign_in_form
    from rastup_data.governance import QueryPath

    body = await request.body()
    token, next_page = sign_in_form(body[:_MAX_SIGN_IN_BODY])
    gate = gate_of(request)
    try:
        if token is None:
            raise RastupError(ErrorCode.AUTH_TOKEN_INVALID, "no token was given")
        await asyncio.to_thread(gate.authenticate, token)
    except RastupError as exc:
        if exc.code is not ErrorCode.AUTH_TOKEN_INVALID:
            raise
        gate.record_unauthenticated("(dashboard sign-in)", path=QueryPath.DASHBOARD, code=exc.code)
        page = sign_in_html(
            next_page,
            f"{exc.code.value}: that token is not valid (wrong, "
            "expired or revoked). Ask an admin for a new one.",
        )
        return Response(page, status_code=401, media_type=_HTML)
    response = RedirectResponse(next_page, status_code=303)
    secure = request.url.scheme == "https"
    response.headers["set-cookie"] = cookie_header(token, secure=secure)
    return response


@router.post("/dashboards/sign-out", include_in_schema=False)
async def sign_out() -> Response:
    from rastup_data.bi.signin import expired_cookie_header

    response = RedirectResponse("/dashboards/sign-in", status_code=303)
    response.headers["set-cookie"] = expired_cookie_header()
    return response


@router.get("/dashboards/assets/{name}", include_in_schema=False)
async def asset(name: str) -> Response:
    media = _ASSETS.get(name)
    if media is None:
        raise Refusal(ErrorCode.ROUTE_NOT_FOUND, "no such asset", status=404)
    path = _asset_path(name)
    return FileResponse(path, media_type=media, headers={"Cache-Control": "max-age=3600"})


def _asset_path(name: str) -> Path:
    package = "plotly" if name == "plotly.min.js" else "rastup_data.bi"
    folder = "package_data" if name == "plotly.min.js" else "assets"
    return Path(str(resources.files(package).joinpath(folder, name)))


@router.get("/dashboards/", summary="The dashboards (HTML; sign in with a token)")
async def index(request: Request) -> Response:
    service = _service(request)
    _, who = await asyncio.to_thread(_principal, request)
    if who is None:
        return _to_sign_in(request)
    page = await asyncio.to_thread(service.index, who)
    return Response(page, media_type=_HTML)


@router.get("/dashboards/experiments/{key}", summary="An experiment report (HTML)")
async def experiment(request: Request, key: str) -> Response:
    from rastup_data.bi.pages import chrome_html
    from rastup_data.experiments.lake import experiment_report_html
    from rastup_data.governance import QueryPath

    service = _service(request)
    gate, who = await asyncio.to_thread(_principal, request)
    if who is None:
        return _to_sign_in(request)
    runtime = runtime_of(request)
    try:
        report = await asyncio.to_thread(
            experiment_report_html,
            runtime.layout,
            key,
            experiments_dir=runtime.config.experiments_dir,
            reader=gate.connect(who, path=QueryPath.REPORT),
        )
    except RastupError as exc:
        if exc.code is ErrorCode.ACCESS_DENIED:
            raise
        raise Refusal(
            ErrorCode.EXPERIMENT_INVALID,
            "no experiment with this key, no published build, or an invalid definition",
            status=404,
        ) from None
    head, body = _report_parts(report)
    chrome = service.chrome(f"Experiment {key}", who)
    return Response(
        chrome_html(chrome, f'<div class="report">{body}</div>', head=head), media_type=_HTML
    )


def _report_parts(document: str) -> tuple[str, str]:
    """The report's styles and body, to show inside the dashboards' chrome."""
    styles = "".join(re.findall(r"<style>.*?</style>", document, flags=re.S))
    match = re.search(r"<body[^>]*>(.*)</body>", document, flags=re.S)
    return styles, match.group(1) if match else document


@router.get("/dashboards/{board}/", summary="A dashboard (HTML)")
async def board_page(request: Request, board: str) -> Response:
    service = _service(request)
    found = service.board(board)
    gate, who = await asyncio.to_thread(_principal, request)
    if who is None:
        return _to_sign_in(request)
    page = await asyncio.to_thread(service.page, gate, who, found, _filters(request))
    return Response(page, media_type=_HTML, headers={"Cache-Control": "no-store"})


@router.get("/dashboards/{board}", include_in_schema=False)
async def board_no_slash(board: str) -> Response:
    return RedirectResponse(f"/dashboards/{board}/", status_code=308)


@router.get("/dashboards/{board}/tiles/{tile}.csv", summary="A tile's data as CSV")
async def tile_csv(request: Request, board: str, tile: str) -> Response:
    service, gate, who, found = await _tile_request(request, board)
    chosen = service.tile(found, tile)

    def render() -> str:
        filters = service.filters(found, _filters(request))
        return service.csv(service.data(gate, who, found, chosen, filters))

    text = await asyncio.to_thread(render)
    disposition = f'attachment; filename="{found.key}-{chosen.key}.csv"'
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": disposition})  # fmt: skip


@router.get("/dashboards/{board}/tiles/{tile}.json", summary="A tile's data as JSON")
async def tile_json(request: Request, board: str, tile: str) -> Response:
    service, gate, who, found = await _tile_request(request, board)
    chosen = service.tile(found, tile)

    def render() -> dict[str, object]:
        filters = service.filters(found, _filters(request))
        return service.live_json(service.data(gate, who, found, chosen, filters))

    return json_response(await asyncio.to_thread(render), 200)


async def _tile_request(
    request: Request, board: str
) -> tuple[DashboardService, Gate, Principal, Dashboard]:
    service = _service(request)
    found = service.board(board)
    gate, who = await asyncio.to_thread(_principal, request)
    if who is None:
        raise RastupError(
            ErrorCode.AUTH_TOKEN_INVALID,
            "sign in at /dashboards/sign-in, or send Authorization: Bearer TOKEN",
        )
    return service, gate, who, found
