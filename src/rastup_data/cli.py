"""The `rastup-data` command line: a thin shell over the components' library functions.

Subcommands are imported only when used, so `rastup-data --help` stays fast and one
component's dependencies never slow another's command.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
from collections.abc import Callable
from typing import Any, NoReturn

import click

from rastup_data import __version__
from rastup_data.config import select_env
from rastup_data.environments import profile_names
from rastup_data.errors import ErrorCode, RastupError

__all__ = ["main"]


def _serve() -> click.Command:
    from rastup_data.collector.cli import serve

    return serve


def _send() -> click.Command:
    from rastup_data.client.cli import send

    return send


def _replay() -> click.Command:
    from rastup_data.lander.cli import replay

    return replay


def _lake() -> click.Command:
    from rastup_data.lander.lake_cli import lake

    return lake


def _contracts() -> click.Command:
    from rastup_data.contracts.cli import contracts

    return contracts


def _simulate() -> click.Command:
    from rastup_data.simulate.cli import simulate

    return simulate


def _build() -> click.Command:
    from rastup_data.transform.cli import build

    return build


def _backfill() -> click.Command:
    from rastup_data.transform.backfill_cli import backfill_command

    return backfill_command


def _query() -> click.Command:
    from rastup_data.governance.cli import query

    return query


def _auth() -> click.Command:
    from rastup_data.governance.admin_cli import auth

    return auth


def _audit() -> click.Command:
    from rastup_data.governance.admin_cli import audit

    return audit


def _cost() -> click.Command:
    from rastup_data.governance.admin_cli import cost

    return cost


def _lander() -> click.Command:
    from rastup_data.lander.buffers_cli import lander

    return lander


def _queries() -> click.Command:
    from rastup_data.governance.queries_cli import queries

    return queries


def _quality() -> click.Command:
    from rastup_data.transform.quality_cli import quality

    return quality


def _dsar() -> click.Command:
    from rastup_data.privacy.cli import dsar

    return dsar


def _hold() -> click.Command:
    from rastup_data.privacy.cli import hold

    return hold


def _demo() -> click.Command:
    from rastup_data.demo import demo

    return demo


def _experiments() -> click.Command:
    from rastup_data.experiments.cli import experiments

    return experiments


def _registry() -> click.Command:
    from rastup_data.registry_site.cli import registry

    return registry


def _budget() -> click.Command:
    from rastup_data.budgets.cli import budget

    return budget


def _alerts() -> click.Command:
    from rastup_data.alerts.cli import alerts

    return alerts


def _scheduler() -> click.Command:
    from rastup_data.scheduler.cli import scheduler

    return scheduler


def _bi() -> click.Command:
    from rastup_data.bi.cli import bi

    return bi


def _catalog() -> click.Command:
    from rastup_data.catalog.cli import catalog

    return catalog


#: command name -> (loader importing the command on first use, one-line help)
COMMANDS: dict[str, tuple[Callable[[], click.Command], str]] = {
    "serve": (_serve, "Run the collector and the lander."),
    "send": (_send, "Send an NDJSON file of events to a collector."),
    "replay": (_replay, "Re-submit quarantined events."),
    "lake": (_lake, "Inspect and maintain the lake."),
    "contracts": (_contracts, "Event schema registry tools."),
    "simulate": (_simulate, "Generate a synthetic marketplace."),
    "build": (_build, "Build Silver and Gold behind quality gates."),
    "backfill": (
        _backfill,
        "Rebuild a date range and only the Gold it feeds; publish or roll back.",
    ),
    "query": (_query, "Query Silver, Gold, NRT and Bronze through the gate."),
    "auth": (_auth, "Query-gate tokens."),
    "audit": (_audit, "Read and verify the audit log."),
    "cost": (_cost, "Scanned bytes and budgets."),
    "lander": (_lander, "The lander: widen its buffers, land a stranded spool."),
    "queries": (_queries, "Running queries: list, kill; pin dashboards to the extracts."),
    "quality": (_quality, "Run quality gates or compare Gold with golden marts."),
    "dsar": (_dsar, "Erase (with proof) or export a data subject; request status."),
    "hold": (_hold, "Legal holds that keep a subject's data from purges and retention."),
    "demo": (_demo, "Run the whole platform end to end."),
    "experiments": (_experiments, "Assign and analyse experiments."),
    "registry": (_registry, "Build the schema registry site and data dictionary."),
    "bi": (_bi, "BI extracts: refresh, status, unused tiles."),
    "catalog": (_catalog, "External table DDL (Athena, Glue, Spark, Trino) and Gold as Parquet."),
    "budget": (_budget, "The environment's five budgets, used against their limits."),
    "alerts": (_alerts, "Alert rules and SLOs: list, history, test, evaluate, export, notify."),
    "scheduler": (_scheduler, "Run the environment's schedule; status, pause, resume, degrade."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command, imported now; a command whose import is broken fails loudly (its
        ImportError propagates) instead of vanishing from the list."""
        spec = COMMANDS.get(cmd_name)
        return None if spec is None else spec[0]()

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            raise _with_code(exc) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise _with_code(exc) from None
        except RastupError as exc:
            _report(ctx, exc)
        except OSError as exc:
            if exc.filename is None:  # a broken pipe, a socket: not a path the user gave
                raise
            _report(ctx, _unusable_path(exc))


