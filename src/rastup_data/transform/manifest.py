"""The dbt project as its manifest describes it: models, seeds, columns, tests and lineage.

One reader for every consumer of the manifest (the registry site, the external-engine
DDL, the governance tags): the last build's ``manifest.json`` when the lake has one,
else a fresh ``dbt parse`` of the packaged project.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.lake.layout import LakeLayout
from rastup_data.transform._dbt import dbt_project_dir, run_dbt
from rastup_data.transform.dbt_lake import dbt_lake
from rastup_data.transform.warehouse import warehouse_dirs

__all__ = [
    "DbtColumn",
    "DbtModel",
    "DbtProject",
    "DbtTest",
    "build_manifest_path",
    "current_manifest_path",
    "load_manifest",
    "project_manifest",
]

_RELATION_TYPES = frozenset({"model", "seed", "source"})


@dataclass(frozen=True, slots=True)
class DbtColumn:
    """A documented column; ``data_type`` is what schema.yml declares (may be empty)."""

    name: str
    description: str
    data_type: str
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DbtTest:
    """A data test attached to a model and the columns it checks (none: the whole model)."""

    name: str
    kind: str
    columns: tuple[str, ...]
    severity: str


@dataclass(frozen=True, slots=True)
class DbtModel:
    """A model, seed or source of the project with its docs, tests and neighbours.

    ``meta`` is the model's (or source table's) ``meta:`` mapping — e.g. the ``quality``
    declarations of docs/quality.md; ``source_freshness`` and ``loaded_at_field`` are a
    source's dbt freshness settings (empty for models).
    """

    unique_id: str
    name: str
    resource_type: str
    schema: str
    alias: str
    description: str
    materialized: str
    tags: tuple[str, ...]
    columns: tuple[DbtColumn, ...]
    tests: tuple[DbtTest, ...]
    parents: tuple[str, ...]
    children: tuple[str, ...]
    path: str
    raw_code: str
    meta: Mapping[str, Any] = field(default_factory=dict)
    source_freshness: Mapping[str, Any] = field(default_factory=dict)
    loaded_at_field: str = ""

    @property
    def relation(self) -> str:
        """``schema.alias`` as readers query it."""
        return f"{self.schema}.{self.alias}"

    def column(self, name: str) -> DbtColumn | None:
        return next((c for c in self.columns if c.name == name), None)


@dataclass(frozen=True, slots=True)
class DbtProject:
    """Every relation of the manifest, keyed by unique id."""

    models: Mapping[str, DbtModel]
    generated_at: str

    def by_name(self, name: str) -> DbtModel | None:
        """A relation by ``name`` or ``schema.name``."""
        for model in self.models.values():
            if name in (model.name, model.alias, model.relation):
                return model
        return None

    def in_schema(self, schema: str) -> tuple[DbtModel, ...]:
        return tuple(
            sorted(
                (
                    m
                    for m in self.models.values()
                    if m.schema == schema and m.resource_type != "source"
                ),
                key=lambda m: m.name,
            )
        )

    def sorted(self) -> tuple[DbtModel, ...]:
        return tuple(sorted(self.models.values(), key=lambda m: (m.schema, m.name)))


def build_manifest_path(layout: LakeLayout) -> Path:
    """Where the last ``rastup-data build`` of this lake left dbt's manifest."""
    return warehouse_dirs(layout).dbt_target("build") / "manifest.json"


def load_manifest(path: Path) -> DbtProject:
    """Read a ``manifest.json`` written by dbt (schema v12)."""
    try:
        document = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"cannot read the dbt manifest {path}: {exc}. To fix this, run `rastup-data build` "
            "or pass the manifest.json of a dbt run.",
        ) from exc
    return parse_manifest(document)


def project_manifest(layout: LakeLayout | None = None) -> DbtProject:
    """The lake's last build manifest if there is one, else ``dbt parse`` of the project."""
    if layout is not None:
        path = build_manifest_path(layout)
        if path.is_file():
            return load_manifest(path)
    with tempfile.TemporaryDirectory(prefix="rastup-dbt-parse-") as tmp:
        target = Path(tmp)
        outcome = run_dbt(
            ["parse"],
            target_dir=target,
            variables={"lake_path": str(target / "lake"), "warehouse_path": str(target / "w")},
        )
        if not outcome.success:
            raise RastupError(
                ErrorCode.CTAS_FAILURE, f"dbt could not parse the project: {outcome.error}"
            )
        return load_manifest(target / "manifest.json")


