"""Command-line commands for experiment definitions and assignment: assign, list, validate.

They are attached to the ``experiments`` group; each is a thin shell over the library.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import orjson

from rastup_data.config import Settings
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.experiments.assignment import Assigner
from rastup_data.experiments.catalog import load_catalog
from rastup_data.experiments.definitions import (
    Experiment,
    ExperimentSet,
    MetricRole,
    lint_experiments,
    load_experiments,
)
from rastup_data.experiments.exposure import UnitRef, assign_and_expose
from rastup_data.experiments.home import DefinitionsHome, HomeSource, find_definitions
from rastup_data.lake.options import lake_option
from rastup_data.state import open_state

__all__ = ["ASSIGN_COMMANDS", "assign", "list_experiments", "validate"]

F = TypeVar("F", bound=Callable[..., Any])


def _coded_errors(command: F) -> F:
    """Print coded errors as one line plus a hint and exit 2, instead of a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except RastupError as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            if exc.hint_text is not None:
                click.echo(f"hint: {exc.hint_text}", err=True)
            raise SystemExit(2) from None

    return wrapper  # type: ignore[return-value]


_experiments_dir = click.option(
    "--experiments-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder of experiment YAML files [default: $RASTUP_EXPERIMENTS_DIR, else "
    "./experiments, else the examples shipped with rastup-data].",
)
_catalog = click.option(
    "--catalog",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Metrics catalogue [default: $RASTUP_METRICS_CATALOG, else metrics/catalog.yaml "
    "beside the experiments folder].",
)


def _definitions(experiments_dir: Path | None, catalog: Path | None) -> DefinitionsHome:
    """The folder and catalogue to use; says so on stderr when they are the shipped examples."""
    home = find_definitions(experiments_dir, catalog)
    if home.source is HomeSource.SHIPPED:
        click.echo(
            f"note: {home.describe}; use yours with --experiments-dir DIR or "
            "RASTUP_EXPERIMENTS_DIR",
            err=True,
        )
    return home


def _load(experiments_dir: Path | None, catalog: Path | None) -> ExperimentSet:
    home = _definitions(experiments_dir, catalog)
    return load_experiments(home.experiments_dir, load_catalog(home.catalog))


def _parse_attributes(pairs: tuple[str, ...]) -> dict[str, str]:
    attributes: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise RastupError(
                ErrorCode.CONFIG_INVALID, f"--attr {pair!r} must look like name=value."
            )
        attributes[name.strip()] = value.strip()
    return attributes


@click.command("assign")
@click.argument("key")
@click.option("--unit", "unit_id", default=None, help="Unit id (session id, or a u_/a_ id).")
@click.option("--anon-id", default=None, help="Anonymous id of the device.")
@click.option("--user-id", default=None, help="User id once logged in (links --anon-id).")
@click.option(
    "--attr",
    "attrs",
    multiple=True,
    metavar="NAME=VALUE",
    help="Targeting attribute, e.g. --attr city=nyc (repeatable).",
)
@click.option("--expose", is_flag=True, help="Also log the exposure and print its event.")
@_experiments_dir
@_catalog
@lake_option()
@click.option("--state-url", default=None, help="State database URL (default: the lake's).")
@_coded_errors
def assign(
    *,
    key: str,
    unit_id: str | None,
    anon_id: str | None,
    user_id: str | None,
    attrs: tuple[str, ...],
    expose: bool,
    experiments_dir: Path | None,
    catalog: Path | None,
    lake: Path | None,
    state_url: str | None,
) -> None:
    """Assign a unit to a variant of experiment KEY (sticky) and print it as JSON."""
    experiments = _load(experiments_dir, catalog)
    settings = Settings.from_env(lake=lake)
    with open_state(state_url or settings.state_url, lake=settings.lake) as state:
        assigner = Assigner(state, experiments)
        assignment, event = (
            assign_and_expose(
                assigner,
                key,
                UnitRef(unit_id=unit_id, anon_id=anon_id, user_id=user_id),
                attributes=_parse_attributes(attrs),
            )
            if expose
            else (
                assigner.assign(
                    key,
                    unit_id=unit_id,
                    anon_id=anon_id,
                    user_id=user_id,
                    attributes=_parse_attributes(attrs),
                ),
                None,
            )
        )
    out: dict[str, Any] = {
        "exp_key": assignment.exp_key,
        "variant": assignment.variant,
        "unit_id": assignment.unit_id,
        "unit_type": assignment.unit_type.value,
        "bucket": assignment.bucket,
        "in_experiment": assignment.in_experiment,
        "reason": assignment.reason.value,
    }
    if expose:
        out["exposure_event"] = event
    click.echo(orjson.dumps(out, option=orjson.OPT_INDENT_2).decode())


def _summary(experiment: Experiment, experiments: ExperimentSet) -> dict[str, Any]:
    layer = experiments.layer_of(experiment)
    return {
        "key": experiment.key,
        "owner": experiment.owner,
        "unit": experiment.unit.value,
        "variants": {v.name: float(v.weight) for v in experiment.variants},
        "layer": experiment.layer,
        "holdout_pct": None if layer is None else float(layer.holdout_pct),
        "layer_slice": None if experiment.layer_slice is None else list(experiment.layer_slice),
        "start": experiment.start.isoformat(),
        "end": None if experiment.end is None else experiment.end.isoformat(),
        "primary": [m.name for m in experiment.metrics_with_role(MetricRole.PRIMARY)],
        "guardrails": [m.name for m in experiment.metrics_with_role(MetricRole.GUARDRAIL)],
        "sequential": experiment.sequential,
        "alpha": experiment.alpha,
        "file": str(experiment.path),
    }


@click.command("list")
@_experiments_dir
@_catalog
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@_coded_errors
def list_experiments(experiments_dir: Path | None, catalog: Path | None, fmt: str) -> None:
    """List the experiments defined in the folder."""
    experiments = _load(experiments_dir, catalog)
    rows = [_summary(e, experiments) for e in sorted(experiments, key=lambda e: e.key)]
    if fmt == "json":
        click.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return
    from rich.table import Table

    from rastup_data.terminal import output_console

    table = Table()
    table.add_column("key", no_wrap=True)
    for name in ("unit", "variants", "layer"):
        table.add_column(name, overflow="fold")
    for name in ("start", "end"):
        table.add_column(name, no_wrap=True)
    for name in ("primary", "owner"):
        table.add_column(name, overflow="fold")
    for row in rows:
        variants = " ".join(f"{n}:{w:g}" for n, w in row["variants"].items())
        layer = row["layer"] or "-"
        if row["holdout_pct"]:
            layer += f" (holdout {row['holdout_pct']:g}%)"
        table.add_row(
            row["key"],
            row["unit"],
            variants,
            layer,
            row["start"][:10],
            (row["end"] or "-")[:10],
            ", ".join(row["primary"]),
            row["owner"],
        )
    output_console().print(table)


@click.command("validate")
@_experiments_dir
@_catalog
@_coded_errors
def validate(experiments_dir: Path | None, catalog: Path | None) -> None:
    """Lint the experiment YAML folder against the metrics catalogue."""
    home = _definitions(experiments_dir, catalog)
    metrics = load_catalog(home.catalog)
    problems = lint_experiments(home.experiments_dir, metrics)
    for problem in problems:
        click.secho(f"error: {problem}", fg="red", err=True)
    if problems:
        raise RastupError(
            ErrorCode.EXPERIMENT_INVALID,
            f"{len(problems)} problem(s) in {home.experiments_dir}: fix them as listed above.",
        )
    count = len(load_experiments(home.experiments_dir, metrics))
    click.echo(f"ok: {count} experiment(s) valid in {home.experiments_dir}")


#: Commands to attach to the ``experiments`` group.
ASSIGN_COMMANDS: tuple[click.Command, ...] = (assign, list_experiments, validate)
