"""``rastup-data dsar …`` and ``rastup-data hold …``: erasure and access requests, legal holds.

Every command needs an admin: a gate token with role admin (``--token`` / RASTUP_TOKEN), or the
local OS user without one. Every action is in the audit log.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import click
import orjson

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.lake.options import lake_option, work_dir_option
from rastup_data.privacy.context import open_privacy
from rastup_data.privacy.erasure import file_erasure
from rastup_data.privacy.export import export_subject
from rastup_data.privacy.holds import HoldStore
from rastup_data.privacy.purging import PurgeOptions, PurgeReport, run_purge
from rastup_data.privacy.requests import DsarRequest, RequestState, RequestStore
from rastup_data.privacy.trail import record_action
from rastup_data.privacy.verification import VerifyFailed, verify_request
from rastup_data.serving.formats import render
from rastup_data.serving.query import QueryResult

__all__ = ["dsar", "hold"]

_lake = lake_option()
_token = click.option(
    "--token", default=None, help="An admin's gate token (default: $RASTUP_TOKEN; none: you)."
)
_format = click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)


def _json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()


def _table(columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
    text = render(QueryResult(columns, ("VARCHAR",) * len(columns), tuple(rows)), "table")
    return text.rstrip("\n")


def _request_rows(requests: list[DsarRequest]) -> str:
    rows = [
        (
            r.request_id,
            r.kind.value,
            r.state.value
            + (
                f" ({r.blocked_case})" if r.blocked_case and r.state is RequestState.BLOCKED else ""
            ),
            r.received_at[:19],
            r.deadline_at[:10],
            "yes" if r.overdue() else "",
        )
        for r in requests
    ]
    return _table(("request", "kind", "state", "received", "deadline", "overdue"), rows)


# --- dsar --------------------------------------------------------------------------------------


@click.group()
def dsar() -> None:
    """Data subject requests: erase (with proof), access export, status and deadlines."""


@dsar.command()
@click.option("--subject", required=True, help="The user id to erase (u_…).")
@click.option("--request-id", default=None, help="Your id for the request (default: generated).")
@click.option("--reason", default=None, help="Why (kept with the request).")
@_lake
@work_dir_option
@_token
@_format
def erase(
    *,
    subject: str,
    request_id: str | None,
    reason: str | None,
    lake: Path | None,
    work_dir: Path | None,
    token: str | None,
    fmt: str,
) -> None:
    """File an erasure: reads exclude the subject and their linked anonymous ids at once,
    their later events are suppressed; `dsar purge` removes them, `dsar verify` proves it."""
    with open_privacy(lake, token=token, work_dir=work_dir) as ctx:
        filed = file_erasure(ctx, subject, request_id=request_id, reason=reason)
    request = filed.request
    if fmt == "json":
        click.echo(
            _json({**request.to_json(), "created": filed.created, "anon_ids": filed.anon_ids})
        )
        return
    verb = "filed" if filed.created else "already filed"
    click.echo(
        f"{verb}: {request.request_id} ({request.state.value}; {filed.anon_ids} linked anonymous "
        f"id(s); deadline {request.deadline_at[:10]})"
    )
    click.echo(request.request_id)


@dsar.command()
@click.argument("request_id", required=False)
@_lake
@work_dir_option
@_token
@_format
def status(
    *, request_id: str | None, lake: Path | None, work_dir: Path | None, token: str | None, fmt: str
) -> None:
    """One request with its history, or every request."""
    with open_privacy(lake, token=token, work_dir=work_dir) as ctx:
        store = RequestStore(ctx.state)
        if request_id is None:
            requests = store.requests()
            click.echo(
                _json([r.to_json() for r in requests]) if fmt == "json" else _request_rows(requests)
            )
            return
        request = store.get(request_id)
        history = store.history(request_id)
    if fmt == "json":
        body = request.to_json()
        body["history"] = [{"at": h.at, "event": h.event, "detail": h.detail} for h in history]
        click.echo(_json(body))
        return
    click.echo(_request_rows([request]))
    click.echo(_table(("at", "event", "detail"), [(h.at[:19], h.event, h.detail) for h in history]))


@dsar.command("list")
@click.option("--overdue", is_flag=True, help="Only open erasures past their deadline.")
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Choice([s.value for s in RequestState]),
    help="Only requests in this state (repeat).",
)
@_lake
@work_dir_option
@_token
@_format
def list_requests(
    *,
    overdue: bool,
    states: tuple[str, ...],
    lake: Path | None,
    work_dir: Path | None,
    token: str | None,
    fmt: str,
) -> None:
    """Requests, oldest first; `--overdue` is what the DSAR_OVERDUE alert counts."""
    with open_privacy(lake, token=token, work_dir=work_dir) as ctx:
        wanted = [RequestState(s) for s in states] or None
        requests = RequestStore(ctx.state).requests(states=wanted, overdue=overdue)
    click.echo(_json([r.to_json() for r in requests]) if fmt == "json" else _request_rows(requests))


@dsar.command()
@click.argument("request_id")
@click.option("--reason", required=True, help="Why more time is needed (Art. 12(3)).")
@_lake
@work_dir_option
@_token
def extend(
    *, request_id: str, reason: str, lake: Path | None, work_dir: Path | None, token: str | None
) -> None:
    """Extend an erasure's deadline once (by requests.extension_days, 60 by default)."""
    with open_privacy(lake, token=token, work_dir=work_dir) as ctx:
        request = RequestStore(ctx.state).extend(request_id, reason, ctx.policy.extension_days)
        record_action(ctx, f"dsar extend {request_id}")
    click.echo(f"{request_id}: deadline now {request.deadline_at[:10]}")


