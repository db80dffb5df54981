"""``rastup-data alerts``: list, history, test, evaluate, export and notify."""

from __future__ import annotations

import getpass
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import httpx
import orjson
from rich.table import Table

from rastup_data.alerts.evaluator import AlertEvaluator
from rastup_data.alerts.export import render_prometheus
from rastup_data.alerts.families import FAMILIES
from rastup_data.alerts.history import AlertHistory, Notification, history_since
from rastup_data.alerts.model import render_summary
from rastup_data.alerts.rules import RuleSet, load_rules
from rastup_data.alerts.sinks import Sink, default_sinks, deliver
from rastup_data.config import FiniteFloatRange, Settings
from rastup_data.environments import EnvironmentProfile, load_profile
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.lake.layout import LakeLayout
from rastup_data.lake.options import lake_option
from rastup_data.state import StateDB, open_state
from rastup_data.terminal import output_console

__all__ = ["alerts"]

_lake = lake_option()
_format = click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
_metrics_url = click.option(
    "--metrics-url",
    default=None,
    help="Also read a running collector's metrics (e.g. http://127.0.0.1:8080/metrics).",
)


@dataclass(frozen=True, slots=True)
class _Ops:
    settings: Settings
    profile: EnvironmentProfile
    rules: RuleSet
    layout: LakeLayout
    state: StateDB

    @property
    def history(self) -> AlertHistory:
        return AlertHistory(self.state, self.profile.name)

    def sinks(self) -> list[Sink]:
        return default_sinks(self.history, self.settings)


@contextmanager
def _open(lake: str | None) -> Iterator[_Ops]:
    settings = Settings.from_env(lake=lake)
    profile = load_profile(settings=settings)
    rules = load_rules(profile)
    with open_state(settings.state_url, lake=settings.lake) as state:
        yield _Ops(settings, profile, rules, LakeLayout(settings.lake), state)


def _scrape(url: str | None) -> Any:
    if url is None:
        return None

    def read() -> str:
        try:
            return httpx.get(url, timeout=5.0).text
        except httpx.HTTPError as exc:
            raise RastupError(
                ErrorCode.COLLECTOR_UNREACHABLE,
                f"cannot read metrics from {url} ({type(exc).__name__}). To fix this, check "
                "that serve runs there, or leave out --metrics-url.",
            ) from None

    return read


def _json(value: Any) -> None:
    click.echo(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode())


@click.group()
def alerts() -> None:
    """Alert rules (operations/alerts.yaml): what fires, what fired, and the Prometheus export.

    `serve` (and `rastup-data scheduler`) evaluate the rules every `schedule.alerts.every`
    of the environment's profile; notifications go to the log, the state database and the
    signed webhook ($RASTUP_ALERT_WEBHOOK_URL). See docs/operations.md.
    """


@alerts.command("list")
@_lake
@_format
def list_rules(*, lake: str | None, fmt: str) -> None:
    """Every rule with its severity, code, runbook, and its alerts pending or firing now."""
    with _open(lake) as ops:
        active: dict[str, list[dict[str, Any]]] = {}
        for alert in ops.history.active():
            active.setdefault(alert.rule, []).append(alert.to_json())
        rows = [{**rule.describe(), "active": active.get(rule.name, [])} for rule in ops.rules]
    if fmt == "json":
        _json({"env": ops.profile.name, "rules": rows})
        return
    table = Table(title=f"alert rules of {ops.profile.name}")
    for column in ("rule", "severity", "code", "now", "runbook"):
        table.add_column(column)
    for row in rows:
        states = sorted({a["status"] for a in row["active"]})
        now = ", ".join(f"[red]{s}[/]" if s == "firing" else s for s in states) or "ok"
        table.add_row(row["name"], row["severity"], row["code"] or "", now, row["runbook"])
    output_console().print(table)


