"""The ``[collector]`` table of ``serve --config FILE``, read and checked whole at start.

A misspelt key, a value of the wrong type or a limit that is not a positive number is a
CONFIG_INVALID naming the key before anything listens: not a traceback, not a 500 on the
first request that meets the bad limit, and not a setting silently ignored (``ingest_key``
for ``ingest_keys`` would otherwise start a collector without keys). The keys are those of
docs/environment-variables.md ("Collector config file"); ``webhook_secrets`` is checked by
the ``serve`` command, which merges it with $RASTUP_WEBHOOK_SECRETS.
"""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path
from typing import Any

from rastup_data.collector.protocol import HttpLimits
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.ingest.limits import IngestLimits
from rastup_data.spool.spool import MAX_ROTATE_S, SpoolConfig

__all__ = ["load_collector_config"]

#: The sub-tables of ``[collector]`` and the settings they fill (every field a positive number).
TABLES: dict[str, type[Any]] = {"limits": IngestLimits, "http": HttpLimits, "spool": SpoolConfig}
#: The plain keys of ``[collector]``: (type, smallest and largest value; None: more than 0),
#: the ranges of the matching ``serve`` options.
SCALARS: dict[str, tuple[type[Any], float | None, float | None]] = {
    "dedupe_window_s": (float, None, None),
    "workers": (int, 1, 64),
    "validation_workers": (int, 0, 64),
}
#: Upper bounds of sub-table settings (the rest: any positive number).
MOST: dict[str, float] = {"spool.rotate_s": MAX_ROTATE_S}
KNOWN = frozenset({"ingest_keys", "webhook_secrets", *TABLES, *SCALARS})


def load_collector_config(path: Path | None) -> dict[str, Any]:
    """The ``[collector]`` table of a TOML config file (empty when no file is given),
    every key known and every value of its type and range."""
    if path is None:
        return {}
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RastupError(ErrorCode.CONFIG_INVALID, f"cannot read config {path}: {exc}") from None
    section = data.get("collector", {})
    if not isinstance(section, dict):
        raise RastupError(ErrorCode.CONFIG_INVALID, f"{path}: [collector] must be a table")
    _check_section(section, path)
    return section


def _refuse(path: Path, message: str) -> RastupError:
    return RastupError(
        ErrorCode.CONFIG_INVALID,
        f"{path}: {message}",
        hint="docs/environment-variables.md (Collector config file) lists the keys and values.",
    )


def _check_section(section: dict[str, Any], path: Path) -> None:
    for key in section:
        if key not in KNOWN:
            known = ", ".join(sorted(KNOWN))
            raise _refuse(path, f"[collector] has no key {key!r}; the keys are {known}")
    keys = section.get("ingest_keys", [])
    if not isinstance(keys, list) or not all(isinstance(k, str) and k for k in keys):
        raise _refuse(path, "ingest_keys must be a list of keys (non-empty strings)")
    for key, (kind, least, most) in SCALARS.items():
        if key in section:
            _check_number(path, key, section[key], kind, (least, most))
    for table, settings in TABLES.items():
        if table in section:
            _check_table(path, table, section[table], settings)


def _check_table(path: Path, table: str, values: object, settings: type[Any]) -> None:
    if not isinstance(values, dict):
        raise _refuse(path, f"[collector.{table}] must be a table")
    fields = {f.name: f.type for f in dataclasses.fields(settings)}
    for key, value in values.items():
        if key not in fields:
            known = ", ".join(fields)
            raise _refuse(path, f"[collector.{table}] has no key {key!r}; the keys are {known}")
        kind = float if fields[key] in (float, "float") else int
        name = f"{table}.{key}"
        _check_number(path, name, value, kind, (None, MOST.get(name)))


def _check_number(
    path: Path, key: str, value: object, kind: type[Any], bounds: tuple[float | None, float | None]
) -> None:
    whole = kind is int
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not isinstance(value, (int, float)) or not number or (whole and isinstance(value, float)):
        wanted = "a whole number" if whole else "a number"
        raise _refuse(path, f"{key} must be {wanted}, got {value!r}")
    least, most = bounds
    if least is None and (value <= 0 or (most is not None and value > most)):
        upto = "" if most is None else f" and at most {most:g}"
        raise _refuse(path, f"{key} must be more than 0{upto}, got {value}")
    if (least is not None and value < least) or (most is not None and value > most):
        raise _refuse(path, f"{key} must be between {least:g} and {most:g}, got {value}")
