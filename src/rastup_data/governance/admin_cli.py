"""``rastup-data auth``, ``audit`` and ``cost``: tokens, the audit log and scanned bytes.

All of them need an admin principal (a token with role admin, or the local CLI user).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import click
import orjson

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.governance.audit import AuditRecord
from rastup_data.governance.budget import human_bytes
from rastup_data.governance.cli import caller, lake_option, open_gate, token_option
from rastup_data.serving.formats import render
from rastup_data.serving.query import QueryResult

__all__ = ["audit", "auth", "cost"]

_format_option = click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)


def _table(columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
    return render(QueryResult(columns, ("VARCHAR",) * len(columns), tuple(rows)), "table")


def _json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n"


@click.group()
def auth() -> None:
    """Access tokens of the query gate (admins only)."""


@auth.group()
def token() -> None:
    """Create, list and revoke tokens."""


@token.command("create")
@click.option("--principal", required=True, help="Who the token is for (a name).")
@click.option("--role", required=True, help="A role of the policy (admin, analyst, …).")
@click.option(
    "--city",
    "cities",
    multiple=True,
    help="Scope the principal to a city code of the city seed, e.g. nyc (repeat).",
)
@click.option("--ttl-days", type=int, default=None, help="Expire after N days (default: never).")
@lake_option
@token_option
def token_create(
    principal: str,
    role: str,
    cities: tuple[str, ...],
    ttl_days: int | None,
    lake: str | None,
    token: str | None,
) -> None:
    """Create a token; it is printed once, as the last line of stdout."""
    with open_gate(lake) as gate:
        admin = caller(gate, token)
        gate.require_admin(admin, "creating tokens")
        secret, info = gate.tokens.create(
            principal,
            role,
            known_roles=gate.policy.roles,
            cities=cities,
            ttl_days=ttl_days,
            created_by=admin.name,
        )
    scope = f", cities {', '.join(info.cities)}" if info.cities else ""
    expiry = f", expires {info.expires_at}" if info.expires_at else ""
    click.echo(f"token {info.token_id} for {info.principal} (role {info.role}{scope}{expiry}):")
    click.echo(secret)


@token.command("list")
@lake_option
@token_option
@_format_option
def token_list(lake: str | None, token: str | None, fmt: str) -> None:
    """List tokens (never their secrets) with their status."""
    with open_gate(lake) as gate:
        gate.require_admin(caller(gate, token), "listing tokens")
        infos = gate.tokens.list()
    now = datetime.now(UTC)
    rows = [
        (
            i.token_id,
            i.principal,
            i.role,
            ",".join(i.cities),
            i.status(now),
            i.created_at[:19],
            (i.expires_at or "")[:19],
        )
        for i in infos
    ]
    columns = ("id", "principal", "role", "cities", "status", "created", "expires")
    if fmt == "json":
        click.echo(_json([dict(zip(columns, r, strict=True)) for r in rows]), nl=False)
    else:
        click.echo(_table(columns, rows), nl=False)


@token.command("revoke")
@click.argument("token_id")
@lake_option
@token_option
def token_revoke(token_id: str, lake: str | None, token: str | None) -> None:
    """Revoke a token by id; it is refused from then on."""
    with open_gate(lake) as gate:
        gate.require_admin(caller(gate, token), "revoking tokens")
        info = gate.tokens.revoke(token_id)
    click.echo(f"token {info.token_id} of {info.principal} revoked at {info.revoked_at}")


@click.group()
def audit() -> None:
    """Read and verify the audit log of the query gate (admins only)."""


@audit.command("list")
@click.option("--principal", default=None, help="Only this principal's queries.")
@click.option("--since", default=None, help="From this UTC time on (ISO, e.g. 2026-11-01).")
@click.option(
    "--limit",
    type=click.IntRange(1, 10_000_000),
    default=None,
    help="Only the newest N records.",
)
@lake_option
@token_option
@_format_option
def audit_list(
    principal: str | None,
    since: str | None,
    limit: int | None,
    lake: str | None,
    token: str | None,
    fmt: str,
) -> None:
    """Audit records, oldest first; JSON is an array of objects."""
    since_iso = _since(since)
    with open_gate(lake) as gate:
        gate.require_admin(caller(gate, token), "the audit log")
        records = gate.audit.records(principal=principal, since=since_iso, limit=limit)
    if fmt == "json":
        click.echo(_json([r.to_json() for r in records]), nl=False)
        return
    rows = [
        (
            r.seq,
            r.at[:19],
            r.principal,
            r.role,
            r.path,
            r.status,
            r.code or "",
            ",".join(r.relations),
            r.scanned_bytes,
            _short(r.sql),
        )
        for r in records
    ]
    columns = ("seq", "at", "principal", "role", "path", "status", "code", "relations",
               "scanned_bytes", "sql")  # fmt: skip
    click.echo(_table(columns, rows), nl=False)


@audit.command("verify")
@lake_option
@token_option
def audit_verify(lake: str | None, token: str | None) -> None:
    """Check the hash chain of every record; exits non-zero at the first broken one."""
    with open_gate(lake) as gate:
        gate.require_admin(caller(gate, token), "verifying the audit log")
        verdict = gate.audit.verify()
    if not verdict.ok:
        raise RastupError(
            ErrorCode.AUDIT_CHAIN_BROKEN,
            f"audit record {verdict.first_broken} fails verification: {verdict.reason} "
            f"({verdict.records} records read).",
        )
    click.echo(f"audit chain verified: {verdict.records} records, no gap, no change")


@click.group()
def cost() -> None:
    """Scanned and billed bytes of the query gate (admins only)."""


@cost.command("report")
@click.option(
    "--by",
    type=click.Choice(["principal", "relation", "day", "path"]),
    default="principal",
    show_default=True,
)
@click.option("--since", default=None, help="From this UTC time on (ISO, e.g. 2026-11-01).")
@lake_option
@token_option
@_format_option
def cost_report(by: str, since: str | None, lake: str | None, token: str | None, fmt: str) -> None:
    """Scanned and billed bytes from the audit log, and today's budget (admins only).

    A query reading several relations counts in full for each of them with --by relation.
    """
    since_iso = _since(since)
    with open_gate(lake) as gate:
        gate.require_admin(caller(gate, token), "the cost report")
        records = gate.audit.records(since=since_iso)
        status = gate.guard.status()
    rows = _group(records, by)
    budget = {
        "env": status.env,
        "day": status.day,
        "scanned_bytes": status.scanned_bytes,
        "budget_bytes": status.budget_bytes,
        "ratio": round(status.ratio, 6),
        "alarm": status.alarm,
    }
    if fmt == "json":
        body = [
            dict(zip((by, "queries", "scanned_bytes", "billed_bytes"), r, strict=True))
            for r in rows
        ]
        click.echo(_json({"by": by, "rows": body, "budget": budget}), nl=False)
        return
    click.echo(_table((by, "queries", "scanned_bytes", "billed_bytes"), rows), nl=False)
    flag = "  ALARM: over the alarm share" if status.alarm else ""
    click.echo(
        f"budget {status.env} {status.day}: {human_bytes(status.scanned_bytes)} of "
        f"{human_bytes(status.budget_bytes)} ({status.ratio:.1%}){flag}"
    )


def _group(records: list[AuditRecord], by: str) -> list[tuple[str, int, int, int]]:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for record in records:
        if record.status != "ok":
            continue
        keys = {
            "principal": [record.principal],
            "relation": list(record.relations) or ["(none)"],
            "day": [record.day],
            "path": [record.path],
        }[by]
        for key in keys:
            entry = totals[key]
            entry[0] += 1
            entry[1] += record.scanned_bytes
            entry[2] += record.billed_bytes
    rows = [(key, v[0], v[1], v[2]) for key, v in totals.items()]
    return sorted(rows, key=lambda r: (-r[2], r[0]))


def _since(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"--since must be an ISO date or time such as 2026-11-01, got {text!r}.",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def _short(sql: str, width: int = 60) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
