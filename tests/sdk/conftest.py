"""Fixtures for the SDK tests: the client tests' scripted collector stub on 127.0.0.1."""

from __future__ import annotations

from ..client.conftest import kit, load_stub_module, stub, stub_module

__all__ = ["kit", "load_stub_module", "stub", "stub_module"]
