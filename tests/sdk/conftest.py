"""Fixtures for the SDK tests: the client tests' scripted collector stub on 127.0.0.1."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

STUB_PATH = Path(__file__).parent.parent / "client" / "stub_collector.py"


def load_stub_module() -> ModuleType:
    name = "rastup_tests_stub_collector"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, STUB_PATH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


stub_module = load_stub_module()


@pytest.fixture
def stub() -> Iterator[Any]:
    with stub_module.running_stub() as server:
        yield server


@pytest.fixture
def kit() -> ModuleType:
    """The stub module: Reply, make_event, ndjson_lines, running_stub."""
    return stub_module