def _report(ctx: click.Context, exc: RastupError) -> NoReturn:
    """The refusal on stderr (the coded line, a hint, the runbook), then exit 2."""
    click.secho(f"error: {exc}", fg="red", err=True)
    info = exc.code.info
    if exc.hint_text is not None:
        click.echo(f"hint: {exc.hint_text}", err=True)
    if info.runbook:
        click.echo(f"runbook: {info.runbook}", err=True)
    ctx.exit(2)


def _unusable_path(exc: OSError) -> RastupError:
    """A path a command could not read or write where it expected a folder or a file (a
    file in place of a lake's folder, a missing or unwritable one) that no command checked
    itself: one coded line naming the path instead of a traceback."""
    reason = exc.strerror or type(exc).__name__
    return RastupError(
        ErrorCode.CONFIG_INVALID,
        f"cannot use {exc.filename}: {reason}.",
        hint="Check the paths given (--lake, --work-dir, files and folders named): a lake's "
        "bronze/, gold/, extracts/ and _locks/ are folders; check disk space and permissions.",
    )


def _with_code(exc: click.UsageError) -> click.UsageError:
    """A usage error (unknown option, invalid value, missing argument, in any subcommand)
    whose ``Error:`` line starts with its stable code, CONFIG_INVALID, like every other
    refusal; the help shown for a bare group is left as it is."""
    code = ErrorCode.CONFIG_INVALID.value
    message = exc.format_message()
    if isinstance(exc, click.exceptions.NoArgsIsHelpError) or message.startswith(code):
        return exc
    return click.UsageError(f"{code}: {message}", ctx=exc.ctx)


def _select_env(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        select_env(value)
    return value


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rastup-data")
@click.option(
    "--env",
    type=click.Choice(profile_names()),
    default=None,
    expose_value=False,
    is_eager=True,
    callback=_select_env,
    help="Environment whose profile (thresholds, caps, budgets, schedule) applies "
    "(default: $RASTUP_ENV, else dev).",
)
def cli() -> None:
    """RastUp Data Platform: ingest, land, model, gate, experiment and serve marketplace data."""


def main() -> NoReturn:
    """The console entry point: run the command, then end the process without tearing the
    interpreter down.

    After a command that loaded dbt (a build), the teardown frees millions of objects one by
    one: about 0.6 s after the command's last line. The process ends as a normal exit would,
    minus that: threads still running are waited for, the exit handlers run, the output is
    flushed, and the command's exit status is kept. An exception that escapes the command
    leaves the usual way, with its traceback.
    """
    try:
        cli(prog_name="rastup-data")
    except SystemExit as done:
        _leave(done.code)
    _leave(0)


def _leave(code: object) -> NoReturn:
    """What the interpreter's exit does before its teardown, in its order: threading's own
    exit (executors told to stop, non-daemon threads waited for), then the atexit handlers."""
    threading._shutdown()  # type: ignore[attr-defined]
    atexit._run_exitfuncs()
    if code is None or isinstance(code, int):
        status = code or 0
    else:  # SystemExit("message"): printed, status 1
        print(code, file=sys.stderr)
        status = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(status)


if __name__ == "__main__":
    main()
