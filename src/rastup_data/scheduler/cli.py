"""``rastup-data scheduler``: run the schedule, see it, pause and degrade jobs."""

from __future__ import annotations

import contextlib
import getpass
import logging
import signal
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import orjson
from rich.table import Table

from rastup_data.config import Settings
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.lake.layout import LakeLayout
from rastup_data.lake.options import lake_option
from rastup_data.scheduler.jobs import JOBS, SERVE_JOBS
from rastup_data.scheduler.runner import HEAVY, daily_only_control, paused_control
from rastup_data.scheduler.service import SchedulerService
from rastup_data.state import OpsControls, StateDB, open_state
from rastup_data.terminal import output_console

__all__ = ["scheduler"]

_lake = lake_option()


@contextlib.contextmanager
def _state(lake: str | None) -> Iterator[tuple[Settings, StateDB]]:
    settings = Settings.from_env(lake=lake)
    with open_state(settings.state_url, lake=settings.lake) as state:
        yield settings, state


def _job(name: str) -> str:
    if name != HEAVY and name not in JOBS and name not in SERVE_JOBS:
        known = sorted([*JOBS, *SERVE_JOBS])
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"no job named {name!r}. To fix this, use one of {', '.join(known)} "
            f"(or {HEAVY} for every heavy job).",
        )
    return name


@click.group(invoke_without_command=True)
@_lake
@click.option(
    "--experiments-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Experiment definitions for the guardrail job (default: as `experiments`).",
)
@click.pass_context
def scheduler(ctx: click.Context, *, lake: str | None, experiments_dir: Path | None) -> None:
    """Run the environment's schedule (operations/environments/<env>.yaml) until Ctrl-C.

    `serve` runs the same scheduler; run this alone on a machine without a collector. One
    runner per lake at a time: a second waits on standby and takes over when the first
    stops. Subcommands show and steer it.
    """
    if ctx.invoked_subcommand is not None:
        return
    logging.basicConfig(level="INFO", format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env(lake=lake)
    service = SchedulerService(
        LakeLayout(settings.lake), settings=settings, experiments_dir=experiments_dir
    )
    done = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: done.set())
    click.echo(
        f"scheduler on {settings.lake} (env {service.context.profile.name}); Ctrl-C stops it",
        err=True,
    )
    service.start()
    try:
        while not done.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        service.stop()
    click.echo("scheduler stopped", err=True)


@scheduler.command("status")
@_lake
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def status(*, lake: str | None, fmt: str) -> None:
    """Each scheduled job: when, its last run and outcome, when next, paused or degraded."""
    settings = Settings.from_env(lake=lake)
    with SchedulerService(LakeLayout(settings.lake), settings=settings) as service:
        document = _status(service)
    if fmt == "json":
        click.echo(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode())
        return
    table = Table(
        title=f"schedule of {document['env']} ({document['time_zone']})", title_justify="left"
    )
    for column in ("job", "when", "last run", "outcome", "next", "state"):
        table.add_column(column)
    for job in document["jobs"]:
        last = job["last_run"] or {}
        table.add_row(
            job["job"],
            job["when"],
            (last.get("started_at") or "")[:19],
            last.get("status", "never"),
            (job["next_due"] or "")[:19],
            ", ".join(job["state"]) or "scheduled",
        )
    output_console().print(table)
    click.echo(f"runner heartbeat: {document['heartbeat'] or 'none yet'}")


def _status(service: SchedulerService) -> dict[str, Any]:
    runner, now = service.scheduler, datetime.now(UTC)
    controls = {c.name: c for c in OpsControls(service.state).with_prefix("")}
    jobs = []
    for name, entry in runner.schedule.items():
        last = runner.runs.last(name)
        state = [
            label
            for label, key in (
                ("paused", paused_control(name)),
                ("paused (heavy)", paused_control(HEAVY) if JOBS[name].heavy else ""),
                ("daily only", daily_only_control(name)),
            )
            if key in controls
        ]
        when = (
            f"every {entry.every_s:g}s"
            if entry.every_s
            else "at " + ", ".join(t.strftime("%H:%M") for t in entry.at)
        )
        upcoming = runner.next_due(name, now)
        jobs.append(
            {
                "job": name,
                "heavy": JOBS[name].heavy,
                "when": when,
                "last_run": last.to_json() if last else None,
                "next_due": upcoming.isoformat() if upcoming else None,
                "state": state,
            }
        )
    heartbeat = controls.get("scheduler.heartbeat")
    return {
        "env": service.context.profile.name,
        "time_zone": str(service.context.profile.time_zone),
        "heartbeat": f"{heartbeat.value} by {heartbeat.set_by}" if heartbeat else None,
        "jobs": jobs,
    }


