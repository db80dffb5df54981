"""The lake's datasets as external tables: ``datasets.yaml`` plus the dbt manifest.

Each entry of ``datasets.yaml`` is either one table with a contract column set or explicit
columns, or a group of dbt models (by schema and/or tag) whose columns and declared
``data_type`` come from the manifest. Adding a dataset is adding an entry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from rastup_data.catalog.bronze import CONTRACT_COLUMNS, DT_PARTITION
from rastup_data.catalog.columns import Column, logical_type
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.storage import Storage
from rastup_data.transform.manifest import DbtModel, DbtProject

__all__ = ["DATASETS_PATH", "Dataset", "load_datasets", "pin_snapshots", "resolve_datasets"]

#: The packaged dataset list.
DATASETS_PATH = Path(__file__).resolve().parent / "datasets.yaml"

_ENTRY_KEYS = frozenset(
    {"layer", "name", "description", "path", "columns", "models", "partitioned_by_dt"}
)


@dataclass(frozen=True, slots=True)
class Dataset:
    """One external table: where its Parquet files are and what columns they hold."""

    layer: str
    name: str
    path: str
    columns: tuple[Column, ...]
    description: str = ""
    partitions: tuple[Column, ...] = ()


def pin_snapshots(datasets: Sequence[Dataset], store: Storage) -> tuple[Dataset, ...]:
    """Datasets published by snapshot (a ``CURRENT`` pointer in their folder, as the BI
    extracts are) point at the current snapshot's folder: engines cannot follow a pointer,
    so re-run the DDL (or ALTER TABLE … SET LOCATION) after a refresh."""
    pinned = []
    for dataset in datasets:
        snapshot = store.read_pointer(f"{dataset.path}/CURRENT")
        if snapshot and "/" not in snapshot and not snapshot.startswith("."):
            dataset = replace(dataset, path=f"{dataset.path}/{snapshot}")
        pinned.append(dataset)
    return tuple(pinned)


def load_datasets(project: DbtProject, path: Path = DATASETS_PATH) -> tuple[Dataset, ...]:
    """Read ``datasets.yaml`` and expand model groups with the manifest."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise _invalid(path, f"cannot be read: {exc}") from exc
    if not isinstance(document, Mapping) or not isinstance(document.get("datasets"), list):
        raise _invalid(path, "must be a mapping with a `datasets` list")
    return resolve_datasets(document["datasets"], project, source=path)


def resolve_datasets(
    entries: Sequence[Any], project: DbtProject, *, source: Path = DATASETS_PATH
) -> tuple[Dataset, ...]:
    """Datasets of parsed entries; model groups expand to one dataset per model."""
    out: list[Dataset] = []
    for index, entry in enumerate(entries):
        where = f"datasets[{index}]"
        if not isinstance(entry, Mapping):
            raise _invalid(source, f"{where} must be a mapping")
        unknown = sorted(set(entry) - _ENTRY_KEYS)
        if unknown:
            raise _invalid(source, f"{where} has unknown keys {unknown}")
        if "models" in entry:
            out.extend(_model_datasets(entry, project, source, where))
        else:
            out.append(_table_dataset(entry, source, where))
    names = [(d.layer, d.name) for d in out]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise _invalid(source, f"tables defined twice: {duplicates}")
    return tuple(out)


def _text(entry: Mapping[str, Any], key: str, source: Path, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _invalid(source, f"{where}.{key} must be a non-empty string")
    return value.strip()


def _partitions(entry: Mapping[str, Any]) -> tuple[Column, ...]:
    return (DT_PARTITION,) if entry.get("partitioned_by_dt") is True else ()


def _table_dataset(entry: Mapping[str, Any], source: Path, where: str) -> Dataset:
    name = _text(entry, "name", source, where)
    return Dataset(
        layer=_text(entry, "layer", source, where),
        name=name,
        path=_text(entry, "path", source, where).format(name=name).strip("/"),
        columns=_columns(entry.get("columns"), source, f"{where}.columns"),
        description=str(entry.get("description") or ""),
        partitions=_partitions(entry),
    )


def _columns(spec: Any, source: Path, where: str) -> tuple[Column, ...]:
    if isinstance(spec, str):
        if spec not in CONTRACT_COLUMNS:
            raise _invalid(source, f"{where}: unknown column set {spec!r}")
        return CONTRACT_COLUMNS[spec]
    if not isinstance(spec, list) or not spec:
        raise _invalid(source, f"{where} must name a column set or list columns")
    columns = []
    for i, item in enumerate(spec):
        if not isinstance(item, Mapping) or not {"name", "type"} <= set(item):
            raise _invalid(source, f"{where}[{i}] needs name and type")
        columns.append(
            Column(
                str(item["name"]),
                logical_type(str(item["type"]), where=f"{where}[{i}]"),
                str(item.get("description") or ""),
            )
        )
    return tuple(columns)


def _model_datasets(
    entry: Mapping[str, Any], project: DbtProject, source: Path, where: str
) -> list[Dataset]:
    selector = entry["models"]
    if not isinstance(selector, Mapping) or not set(selector) <= {"schema", "tag"} or not selector:
        raise _invalid(source, f"{where}.models must be {{schema: S}} and/or {{tag: T}}")
    layer = _text(entry, "layer", source, where)
    template = _text(entry, "path", source, where)
    return [
        Dataset(
            layer=layer,
            name=model.alias,
            path=template.format(name=model.alias).strip("/"),
            columns=_model_columns(model),
            description=model.description or str(entry.get("description") or ""),
            partitions=_partitions(entry),
        )
        for model in project.sorted()
        if _selected(model, selector)
    ]


def _selected(model: DbtModel, selector: Mapping[str, Any]) -> bool:
    if model.resource_type != "model":
        return False
    if "schema" in selector and model.schema != selector["schema"]:
        return False
    return "tag" not in selector or selector["tag"] in model.tags


def _model_columns(model: DbtModel) -> tuple[Column, ...]:
    missing = [c.name for c in model.columns if not c.data_type]
    if missing or not model.columns:
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"model {model.relation} ({model.path}) has no data_type for "
            f"{', '.join(missing) or 'any column'}. To fix this, declare every column with its "
            "data_type in the model's schema.yml.",
        )
    return tuple(
        Column(c.name, logical_type(c.data_type, where=f"{model.relation}.{c.name}"), c.description)
        for c in model.columns
    )


def _invalid(source: Path, message: str) -> RastupError:
    return RastupError(
        ErrorCode.CONFIG_INVALID,
        f"{source.name}: {message}. See docs/external-engines.md for the format.",
    )