@alerts.command("history")
@_lake
@_format
@click.option("--since", default="7d", show_default=True, help="How far back: 30m, 24h, 7d.")
@click.option("--rule", default=None, help="Only this rule.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=200, show_default=True)
def history(*, lake: str | None, fmt: str, since: str, rule: str | None, limit: int) -> None:
    """Notifications sent (firing, repeat, resolved, notice), newest first."""
    from rastup_data.environments import DocumentChecker

    seconds = DocumentChecker("alerts history", ErrorCode.CONFIG_INVALID).duration(since, "--since")
    start = history_since(seconds, ErrorCode.CONFIG_INVALID, f"alerts history: --since {since}")
    with _open(lake) as ops:
        events = ops.history.events(since=start, rule=rule, limit=limit)
    if fmt == "json":
        _json({"env": ops.profile.name, "events": events})
        return
    table = Table(title=f"alerts of {ops.profile.name} since {since} ago")
    for column in ("at", "rule", "status", "severity", "summary"):
        table.add_column(column)
    for event in events:
        table.add_row(
            event["at"][:19], event["rule"], event["status"], event["severity"], event["summary"]
        )
    output_console().print(table)


@alerts.command("test")
@click.argument("name")
@_lake
@_format
@_metrics_url
@click.option("--notify", is_flag=True, help="Also send a test notice through every sink.")
def test(*, name: str, lake: str | None, fmt: str, metrics_url: str | None, notify: bool) -> None:
    """Evaluate rule NAME against the lake now; exit 1 when its condition holds.

    Reads the probes' gauges (builds, spool, budgets, Bronze volumes, audit log, scheduler)
    and, with --metrics-url, a running collector's metrics. Rules over counter windows need
    the history that `serve` keeps: here they see one moment. Nothing is recorded unless
    --notify sends a `notice` (to check the log, database and webhook are wired).
    """
    with _open(lake) as ops:
        rule = ops.rules.rule(name)
        evaluator = AlertEvaluator(
            ops.rules,
            ops.profile,
            sources=(ops.layout, ops.state),
            sinks=[],
            exposition=_scrape(metrics_url),
        )
        now = time.time()
        evaluator.tick_samples(now)
        holding = FAMILIES[rule.kind].evaluate(rule.params, evaluator.store, now)
        found: list[dict[str, Any]] = [
            {
                "labels": dict(labels),
                "value": value,
                "summary": render_summary(rule.summary, labels, value),
            }
            for labels, value in holding.items()
        ]
        if notify:
            note = _notice(
                ops,
                rule.name,
                f"test of {rule.name}: " + (str(found[0]["summary"]) if found else "ok"),
                rule.runbook,
            )
            deliver(ops.sinks(), [note])
    if fmt == "json":
        _json({"rule": rule.describe(), "holds": bool(found), "alerts": found})
    elif found:
        for item in found:
            click.echo(f"{rule.name}: HOLDS ({rule.severity.value}) {item['summary']}")
        click.echo(f"runbook: {rule.runbook}")
    else:
        click.echo(f"{rule.name}: ok (the condition does not hold now)")
    if found:
        raise SystemExit(1)


@alerts.command("evaluate")
@_lake
@_metrics_url
def evaluate(*, lake: str | None, metrics_url: str | None) -> None:
    """Evaluate every rule once, as `serve` does each interval: alerts fire, resolve and are
    notified (for hosts that run no `serve`, e.g. from cron)."""
    with _open(lake) as ops:
        evaluator = AlertEvaluator(
            ops.rules,
            ops.profile,
            sources=(ops.layout, ops.state),
            sinks=ops.sinks(),
            exposition=_scrape(metrics_url),
        )
        notes = evaluator.tick()
        firing = [a for a in evaluator.tracker.active() if a.status == "firing"]
    for note in notes:
        click.echo(f"{note.status}: {note.rule} — {note.summary}")
    click.echo(
        f"{len(firing)} alert(s) firing"
        + (": " + ", ".join(sorted({a.rule for a in firing})) if firing else "")
    )


@alerts.command("export")
@click.option(
    "--format", "fmt", type=click.Choice(["prometheus"]), default="prometheus", show_default=True
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to this file (default: stdout).",
)
@click.option(
    "--runbook-base",
    default="",
    help="Prefix of runbook links, e.g. https://git.example/rastup/blob/main/.",
)
@click.option(
    "--interval",
    default=30.0,
    type=FiniteFloatRange(min=1),
    show_default=True,
    help="Evaluation interval of the groups, in seconds.",
)
def export(*, fmt: str, out: Path | None, runbook_base: str, interval: float) -> None:
    """Write the rules of the environment (--env) as a Prometheus rule file."""
    profile = load_profile()
    text = render_prometheus(load_rules(profile), interval_s=interval, runbook_base=runbook_base)
    if out is None:
        click.echo(text, nl=False)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    click.echo(f"wrote {out} ({fmt}, env {profile.name})", err=True)


@alerts.command("notify")
@click.argument("message")
@_lake
@click.option(
    "--severity", type=click.Choice(["info", "ticket", "page"]), default="info", show_default=True
)
@click.option(
    "--runbook", default="docs/runbooks/", show_default=True, help="The page that says what to do."
)
def notify(*, message: str, lake: str | None, severity: str, runbook: str) -> None:
    """Notify operations: MESSAGE goes through every sink (log, database, webhook) as a notice."""
    if not message.strip():
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            "alerts notify: MESSAGE is empty. To fix this, say what operators should know.",
        )
    with _open(lake) as ops:
        note = _notice(ops, "notice", message, runbook, severity=severity)
        deliver(ops.sinks(), [note])
    click.echo(f"notified ({severity}): {message}")


def _notice(
    ops: _Ops, rule: str, summary: str, runbook: str, *, severity: str = "info"
) -> Notification:
    user = getpass.getuser()
    return Notification(
        status="notice",
        env=ops.profile.name,
        rule=rule,
        fingerprint=f"notice-{int(time.time() * 1000)}",
        labels=(("by", user),),
        severity=severity,
        value=0.0,
        summary=summary,
        runbook=runbook,
        at=time.time(),
    )
