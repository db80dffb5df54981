"""Adapters: upgrade old-version events to a registered version when they are replayed.

An emitter that kept sending an old version (or a version whose fields were renamed) has its
events quarantined. Rather than fix them by hand, an adapter file describes the upgrade and
``rastup-data replay`` applies it before validating again::

    adapters/<event.name>/v<N>.json
    {"to": 2,
     "description": "v1 called the query `q`",
     "rename": {"payload.q": "payload.query"},
     "set": {"payload.source": "web"},
     "drop": ["payload.legacy_rank"]}

Paths are dotted, from the event's root. ``rename`` moves a value (absent: nothing moves),
``set`` adds a value where none is, ``drop`` removes one; then ``v`` becomes ``to``.
Adapters chain (v1 → v2 → v3) until no adapter matches; a chain that loops is refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from rastup_data.errors import ErrorCode, RastupError

__all__ = ["DEFAULT_ADAPTERS_PATH", "Adapter", "Adapters", "load_adapters"]

#: The adapters folder shipped inside the package.
DEFAULT_ADAPTERS_PATH = Path(__file__).resolve().parent / "adapters"

_PATH = re.compile(r"^(?P<event>[a-z0-9_.]+)/v(?P<version>[0-9]+)\.json$")
_KEYS = {"to", "description", "rename", "set", "drop"}


@dataclass(frozen=True, slots=True)
class Adapter:
    """The upgrade of one (event, version) to version ``to``."""

    event: str
    version: int
    to: int
    rename: Mapping[str, str]
    set: Mapping[str, Any]
    drop: tuple[str, ...]

    def apply(self, event: dict[str, Any]) -> None:
        for source, target in self.rename.items():
            found, value = _pop(event, source)
            if found:
                _put(event, target, value, replace=True)
        for path, value in self.set.items():
            _put(event, path, value, replace=False)
        for path in self.drop:
            _pop(event, path)
        event["v"] = self.to


class Adapters:
    """Every adapter of a folder, by the (event, version) it upgrades."""

    def __init__(self, adapters: Mapping[tuple[str, int], Adapter]) -> None:
        self.by_key = dict(adapters)

    def __len__(self) -> int:
        return len(self.by_key)

    def upgrade(self, event: dict[str, Any]) -> bool:
        """Upgrade ``event`` in place through every adapter that matches; whether any did."""
        seen: set[tuple[str, int]] = set()
        while True:
            key = (event.get("event"), event.get("v"))
            adapter = self.by_key.get(key)  # type: ignore[arg-type]
            if adapter is None:
                return bool(seen)
            if key in seen:
                raise RastupError(
                    ErrorCode.CONTRACT_LINT_FAILED,
                    f"the adapters of {key[0]} loop at v{key[1]}; fix their `to` versions.",
                )
            seen.add(key)  # type: ignore[arg-type]
            adapter.apply(event)

    def upgrade_line(self, line: bytes) -> bytes:
        """One raw NDJSON event, upgraded when an adapter matches (else unchanged)."""
        if not self.by_key:
            return line
        try:
            event = orjson.loads(line)
        except orjson.JSONDecodeError:
            return line
        if not isinstance(event, dict) or not self.upgrade(event):
            return line
        return orjson.dumps(event)


def load_adapters(path: Path | None = None) -> Adapters:
    """The adapters under ``path`` (default: the packaged folder); CONTRACT_LINT_FAILED
    naming the file for a malformed one."""
    root = DEFAULT_ADAPTERS_PATH if path is None else Path(path)
    if not root.is_dir():
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"adapters folder {root} does not exist; pass --adapters DIR with "
            "<event.name>/v<N>.json files.",
        )
    found: dict[tuple[str, int], Adapter] = {}
    for file in sorted(root.rglob("*.json")):
        relative = file.relative_to(root).as_posix()
        adapter = _parse(relative, file.read_bytes())
        found[(adapter.event, adapter.version)] = adapter
    return Adapters(found)


def _parse(source: str, data: bytes) -> Adapter:
    def bad(message: str) -> RastupError:
        return RastupError(ErrorCode.CONTRACT_LINT_FAILED, f"adapter {source}: {message}.")

    match = _PATH.match(source)
    if match is None:
        raise bad("adapters live at <event.name>/v<N>.json")
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise bad(f"not valid JSON ({exc})") from exc
    if not isinstance(document, dict) or set(document) - _KEYS:
        raise bad(f"expected an object with keys among {', '.join(sorted(_KEYS))}")
    to, rename = document.get("to"), document.get("rename", {})
    drop, values = document.get("drop", []), document.get("set", {})
    if not isinstance(to, int) or isinstance(to, bool) or to <= int(match["version"]):
        raise bad("`to` must be a version above the one upgraded")
    if not isinstance(rename, dict) or not all(isinstance(v, str) for v in rename.values()):
        raise bad("`rename` maps dotted paths to dotted paths")
    if not isinstance(values, dict) or not isinstance(drop, list):
        raise bad("`set` is an object and `drop` a list of dotted paths")
    return Adapter(match["event"], int(match["version"]), to, rename, values, tuple(drop))


def _pop(event: dict[str, Any], path: str) -> tuple[bool, Any]:
    *parents, leaf = path.split(".")
    node: Any = event
    for part in parents:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict) and leaf in node:
        return True, node.pop(leaf)
    return False, None


def _put(event: dict[str, Any], path: str, value: Any, *, replace: bool) -> None:
    *parents, leaf = path.split(".")
    node: Any = event
    for part in parents:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    if replace or leaf not in node:
        node[leaf] = value
