"""``rastup-data catalog``: external table DDL for Athena/Glue/Spark/Trino, Gold as Parquet."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from rastup_data.catalog.datasets import DATASETS_PATH, load_datasets
from rastup_data.catalog.ddl import render_ddl
from rastup_data.catalog.engines import ENGINES, DdlOptions
from rastup_data.catalog.export import ExportedTable, export_gold
from rastup_data.config import resolve_lake
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.lake.existing import existing_lake
from rastup_data.lake.layout import LakeLayout
from rastup_data.lake.options import lake_option
from rastup_data.transform.manifest import load_manifest, project_manifest

__all__ = ["catalog"]

_LAKE = lake_option()
_MANIFEST = click.option(
    "--manifest",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="dbt manifest.json (default: the lake's last build, else a fresh `dbt parse`).",
)
_DATASETS = click.option(
    "--datasets",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=DATASETS_PATH,
    show_default="the packaged datasets.yaml",
    help="Dataset list to render.",
)


@click.group()
def catalog() -> None:
    """External tables over the lake for engines that read it without the platform."""


@catalog.command()
@click.option(
    "--engine",
    type=click.Choice(sorted(ENGINES)),
    required=True,
    help="Target engine; glue prints Glue DatabaseInput/TableInput JSON.",
)
@click.option(
    "--location",
    default=None,
    metavar="URI",
    help="Lake root URI the tables point at, e.g. s3://bucket/lake (default: the local lake "
    "as a file:// URI).",
)
@click.option("--prefix", default="rastup", show_default=True, help="Database name prefix.")
@click.option(
    "--projection-start",
    default="2020-01-01",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    show_default=True,
    help="First dt Athena's partition projection enumerates.",
)
@click.option(
    "--trino-catalog", default="hive", show_default=True, help="Trino catalog (Hive connector)."
)
@_LAKE
@_MANIFEST
@_DATASETS
def ddl(
    engine: str,
    location: str | None,
    prefix: str,
    projection_start: datetime,
    trino_catalog: str,
    lake: str | None,
    manifest: Path | None,
    datasets: Path,
) -> None:
    """Print the DDL of Bronze, quarantine, Gold (as Parquet) and extracts for ENGINE."""
    layout = LakeLayout(resolve_lake(lake)) if location else existing_lake(lake)
    project = load_manifest(manifest) if manifest else project_manifest(layout)
    options = DdlOptions(
        location=location or _location_uri(layout),
        prefix=prefix,
        projection_start=projection_start.date().isoformat(),
        trino_catalog=trino_catalog,
    )
    store = None if location else layout.lake  # a lake that exists: its extracts are pinned
    click.echo(render_ddl(engine, project, options, datasets, store), nl=False)


@catalog.command("export-gold")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Root to write gold/<mart>/ under (default: the lake root).",
)
@_LAKE
@_MANIFEST
@_DATASETS
def export_gold_command(
    out: Path | None, lake: str | None, manifest: Path | None, datasets: Path
) -> None:
    """Write every published Gold mart as Parquet, where the Gold DDL points."""
    layout = existing_lake(lake)
    project = load_manifest(manifest) if manifest else project_manifest(layout)
    root = (out or layout.local_root).absolute() if out or not layout.is_remote else None
    if root is None:
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"the lake {layout.root} is on S3: pass --out DIR, a local folder to export to.",
        )

    def report(table: ExportedTable) -> None:
        click.echo(f"  {table.name:<28} {table.rows:>8,} rows  {table.path}")

    tables = export_gold(layout, load_datasets(project, datasets), root, report)
    click.echo(f"exported {len(tables)} Gold marts under {root}")


def _location_uri(layout: LakeLayout) -> str:
    """The lake root as the URI external tables point at (``file://…`` or ``s3://…``)."""
    return layout.root if isinstance(layout.root, str) else layout.root.as_uri()
