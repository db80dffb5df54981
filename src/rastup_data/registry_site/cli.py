"""``rastup-data registry build``: the schema registry site as a static folder."""

from __future__ import annotations

from pathlib import Path

import click

from rastup_data.config import resolve_lake
from rastup_data.contracts.loader import DEFAULT_REGISTRY_PATH
from rastup_data.experiments.home import locate_definitions
from rastup_data.lake.layout import LakeLayout
from rastup_data.lake.options import lake_option
from rastup_data.registry_site.site import SiteOptions, build_site
from rastup_data.transform.manifest import load_manifest, project_manifest

__all__ = ["registry"]


@click.group()
def registry() -> None:
    """The schema registry site and data dictionary."""


@registry.command("build")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write the site to (replaced atomically).",
)
@lake_option(
    help_text="Lake whose last build's manifest to use (default: $RASTUP_LAKE, else ./lake)."
)
@click.option(
    "--manifest",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="dbt manifest.json (default: the lake's last build, else a fresh `dbt parse`).",
)
@click.option(
    "--registry",
    "registry_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=DEFAULT_REGISTRY_PATH,
    show_default="the packaged registry",
    help="Event schema registry folder.",
)
@click.option(
    "--metrics",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Metrics catalogue [default: as for `experiments list`].",
)
@click.option(
    "--experiments",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Experiment definitions folder [default: $RASTUP_EXPERIMENTS_DIR, else "
    "./experiments, else the shipped examples].",
)
@click.option(
    "--dashboards",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("dashboards"),
    show_default=True,
    help="Dashboards-as-code folder (used-by index).",
)
def build_command(
    out: Path,
    lake: str | None,
    manifest: Path | None,
    registry_dir: Path,
    metrics: Path | None,
    experiments: Path | None,
    dashboards: Path,
) -> None:
    """Write the static registry site (events, models, lineage, dictionary, search) to OUT."""
    layout = LakeLayout(resolve_lake(lake))
    project = load_manifest(manifest) if manifest else project_manifest(layout)
    home = locate_definitions(experiments, metrics)
    options = SiteOptions(
        project=project,
        registry=registry_dir,
        metrics=home.catalog,
        experiments=home.experiments_dir,
        dashboards=dashboards,
    )
    result = build_site(options, out)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(
        f"wrote {result.pages} pages ({result.events} events, {result.models} models, "
        f"{result.dictionary_entries} dictionary entries) to {result.path}; "
        f"open {result.path / 'index.html'}"
    )
