"""The privacy admin API: DSAR requests and legal holds over HTTP, for admins only.

``Authorization: Bearer <gate token>`` of a principal with role ``admin``; anything else is
refused (401 ``AUTH_TOKEN_INVALID``, 403 ``ACCESS_DENIED``). Bodies are small JSON objects.

Routes (documented with their bodies in docs/privacy.md): ``POST /v1/dsar``, ``GET
/v1/dsar``, ``GET /v1/dsar/{id}``, ``POST /v1/dsar/{id}/extend``, ``POST /v1/dsar/purge``,
``POST /v1/dsar/{id}/verify``, ``GET /v1/dsar/{id}/certificate``, ``POST /v1/dsar/export``,
``POST /v1/holds``, ``GET /v1/holds``, ``POST /v1/holds/{case}/release``.

Every action is in the audit log under the token's principal.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import orjson
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from rastup_data import privacy as dsar  # its names load on first use
from rastup_data.collector.responses import json_response
from rastup_data.collector.routes.common import bearer_token, gate_of, runtime_of
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.privacy.ids import check_subject_id

__all__ = ["router"]

router = APIRouter()

_MAX_BODY = 64 * 1024
T = TypeVar("T")


async def _context(request: Request) -> dsar.PrivacyContext:
    """The privacy context of an authenticated admin."""
    runtime = runtime_of(request)
    gate = gate_of(request)
    principal = gate.authenticate(bearer_token(request))
    gate.require_admin(principal, "the privacy API")
    policy = getattr(request.app.state, "privacy_policy", None)
    if policy is None:
        policy = request.app.state.privacy_policy = dsar.load_privacy_policy()
    return dsar.PrivacyContext.over(
        runtime.layout,
        gate.state,
        actor=dsar.Actor(principal.name, principal.role),
        policy=policy,
        env=runtime.config.env,
    )


async def _body(request: Request) -> dict[str, Any]:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > _MAX_BODY:
            raise RastupError(ErrorCode.BODY_TOO_LARGE, f"send at most {_MAX_BODY} bytes.")
        chunks.append(chunk)
    raw = b"".join(chunks) or b"{}"
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError:
        document = None
    if not isinstance(document, dict):
        raise RastupError(ErrorCode.BODY_MALFORMED, "the body must be a JSON object.")
    return document


def _text(document: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = document.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise RastupError(ErrorCode.DSAR_INVALID, f'"{name}" must be a non-empty string.')
    return value


async def _off_loop(work: Callable[[], T]) -> T:
    return await asyncio.to_thread(work)


def _record(ctx: dsar.PrivacyContext, action: str) -> None:
    """One privacy action in the audit log (which loads with the first admin request)."""
    from rastup_data.privacy.trail import record_action

    record_action(ctx, action)


# --- DSAR --------------------------------------------------------------------------------------


@router.post("/v1/dsar", summary="File a DSAR erasure (admins)")
async def dsar_erase(request: Request) -> Response:
    ctx = await _context(request)
    body = await _body(request)
    subject = _text(body, "subject", required=True)
    assert subject is not None
    filed = await _off_loop(
        lambda: dsar.file_erasure(
            ctx, subject, request_id=_text(body, "request_id"), reason=_text(body, "reason")
        )
    )
    answer = {**filed.request.to_json(), "created": filed.created, "anon_ids": filed.anon_ids}
    return json_response(answer, 201 if filed.created else 200)


@router.get("/v1/dsar", summary="List DSAR requests (admins)")
async def dsar_list(request: Request) -> Response:
    ctx = await _context(request)
    overdue = request.query_params.get("overdue", "").lower() in ("1", "true", "yes")
    states = request.query_params.getlist("state")
    try:
        wanted = [dsar.RequestState(s) for s in states] or None
    except ValueError:
        choices = ", ".join(s.value for s in dsar.RequestState)
        raise RastupError(ErrorCode.DSAR_INVALID, f"state must be one of {choices}.") from None
    requests = dsar.RequestStore(ctx.state).requests(states=wanted, overdue=overdue)
    return json_response([r.to_json() for r in requests])


@router.post("/v1/dsar/purge", summary="Purge every open erasure (admins)")
async def dsar_purge(request: Request) -> Response:
    ctx = await _context(request)
    body = await _body(request)
    chosen = body.get("requests", [])
    if not isinstance(chosen, list) or not all(isinstance(r, str) for r in chosen):
        raise RastupError(ErrorCode.DSAR_INVALID, '"requests" must be a list of request ids.')
    options = dsar.PurgeOptions(dry_run=body.get("dry_run") is True, request_ids=tuple(chosen))
    report = await _off_loop(lambda: dsar.run_purge(ctx, options))
    status = 409 if report.conflict and not report.purged else 200
    return json_response(report.to_json(), status)


@router.post("/v1/dsar/export", summary="Export a subject's data (admins)")
async def dsar_export(request: Request) -> Response:
    ctx = await _context(request)
    body = await _body(request)
    subject = _text(body, "subject", required=True)
    assert subject is not None
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "export.zip"
        result = await _off_loop(
            lambda: dsar.export_subject(ctx, subject, out, request_id=_text(body, "request_id"))
        )
        data = out.read_bytes()
    disposition = f'attachment; filename="{result.request_id}.zip"'
    return Response(data, 200, {"Content-Disposition": disposition}, media_type="application/zip")


@router.get("/v1/dsar/{request_id}", summary="One DSAR request with its history (admins)")
async def dsar_status(request: Request, request_id: str) -> Response:
    ctx = await _context(request)
    store = dsar.RequestStore(ctx.state)
    answer = store.get(request_id).to_json()
    answer["history"] = [
        {"at": h.at, "event": h.event, "detail": h.detail} for h in store.history(request_id)
    ]
    return json_response(answer)


@router.post("/v1/dsar/{request_id}/extend", summary="Extend a DSAR deadline once (admins)")
async def dsar_extend(request: Request, request_id: str) -> Response:
    ctx = await _context(request)
    reason = _text(await _body(request), "reason", required=True)
    assert reason is not None
    extended = dsar.RequestStore(ctx.state).extend(request_id, reason, ctx.policy.extension_days)
    _record(ctx, f"dsar extend {request_id}")
    return json_response(extended.to_json())


@router.post("/v1/dsar/{request_id}/verify", summary="Verify an erasure (admins)")
async def dsar_verify(request: Request, request_id: str) -> Response:
    ctx = await _context(request)
    try:
        certificate = await _off_loop(lambda: dsar.verify_request(ctx, request_id))
    except dsar.VerifyFailed as failed:
        return json_response(failed.certificate.body, 409)
    return json_response(certificate.body)


@router.get("/v1/dsar/{request_id}/certificate", summary="A stored certificate (admins)")
async def dsar_certificate(request: Request, request_id: str) -> Response:
    ctx = await _context(request)
    store = dsar.RequestStore(ctx.state)
    store.get(request_id)
    text = store.certificate(request_id)
    if text is None:
        raise RastupError(
            ErrorCode.DSAR_INVALID, f"request {request_id} has no certificate yet: verify it."
        )
    return Response(text.encode(), 200, media_type="application/json")


# --- holds -------------------------------------------------------------------------------------


@router.post("/v1/holds", summary="Place a legal hold (admins)")
async def hold_add(request: Request) -> Response:
    ctx = await _context(request)
    body = await _body(request)
    user = check_subject_id(_text(body, "subject", required=True) or "")
    case = _text(body, "case", required=True) or ""
    until_text = _text(body, "until")
    try:
        until = None if until_text is None else date.fromisoformat(until_text)
    except ValueError:
        raise RastupError(ErrorCode.DSAR_INVALID, '"until" must be a date, YYYY-MM-DD.') from None
    placed = dsar.HoldStore(ctx.state).add(
        case,
        subject_id=user,
        subject_key=ctx.subject_key(user),
        reason=_text(body, "reason", required=True) or "",
        until=until,
        placed_by=ctx.actor.name,
    )
    _record(ctx, f"hold add case={case}")
    return json_response(placed.to_json(), 201)


@router.get("/v1/holds", summary="Legal holds (admins)")
async def hold_list(request: Request) -> Response:
    ctx = await _context(request)
    show_all = request.query_params.get("all", "").lower() in ("1", "true", "yes")
    holds = dsar.HoldStore(ctx.state).holds(active_only=not show_all)
    return json_response([h.to_json() for h in holds])


@router.post("/v1/holds/{case_id}/release", summary="Release a legal hold (admins)")
async def hold_release(request: Request, case_id: str) -> Response:
    ctx = await _context(request)
    released = dsar.HoldStore(ctx.state).release(case_id, released_by=ctx.actor.name)
    _record(ctx, f"hold release case={case_id}")
    return json_response([h.to_json() for h in released])
