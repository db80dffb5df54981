"""``GET /experiments/{key}``: an experiment's HTML report, read from the lake."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from rastup_data.collector.responses import Refusal
from rastup_data.collector.routes.common import bearer_token, gate_of, runtime_of
from rastup_data.errors import ErrorCode, RastupError

__all__ = ["router"]

log = logging.getLogger(__name__)

router = APIRouter()


@router.get("/experiments/{key}", summary="HTML report of an experiment, from the lake")
async def experiment_report(request: Request, key: str) -> Response:
    """The report, read through the query gate as the principal of the bearer token."""
    from rastup_data.experiments.lake import experiment_report_html
    from rastup_data.governance import QueryPath

    runtime = runtime_of(request)
    gate = gate_of(request)
    principal = gate.authenticate(bearer_token(request))
    try:
        page = await asyncio.to_thread(
            experiment_report_html,
            runtime.layout,
            key,
            experiments_dir=runtime.config.experiments_dir,
            reader=gate.connect(principal, path=QueryPath.REPORT),
        )
    except RastupError as exc:
        if exc.code is ErrorCode.ACCESS_DENIED:
            raise
        # The detail names folders and files of this machine: the log gets it, not the page.
        log.warning("experiment report %r: %s", key[:100], exc)
        if exc.code is ErrorCode.QUERY_INVALID:
            raise Refusal(
                exc.code, "no published build to report from yet; run a build", status=503
            ) from None
        raise Refusal(
            ErrorCode.EXPERIMENT_INVALID,
            "no experiment with this key, or its definition is invalid (see the server log)",
            status=404,
        ) from None
    return Response(page, media_type="text/html; charset=utf-8")