@scheduler.command("run")
@click.argument("job")
@_lake
def run(*, job: str, lake: str | None) -> None:
    """Run JOB once now (recorded like a scheduled run): its outcome as JSON on stdout; if it
    fails, one line saying so on stderr and exit 1."""
    settings = Settings.from_env(lake=lake)
    with SchedulerService(LakeLayout(settings.lake), settings=settings) as service:
        outcome = service.scheduler.run_job(JOBS[_job(job)], datetime.now(UTC), log_failure=False)
    click.echo(
        orjson.dumps(
            {"job": job, "status": outcome.status, **outcome.detail}, option=orjson.OPT_INDENT_2
        ).decode()
    )
    if outcome.status == "failed":
        code = outcome.detail.get("code")
        because = f" ({code})" if code else ""
        click.secho(
            f"error: job {job} failed{because}; its detail is the JSON on stdout.",
            fg="red",
            err=True,
        )
        raise SystemExit(1)


def _set(
    lake: str | None, names: tuple[str, ...], control: Any, reason: str, *, on: bool
) -> list[str]:
    with _state(lake) as (_, state):
        controls = OpsControls(state)
        for name in names:
            if on:
                controls.set(control(_job(name)), "1", by=getpass.getuser(), reason=reason)
            else:
                controls.clear(control(_job(name)))
    return list(names)


_reason = click.option("--reason", default="", help="Why (recorded with the change).")


@scheduler.command("pause")
@click.argument("jobs", nargs=-1)
@click.option(
    "--heavy", is_flag=True, help="Pause every heavy job (builds, lifecycle, compaction)."
)
@_reason
@_lake
def pause(*, jobs: tuple[str, ...], heavy: bool, reason: str, lake: str | None) -> None:
    """Pause JOBS (or --heavy): no new run starts, and a running heavy one stops (SIGSTOP)
    until resumed, so the lander gets the machine back."""
    names = (*jobs, HEAVY) if heavy else jobs
    if not names:
        raise click.UsageError("name the jobs to pause, or --heavy")
    click.echo("paused: " + ", ".join(_set(lake, names, paused_control, reason, on=True)))


@scheduler.command("resume")
@click.argument("jobs", nargs=-1)
@click.option("--heavy", is_flag=True, help="Resume the heavy jobs paused with --heavy.")
@_lake
def resume(*, jobs: tuple[str, ...], heavy: bool, lake: str | None) -> None:
    """Resume paused JOBS (or --heavy); a stopped run continues where it was."""
    names = (*jobs, HEAVY) if heavy else jobs
    if not names:
        raise click.UsageError("name the jobs to resume, or --heavy")
    click.echo("resumed: " + ", ".join(_set(lake, names, paused_control, "", on=False)))


@scheduler.command("degrade")
@click.argument("job")
@_reason
@_lake
def degrade(*, job: str, reason: str, lake: str | None) -> None:
    """Run JOB only at its first time of the day (e.g. BI refreshes during pipeline lag)."""
    _set(lake, (job,), daily_only_control, reason, on=True)
    click.echo(f"{job}: daily only until `rastup-data scheduler restore {job}`")


@scheduler.command("restore")
@click.argument("job")
@_lake
def restore(*, job: str, lake: str | None) -> None:
    """Run JOB at every time of its schedule again."""
    _set(lake, (job,), daily_only_control, "", on=False)
    click.echo(f"{job}: every scheduled time again")