@dsar.command()
@click.option("--dry-run", is_flag=True, help="Report what would be rewritten; change nothing.")
@click.option("--request", "requests", multiple=True, help="Only these requests (repeat).")
@_lake
@work_dir_option
@_token
@_format
def purge(
    *,
    dry_run: bool,
    requests: tuple[str, ...],
    lake: Path | None,
    work_dir: Path | None,
    token: str | None,
    fmt: str,
) -> None:
    """Physically remove every open erasure's subjects from every store, each file rewritten
    at most once. Subjects under a legal hold are refused (DSAR_CONFLICT, exit 2 when nothing
    else was purged)."""
    progress = None if fmt == "json" else (lambda line: click.echo(f"  {line}", err=True))
    with open_privacy(lake, token=token, work_dir=work_dir) as ctx:
        report = run_purge(ctx, PurgeOptions(dry_run=dry_run, request_ids=requests), progress)
    click.echo(_json(report.to_json()) if fmt == "json" else _purge_summary(report))
    if report.conflict and not report.purged:
        cases = ", ".join(f"{r} ({c})" for r, c in report.blocked)
        raise RastupError(
            ErrorCode.DSAR_CONFLICT,
            f"legal hold: nothing was purged; blocked {cases}.",
        )


def _purge_summary(report: PurgeReport) -> str:
    verb = "would remove" if report.dry_run else "removed"
    rows = [
        (
            s.store,
            s.files_scanned,
            s.files_rewritten + s.files_deleted + (len(s.rewritten) if report.dry_run else 0),
            s.rows_removed,
            len(s.pending),
        )
        for s in report.stores
    ]
    lines = [_table(("store", "scanned", "rewritten", "rows", "pending"), rows)] if rows else []
    lines.append(
        f"run {report.run_id}: {verb} {report.rows_removed} row(s) for "
        f"{len(report.purged)} request(s) in {report.seconds:.1f}s"
    )
    for request_id, case in report.blocked:
        lines.append(f"DSAR_CONFLICT: {request_id} is blocked by legal hold {case}")
    return "\n".join(lines)


@dsar.command()
@click.argument("request_id")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the certificate (JSON) to this file.",
)
@_lake
@work_dir_option
@_token
def verify(
    *,
    request_id: str,
    out: Path | None,
    lake: Path | None,
    work_dir: Path | None,
    token: str | None,
) -> None:
    """Scan every store for the subject and write a certificate; `verified` only with 0 hits
    (otherwise DSAR_VERIFY_FAILED, exit 2)."""
    with open_privacy(lake, token=token, work_dir=work_dir) as ctx:
        try:
            certificate = verify_request(
                ctx, request_id, lambda line: click.echo(f"  {line}", err=True)
            )
        except VerifyFailed as failed:
            _emit_certificate(failed.certificate.to_json(), out)
            raise
    _emit_certificate(certificate.to_json(), out)