def current_manifest_path(layout: LakeLayout, *, project_dir: Path | None = None) -> Path:
    """A manifest describing the current project, kept in the lake for readers (the gate).

    The newest manifest a build, an NRT refresh or an earlier parse left under
    ``warehouse/_dbt/`` while it is newer than the project's files; otherwise ``dbt parse``
    writes a fresh one into ``_dbt/parse`` (once: later calls find it).
    """
    project = project_dir or dbt_project_dir()
    dirs = warehouse_dirs(layout)
    edited = _project_mtime(project)
    found = [
        path
        for path in (dirs.dbt_target(p) / "manifest.json" for p in ("build", "nrt", "parse"))
        if path.is_file()
    ]
    newest = max(found, key=lambda p: p.stat().st_mtime, default=None)
    if newest is not None and newest.stat().st_mtime >= edited:
        return newest
    target = dirs.dbt_target("parse")
    manifest = target / "manifest.json"
    lake = dbt_lake(layout)
    with dirs.work.lock("dbt-parse"):
        if manifest.is_file() and manifest.stat().st_mtime >= edited:
            return manifest  # another process parsed while this one waited
        outcome = run_dbt(
            ["parse"],
            target_dir=target,
            project_dir=project,
            variables={**lake.variables, "warehouse_path": str(dirs.builds.staging)},
            target=lake.target,
        )
    if not outcome.success or not manifest.is_file():
        raise RastupError(
            ErrorCode.CTAS_FAILURE, f"dbt could not parse the project: {outcome.error}"
        )
    return manifest


def _project_mtime(project: Path) -> float:
    return max(
        (
            path.stat().st_mtime
            for pattern in ("*.yml", "*.sql", "*.csv")
            for path in project.rglob(pattern)
            if "target" not in path.parts and "logs" not in path.parts
        ),
        default=0.0,
    )


def parse_manifest(document: Mapping[str, Any]) -> DbtProject:
    """The relations of a manifest document, with their tests and lineage."""
    nodes: dict[str, Mapping[str, Any]] = {
        **document.get("nodes", {}),
        **document.get("sources", {}),
    }
    tests = _tests_by_node(nodes)
    parents: Mapping[str, list[str]] = document.get("parent_map", {})
    children: Mapping[str, list[str]] = document.get("child_map", {})
    models: dict[str, DbtModel] = {}
    for unique_id, node in nodes.items():
        if node.get("resource_type") not in _RELATION_TYPES:
            continue
        models[unique_id] = _model(
            node,
            tests.get(unique_id, ()),
            _relations(parents.get(unique_id, ())),
            _relations(children.get(unique_id, ())),
        )
    generated = str(document.get("metadata", {}).get("generated_at", ""))
    return DbtProject(models=models, generated_at=generated)


def _relations(ids: Any) -> tuple[str, ...]:
    return tuple(sorted(i for i in ids if i.split(".", 1)[0] in _RELATION_TYPES))


def _model(
    node: Mapping[str, Any],
    tests: tuple[DbtTest, ...],
    parents: tuple[str, ...],
    children: tuple[str, ...],
) -> DbtModel:
    config = node.get("config") or {}
    resource_type = str(node["resource_type"])
    schema = str(node.get("schema") or "")
    if resource_type == "source":
        schema = str(node.get("source_name") or schema)
    return DbtModel(
        unique_id=str(node["unique_id"]),
        name=str(node.get("name", "")),
        resource_type=resource_type,
        schema=schema,
        alias=str(node.get("alias") or node.get("identifier") or node.get("name", "")),
        description=str(node.get("description") or ""),
        materialized=str(config.get("materialized") or resource_type),
        tags=tuple(str(t) for t in node.get("tags") or ()),
        columns=tuple(_column(c) for c in (node.get("columns") or {}).values()),
        tests=tests,
        parents=parents,
        children=children,
        path=str(node.get("original_file_path") or ""),
        raw_code=str(node.get("raw_code") or ""),
        meta={**(node.get("meta") or {}), **(config.get("meta") or {})},
        source_freshness=dict(node.get("freshness") or {}) if resource_type == "source" else {},
        loaded_at_field=str(node.get("loaded_at_field") or ""),
    )


def _column(column: Mapping[str, Any]) -> DbtColumn:
    meta = column.get("meta") or {}
    tags = [*(column.get("tags") or ()), *(meta.get("tags") or ())]
    return DbtColumn(
        name=str(column.get("name", "")),
        description=str(column.get("description") or ""),
        data_type=str(column.get("data_type") or ""),
        tags=tuple(dict.fromkeys(str(t) for t in tags)),
    )


def _tests_by_node(nodes: Mapping[str, Mapping[str, Any]]) -> dict[str, tuple[DbtTest, ...]]:
    found: dict[str, list[DbtTest]] = {}
    for node in nodes.values():
        if node.get("resource_type") != "test":
            continue
        attached = node.get("attached_node") or next(
            iter((node.get("depends_on") or {}).get("nodes") or ()), None
        )
        if not attached:
            continue
        metadata = node.get("test_metadata") or {}
        found.setdefault(str(attached), []).append(
            DbtTest(
                name=str(node.get("name", "")),
                kind=str(metadata.get("name") or "singular"),
                columns=_tested_columns(node, metadata),
                severity=str((node.get("config") or {}).get("severity") or "error").lower(),
            )
        )
    return {key: tuple(sorted(value, key=lambda t: t.name)) for key, value in found.items()}


def _tested_columns(node: Mapping[str, Any], metadata: Mapping[str, Any]) -> tuple[str, ...]:
    if node.get("column_name"):
        return (str(node["column_name"]),)
    kwargs = metadata.get("kwargs") or {}
    listed = kwargs.get("columns") or (kwargs.get("arguments") or {}).get("columns") or ()
    return tuple(str(c) for c in listed) if isinstance(listed, list) else ()
