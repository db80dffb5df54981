"""The `rastup-data` command line: a thin shell over the components' library functions.

Subcommands are imported only when used, so `rastup-data --help` stays fast and one
component's dependencies never slow another's command.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

import click

from rastup_data import __version__
from rastup_data.errors import RastupError

__all__ = ["main"]

#: command name -> ("module", "attribute", "one-line help")
COMMANDS: dict[str, tuple[str, str, str]] = {
    "serve": ("rastup_data.collector.cli", "serve", "Run the collector and the lander."),
    "send": ("rastup_data.client.cli", "send", "Send an NDJSON file of events to a collector."),
    "replay": ("rastup_data.lander.cli", "replay", "Re-submit quarantined events."),
    "lake": ("rastup_data.lake.cli", "lake", "Inspect and maintain the lake."),
    "contracts": ("rastup_data.contracts.cli", "contracts", "Event schema registry tools."),
    "simulate": ("rastup_data.simulate.cli", "simulate", "Generate a synthetic marketplace."),
    "build": ("rastup_data.transform.cli", "build", "Build Silver and Gold behind quality gates."),
    "query": (
        "rastup_data.governance.cli",
        "query",
        "Query Silver, Gold, NRT and Bronze through the gate.",
    ),
    "auth": ("rastup_data.governance.admin_cli", "auth", "Query-gate tokens."),
    "audit": ("rastup_data.governance.admin_cli", "audit", "Read and verify the audit log."),
    "cost": ("rastup_data.governance.admin_cli", "cost", "Scanned bytes and budgets."),
    "quality": (
        "rastup_data.quality.cli",
        "quality",
        "Run quality gates or compare Gold with golden marts.",
    ),
    "demo": ("rastup_data.demo", "demo", "Run the whole platform end to end."),
    "experiments": (
        "rastup_data.experiments.cli",
        "experiments",
        "Assign and analyse experiments.",
    ),
    "registry": (
        "rastup_data.registry_site.cli",
        "registry",
        "Build the schema registry site and data dictionary.",
    ),
    "catalog": (
        "rastup_data.catalog.cli",
        "catalog",
        "External table DDL (Athena, Glue, Spark, Trino) and Gold as Parquet.",
    ),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name, (mod, _, _) in COMMANDS.items() if _module_exists(mod))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = COMMANDS.get(cmd_name)
        if spec is None or not _module_exists(spec[0]):
            return None
        command = getattr(importlib.import_module(spec[0]), spec[1])
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RastupError as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            info = exc.code.info
            if "to fix this" not in exc.message.lower():
                click.echo(f"hint: {info.action}", err=True)
            if info.runbook:
                click.echo(f"runbook: {info.runbook}", err=True)
            ctx.exit(2)


def _module_exists(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rastup-data")
def cli() -> None:
    """RastUp Data Platform: ingest, land, model, gate, experiment and serve marketplace data."""


def main() -> None:
    cli(prog_name="rastup-data")


if __name__ == "__main__":
    main()
