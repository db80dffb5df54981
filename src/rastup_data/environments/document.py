"""Strict reading of the YAML documents the platform is configured with.

A :class:`DocumentChecker` walks a parsed document and refuses, with one stable code, an
unknown key, a missing key or a value of the wrong shape, naming the file and the path
inside it (``budgets.scanned_per_day``). Sizes (``10 GB``, ``512 MiB``), durations (``30s``,
``10m``, ``3d``), ratios (``99.9%``, ``0.8``), counts (``500M``) and clock times (``06:00``)
are spelled the way people write them.
"""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Any, NoReturn

import yaml

from rastup_data.errors import ErrorCode, RastupError

__all__ = ["DocumentChecker", "join_path", "read_yaml_document"]

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?\s*$")
_SIZE_UNITS = {
    None: 1,
    "B": 1,
    "KB": 10**3,
    "MB": 10**6,
    "GB": 10**9,
    "TB": 10**12,
    "KiB": 2**10,
    "MiB": 2**20,
    "GiB": 2**30,
    "TiB": 2**40,
}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_COUNT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kMG])?\s*$")
_COUNT_UNITS = {None: 1, "k": 10**3, "M": 10**6, "G": 10**9}
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def read_yaml_document(file: Path, code: ErrorCode, what: str) -> Any:
    """The parsed YAML of ``file``; ``code`` with one line naming the file when it cannot be
    read (``cannot read <what>``) or is not valid YAML."""
    try:
        return yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RastupError(code, f"{file}: cannot read {what}: {exc.strerror}.") from exc
    except yaml.YAMLError as exc:
        raise RastupError(code, f"{file}: not valid YAML: {' '.join(str(exc).split())}") from exc


def join_path(path: str, key: str | int) -> str:
    """``budgets`` + ``alarm_at`` → ``budgets.alarm_at``; an index → ``rules[3]``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


class DocumentChecker:
    """Raises ``code`` with ``<source>: <path>: <what is wrong>.`` for a malformed value."""

    def __init__(self, source: str, code: ErrorCode) -> None:
        self.source = source
        self.code = code

    def fail(self, path: str, message: str) -> NoReturn:
        where = f"{self.source}: {path}: " if path else f"{self.source}: "
        raise RastupError(self.code, where + message + ".")

    def mapping(
        self,
        value: Any,
        path: str,
        *,
        required: tuple[str, ...] = (),
        optional: tuple[str, ...] = (),
        any_keys: bool = False,
    ) -> dict[str, Any]:
        """A mapping with string keys; with ``required``/``optional``, no other key."""
        if not isinstance(value, dict):
            self.fail(path or "(top)", f"expected a mapping, got {type(value).__name__}")
        known = set(required) | set(optional)
        for key in value:
            if not isinstance(key, str):
                self.fail(path, f"keys must be strings, got {key!r}")
            if known and not any_keys and key not in known:
                self.fail(
                    join_path(path, key),
                    f"unknown key (expected one of {', '.join(sorted(known))})",
                )
        for key in required:
            if key not in value:
                self.fail(join_path(path, key), "missing")
        return dict(value)

    def items(self, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            self.fail(path, f"expected a list, got {type(value).__name__}")
        return list(value)

    def strings(self, value: Any, path: str) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.fail(path, "expected a list of non-empty strings")
        return list(value)

    def text(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(path, f"expected a non-empty string, got {value!r}")
        return value

    def name(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", value):
            self.fail(path, f"{value!r}: names are lower-case letters, digits and _")
        return value

    def choice(self, value: Any, path: str, choices: tuple[str, ...]) -> str:
        if value not in choices:
            self.fail(path, f"{value!r} is not one of {', '.join(choices)}")
        return str(value)

    def positive_int(self, value: Any, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            self.fail(path, f"expected a positive integer, got {value!r}")
        return int(value)

    def number(self, value: Any, path: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(path, f"expected a number, got {value!r}")
        return float(value)

    def size(self, value: Any, path: str) -> int:
        """Bytes: an integer, or ``10 GB`` / ``10 GiB`` (decimal and binary units)."""
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
        match = _SIZE.match(value) if isinstance(value, str) else None
        if match is None or float(match[1]) <= 0:
            self.fail(path, f"expected a size such as 10 GB or 10 MiB, got {value!r}")
        return int(float(match[1]) * _SIZE_UNITS[match[2]])

    def duration(self, value: Any, path: str) -> float:
        """Seconds: ``250ms``, ``30s``, ``10m``, ``6h`` or ``3d``."""
        match = _DURATION.match(value) if isinstance(value, str) else None
        if match is None or float(match[1]) <= 0:
            self.fail(path, f"expected a duration such as 30s, 10m, 6h or 3d, got {value!r}")
        return float(match[1]) * _DURATION_UNITS[match[2]]

    def ratio(self, value: Any, path: str) -> float:
        """A share in (0, 1]: ``0.8`` or ``80%``."""
        if isinstance(value, str) and value.strip().endswith("%"):
            try:
                share = float(value.strip()[:-1]) / 100
            except ValueError:
                share = -1.0
        elif isinstance(value, int | float) and not isinstance(value, bool):
            share = float(value)
        else:
            share = -1.0
        if not 0 < share <= 1:
            self.fail(path, f"expected a share such as 80% or 0.8 (in (0, 1]), got {value!r}")
        return share

    def count(self, value: Any, path: str) -> int:
        """A positive count: an integer, or ``50k`` / ``500M`` / ``2G``."""
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
        match = _COUNT.match(value) if isinstance(value, str) else None
        if match is None or float(match[1]) <= 0:
            self.fail(path, f"expected a count such as 5000, 50k or 500M, got {value!r}")
        return int(float(match[1]) * _COUNT_UNITS[match[2]])

    def clock(self, value: Any, path: str) -> time:
        """A local wall-clock time ``HH:MM`` (24 h)."""
        match = _CLOCK.match(value) if isinstance(value, str) else None
        if match is None:
            self.fail(path, f"expected a time of day such as 06:00, got {value!r}")
        return time(int(match[1]), int(match[2]))
