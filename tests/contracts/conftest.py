"""Fixtures for the contracts tests: the packaged registry, its validator, registry copies."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from rastup_data.contracts import DEFAULT_REGISTRY_PATH, EventValidator, Registry, load_registry


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load_registry()


@pytest.fixture(scope="session")
def validator(registry: Registry) -> EventValidator:
    return EventValidator(registry)


@pytest.fixture
def registry_copy(tmp_path: Path) -> Path:
    """A writable copy of the packaged registry."""
    target = tmp_path / "registry"
    shutil.copytree(DEFAULT_REGISTRY_PATH, target)
    return target


SchemaEditor = Callable[[Path, str, Callable[[dict[str, Any]], Any]], None]


@pytest.fixture
def edit_schema() -> SchemaEditor:
    """``edit_schema(root, relative_path, change)`` rewrites one schema file in place."""
    return _edit_schema


@pytest.fixture
def write_json() -> Callable[[Path, object], None]:
    return _write_json


def read_json(path: Path) -> dict[str, Any]:
    document = orjson.loads(path.read_bytes())
    assert isinstance(document, dict)
    return document


def _write_json(path: Path, document: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))


def _edit_schema(root: Path, relative: str, change: Callable[[dict[str, Any]], Any]) -> None:
    document = read_json(root / relative)
    change(document)
    _write_json(root / relative, document)
