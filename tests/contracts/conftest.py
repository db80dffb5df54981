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
    return registry.validator()


@pytest.fixture
def registry_copy(tmp_path: Path) -> Path:
    """A writable copy of the packaged registry."""
    target = tmp_path / "registry"
    shutil.copytree(DEFAULT_REGISTRY_PATH, target)
    return target


def read_json(path: Path) -> dict[str, Any]:
    document = orjson.loads(path.read_bytes())
    assert isinstance(document, dict)
    return document


def write_json(path: Path, document: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))


def edit_schema(root: Path, relative: str, change: Callable[[dict[str, Any]], None]) -> None:
    """Apply ``change`` to the schema file at ``root/relative`` in place."""
    document = read_json(root / relative)
    change(document)
    write_json(root / relative, document)
