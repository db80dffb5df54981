"""`rastup-data contracts …`: lint, compatibility check, listing and examples of the registry."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import orjson

from rastup_data.contracts.compat import diff_registries
from rastup_data.contracts.git_snapshot import registry_documents_at
from rastup_data.contracts.lint import lint_registry
from rastup_data.contracts.loader import (
    DEFAULT_REGISTRY_PATH,
    Registry,
    load_registry,
    parse_registry,
)
from rastup_data.errors import ErrorCode

__all__ = ["contracts", "fresh_example"]

_registry_option = click.option(
    "--registry",
    "registry_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Registry folder (default: the packaged registry).",
)


@click.group()
def contracts() -> None:
    """Event schema registry tools."""


@contracts.command("lint")
@_registry_option
def lint_command(registry_dir: Path | None) -> None:
    """Check every schema file; exit 1 on any problem.

    Rules: no PII-like property names, description/owner/examples present, examples valid
    against envelope and payload, $id matching the file.
    """
    root = registry_dir or DEFAULT_REGISTRY_PATH
    problems = lint_registry(root)
    for problem in problems:
        click.echo(f"{root / problem.source}: {problem.path}: {problem.message} [{problem.rule}]")
    if problems:
        _fail(ErrorCode.CONTRACT_LINT_FAILED, f"{len(problems)} problem(s) in {root}")
    click.echo(f"ok: envelope and {len(load_registry(root))} event schema(s) pass the lint")


@contracts.command("check")
@click.option("--against", "revision", required=True, help="Git revision to compare with.")
@_registry_option
def check_command(revision: str, registry_dir: Path | None) -> None:
    """Fail on breaking changes since a git revision.

    Compares every (event, v) present at REVISION with the registry folder now; a breaking
    change that is not published as a new version exits 1.
    """
    root = registry_dir or DEFAULT_REGISTRY_PATH
    current = load_registry(root)
    documents = registry_documents_at(revision, root)
    previous, unreadable = parse_registry(documents)
    if not documents:
        click.echo(f"note: no registry at {revision}; every schema is new", err=True)
    for problem in unreadable if documents else []:
        click.echo(f"warning: at {revision}: {problem} (skipped)", err=True)
    changes = diff_registries(previous, current)
    for change in changes:
        click.echo(f"{root / change.source}: {change.path}: {change.message} [{change.kind}]")
    if changes:
        _fail(
            ErrorCode.CONTRACT_BREAKING_CHANGE,
            f"{len(changes)} breaking change(s) against {revision}",
        )
    added = sorted(set(current.events) - set(previous.events))
    click.echo(
        f"ok: no breaking changes against {revision} "
        f"({len(previous.events)} schema(s) compared, {len(added)} new)"
    )


@contracts.command("list")
@click.option(
    "--format", "output_format", type=click.Choice(["table", "json"]), default="table",
    show_default=True, help="Output format.",
)  # fmt: skip
@_registry_option
def list_command(output_format: str, registry_dir: Path | None) -> None:
    """List every (event, v) with owner, description and required fields."""
    registry = load_registry(registry_dir)
    rows: list[dict[str, Any]] = [
        {
            "event": schema.event,
            "v": schema.version,
            "owner": schema.owner,
            "description": schema.description,
            "required": list(schema.required_fields),
            "since": schema.since,
        }
        for schema in registry
    ]
    if output_format == "json":
        click.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return
    click.echo(f"event catalogue v{registry.catalogue_version}")
    headers = ("EVENT", "V", "SINCE", "OWNER", "REQUIRED PAYLOAD FIELDS", "DESCRIPTION")
    table: list[tuple[str, ...]] = [
        (
            row["event"],
            str(row["v"]),
            row["since"],
            row["owner"],
            ", ".join(row["required"]),
            row["description"],
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in [headers, *table]) for i in range(len(headers) - 1)]
    for line in [headers, *table]:
        cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=False)]
        click.echo("  ".join([*cells, line[-1]]).rstrip())


@contracts.command("examples")
@_registry_option
def examples_command(registry_dir: Path | None) -> None:
    """Print one valid example envelope per event as NDJSON.

    Each uses the newest version, a fresh uuid4 event_id and the current time.
    """
    registry = load_registry(registry_dir)
    for line in example_lines(registry):
        click.echo(line)


def example_lines(registry: Registry, now: datetime | None = None) -> list[str]:
    """One NDJSON line per event: its first example with a fresh event_id and timestamps."""
    moment = now or datetime.now(UTC)
    lines = []
    for schema in registry.latest():
        if schema.examples:
            event = fresh_example(schema.examples[0], moment)
            lines.append(orjson.dumps(event).decode())
    return lines


def fresh_example(example: Any, now: datetime) -> dict[str, Any]:
    """A copy of ``example`` with a new uuid4 event_id and occurred_at/received_at = now."""
    event: dict[str, Any] = copy.deepcopy(dict(example))
    stamp = now.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    event["occurred_at"] = stamp
    event["received_at"] = stamp
    ids = dict(event.get("ids") or {})
    ids["event_id"] = str(uuid.uuid4())
    event["ids"] = ids
    return event


def _fail(code: ErrorCode, summary: str) -> None:
    click.secho(f"error: {code.value}: {summary}", fg="red", err=True)
    click.echo(f"hint: {code.info.action}", err=True)
    raise click.exceptions.Exit(1)
