"""Reading the schema registry folder into a :class:`Registry`.

Layout (relative to the registry root)::

    envelope/v1.json               the envelope every event travels in
    events/<event.name>/v<N>.json  the payload schema of version N of one event

The event name and version come from the path; the lint checks that ``$id`` agrees.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from rastup_data.errors import ErrorCode, RastupError

__all__ = [
    "BASE_CATALOGUE_VERSION",
    "DEFAULT_REGISTRY_PATH",
    "ENVELOPE_SOURCE",
    "EventSchema",
    "LoadProblem",
    "Registry",
    "load_registry",
    "parse_registry",
    "read_registry_documents",
]

#: The registry folder shipped inside the package.
DEFAULT_REGISTRY_PATH = Path(__file__).resolve().parent / "registry"
#: Where the envelope schema lives, relative to the registry root.
ENVELOPE_SOURCE = "envelope/v1.json"

#: The catalogue version of events whose schema names none (``x-since``).
BASE_CATALOGUE_VERSION = "1.0"

_EVENT_PATH = re.compile(r"^events/(?P<event>[a-z0-9_.]+)/v(?P<version>[1-9][0-9]*)\.json$")


@dataclass(frozen=True, slots=True)
class EventSchema:
    """The payload schema of one (event, version), with its registry metadata."""

    event: str
    version: int
    schema: Mapping[str, Any]
    source: str

    @property
    def key(self) -> tuple[str, int]:
        return (self.event, self.version)

    @property
    def title(self) -> str:
        return _text(self.schema.get("title"))

    @property
    def description(self) -> str:
        return _text(self.schema.get("description"))

    @property
    def owner(self) -> str:
        return _text(self.schema.get("x-owner"))

    @property
    def since(self) -> str:
        """The catalogue version that added this event (``x-since``; ``1.0`` when absent)."""
        return _text(self.schema.get("x-since")) or BASE_CATALOGUE_VERSION

    @property
    def examples(self) -> tuple[Mapping[str, Any], ...]:
        examples = self.schema.get("examples")
        if not isinstance(examples, list):
            return ()
        return tuple(example for example in examples if isinstance(example, Mapping))

    @property
    def required_fields(self) -> tuple[str, ...]:
        required = self.schema.get("required")
        if not isinstance(required, list):
            return ()
        return tuple(name for name in required if isinstance(name, str))


@dataclass(frozen=True, slots=True)
class LoadProblem:
    """A file of the registry that could not be read as a schema."""

    source: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


@dataclass(frozen=True, slots=True)
class Registry:
    """Every registered (event, version) schema plus the envelope."""

    envelope: Mapping[str, Any]
    events: Mapping[tuple[str, int], EventSchema]
    root: Path | None = None
    envelope_source: str = field(default=ENVELOPE_SOURCE)

    def __iter__(self) -> Iterator[EventSchema]:
        return iter(sorted(self.events.values(), key=lambda schema: schema.key))

    def __len__(self) -> int:
        return len(self.events)

    def get(self, event: str, version: int) -> EventSchema | None:
        return self.events.get((event, version))

    def versions(self, event: str) -> tuple[int, ...]:
        return tuple(sorted(v for name, v in self.events if name == event))

    @property
    def catalogue_version(self) -> str:
        """The event catalogue's version: the newest ``x-since`` of any schema (``1.1`` adds
        the booking leg acceptance events); new events raise the minor version."""
        versions = {schema.since for schema in self.events.values()} | {BASE_CATALOGUE_VERSION}
        return max(versions, key=_version_key)

    def latest(self) -> tuple[EventSchema, ...]:
        """The newest version of every event, sorted by event name."""
        newest: dict[str, EventSchema] = {}
        for schema in self.events.values():
            if schema.event not in newest or schema.version > newest[schema.event].version:
                newest[schema.event] = schema
        return tuple(newest[name] for name in sorted(newest))


def load_registry(path: Path | None = None) -> Registry:
    """Load the registry folder at ``path`` (default: the packaged registry).

    Raises ``RastupError(CONTRACT_LINT_FAILED)`` when a file cannot be read as a schema,
    and ``RastupError(CONFIG_INVALID)`` when the folder does not exist.
    """
    root = DEFAULT_REGISTRY_PATH if path is None else Path(path)
    registry, problems = parse_registry(read_registry_documents(root), root)
    if problems:
        listed = "; ".join(str(problem) for problem in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise RastupError(
            ErrorCode.CONTRACT_LINT_FAILED,
            f"the registry at {root} cannot be loaded: {listed}{more}. "
            "Run `rastup-data contracts lint` and fix the files it names.",
        )
    return registry


def read_registry_documents(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` as {relative posix path: bytes}.

    Hidden files and folders (``.git``, editor files) and README files are skipped.
    """
    if not root.is_dir():
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"registry folder {root} does not exist; pass --registry DIR with the folder "
            "holding envelope/ and events/.",
        )
    documents: dict[str, bytes] = {}
    for file in sorted(root.rglob("*")):
        relative = file.relative_to(root)
        if file.is_file() and not any(_ignored(part) for part in relative.parts):
            documents[relative.as_posix()] = file.read_bytes()
    return documents


def parse_registry(
    documents: Mapping[str, bytes], root: Path | None = None
) -> tuple[Registry, list[LoadProblem]]:
    """Build a registry from {relative path: bytes}; unreadable files become problems."""
    problems: list[LoadProblem] = []
    envelope: Mapping[str, Any] = {}
    events: dict[tuple[str, int], EventSchema] = {}
    for source in sorted(documents):
        if any(_ignored(part) for part in source.split("/")):
            continue
        match = _EVENT_PATH.match(source)
        if source != ENVELOPE_SOURCE and match is None:
            problems.append(
                LoadProblem(
                    source,
                    "unexpected file; schemas live at envelope/v1.json and "
                    "events/<event.name>/v<N>.json",
                )
            )
            continue
        try:
            document = orjson.loads(documents[source])
        except orjson.JSONDecodeError as exc:
            problems.append(LoadProblem(source, f"not valid JSON ({exc})"))
            continue
        if not isinstance(document, dict):
            problems.append(LoadProblem(source, "a schema must be a JSON object"))
            continue
        if match is None:
            envelope = document
        else:
            schema = EventSchema(match["event"], int(match["version"]), document, source)
            events[schema.key] = schema
    if not envelope:
        problems.append(LoadProblem(ENVELOPE_SOURCE, "the envelope schema is missing"))
    return Registry(envelope=envelope, events=events, root=root), problems


def _ignored(name: str) -> bool:
    return name.startswith(".") or name.lower().startswith("readme")


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else -1 for part in version.split("."))