def _emit_certificate(text: bytes, out: Path | None) -> None:
    if out is not None:
        out.write_bytes(text + b"\n")
    click.echo(text.decode())


@dsar.command()
@click.option("--subject", required=True, help="The user id whose data to export (u_…).")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The zip file to write.",
)
@click.option("--request-id", default=None, help="Your id for the request (default: generated).")
@_lake
@work_dir_option
@_token
def export(
    *,
    subject: str,
    out: Path,
    request_id: str | None,
    lake: Path | None,
    work_dir: Path | None,
    token: str | None,
) -> None:
    """The access right: every stored event of the subject and their linked anonymous ids, as
    NDJSON in a zip with a manifest of sources."""
    with open_privacy(lake, token=token, work_dir=work_dir) as ctx:
        result = export_subject(ctx, subject, out, request_id=request_id)
    sources = len(result.sources)
    click.echo(f"{result.request_id}: {result.records} record(s) from {sources} source(s) → {out}")


# --- hold --------------------------------------------------------------------------------------


@click.group()
def hold() -> None:
    """Legal holds: keep a subject's data from purges and retention until released."""


@hold.command("add")
@click.option("--subject", required=True, help="The user id to hold (u_…).")
@click.option("--case", "case_id", required=True, help="The case (matter) id.")
@click.option("--reason", required=True, help="Why the data must be kept.")
@click.option(
    "--until",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    metavar="DATE",
    default=None,
    help="The hold lapses after this day (default: until released).",
)
@_lake
@work_dir_option
@_token
def hold_add(
    *,
    subject: str,
    case_id: str,
    reason: str,
    until: datetime | None,
    lake: Path | None,
    work_dir: Path | None,
    token: str | None,
) -> None:
    """Place a hold: purges refuse the subject (DSAR_CONFLICT), retention keeps their rows."""
    from rastup_data.privacy.ids import check_subject_id

    with open_privacy(lake, token=token, work_dir=work_dir) as ctx:
        user = check_subject_id(subject)
        placed = HoldStore(ctx.state).add(
            case_id,
            subject_id=user,
            subject_key=ctx.subject_key(user),
            reason=reason,
            until=_day(until),
            placed_by=ctx.actor.name,
        )
        record_action(ctx, f"hold add case={case_id}")
    lasting = f" until {placed.until_date}" if placed.until_date else ""
    click.echo(f"hold {case_id} placed{lasting}")


@hold.command("release")
@click.argument("case_id")
@_lake
@work_dir_option
@_token
def hold_release(case_id: str, lake: Path | None, work_dir: Path | None, token: str | None) -> None:
    """Release every subject a case holds; the next `dsar purge` proceeds with them."""
    with open_privacy(lake, token=token, work_dir=work_dir) as ctx:
        released = HoldStore(ctx.state).release(case_id, released_by=ctx.actor.name)
        record_action(ctx, f"hold release case={case_id}")
    click.echo(f"hold {case_id} released ({len(released)} subject(s))")


@hold.command("list")
@click.option("--all", "show_all", is_flag=True, help="Released and lapsed holds too.")
@_lake
@work_dir_option
@_token
@_format
def hold_list(
    *, show_all: bool, lake: Path | None, work_dir: Path | None, token: str | None, fmt: str
) -> None:
    """Holds, oldest first (active ones only unless --all)."""
    with open_privacy(lake, token=token, work_dir=work_dir) as ctx:
        holds = HoldStore(ctx.state).holds(active_only=not show_all)
    if fmt == "json":
        click.echo(_json([h.to_json() for h in holds]))
        return
    rows = [
        (h.case_id, h.user_id or "", h.status(), h.placed_at[:19], h.until_date or "", h.reason)
        for h in holds
    ]
    click.echo(_table(("case", "subject", "status", "placed", "until", "reason"), rows))


def _day(value: datetime | None) -> date | None:
    return None if value is None else value.date()
