"""Run the dbt project in-process (``dbtRunner``) and turn its results into records.

dbt parses the project on every invocation unless it is handed a parsed manifest, and its
partial parse (``partial_parse.msgpack`` in the target folder) is thrown away whenever a
``--vars`` value or the profile's connection differs, which they do between a build (its
staging file, its Bronze window) and the NRT refresh that follows it (the NRT state file),
and between lakes. A process therefore keeps its last parse and hands it to the next
invocation whose project files, target and parse-time vars are the same (see
``_ParseKey``); only vars read while nodes run may differ (the lake's path is one of them).
That parse is made in a folder of the user's cache shared by every lake of the machine
(``<cache>/dbt-parse/<project, dbt version, target>``), with the parse-time vars alone and a
fixed stand-in for the warehouse file, so dbt's partial parse there serves the next process
and the first build of a new lake too. The installation can make that parse once for every
user of the environment (``build --parse-only --into-environment``, which ``make setup``
runs): a user cache without a parse of its own starts from a copy of it, so even a machine's
first build does not parse the whole project.

Ready nodes are started critical path first (``_schedule``), weighted by the seconds each
took in the previous invocation with the same target folder, or for a target folder without
one (a lake's first build) in the machine's last invocation of that kind, kept beside the
shared parse.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import gc
import hashlib
import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rastup_data.config import resolve_cache_dir, resolve_install_cache_dir
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.storage import LocalStorage
from rastup_data.transform._schedule import critical_path_first, previous_seconds

__all__ = [
    "DbtInvocation",
    "NodeOutcome",
    "dbt_project_dir",
    "installed_parse_manifest",
    "prepare_parse",
    "run_dbt",
    "shared_parse_manifest",
]

#: dbtRunner shares global state (flags, adapters): one invocation per process at a time.
_INVOKE_LOCK = threading.Lock()

#: Vars the project reads only when a node runs (macros, hooks, the profile's S3 settings),
#: never while parsing: a parse made with other values of these is the same parse. Any other
#: var makes a new parse (``lake_prefix``, a remote lake's root, is rendered into the Bronze
#: sources at parse time, see :data:`_VARS_AS_ENV`; a local lake's sources are relative to
#: ``lake_path``).
RUN_TIME_VARS = frozenset(
    {
        "lake_path",
        "bronze_from",
        "bronze_to",
        "reread_window",
        "lookback_days",
        "s3_endpoint",
        "s3_key",
        "s3_secret",
        "s3_token",
        "s3_region",
    }
)

#: Parse-time values handed to dbt as environment variables, not vars: dbt's partial parse
#: re-parses only the files that read a changed environment variable (the Bronze sources
#: read the lake's prefix), while any changed var makes it parse the whole project. So a
#: lake on S3 starts from the parse of every other lake, the installed one included.
_VARS_AS_ENV = {"lake_prefix": "RASTUP_DBT_LAKE_PREFIX"}

#: The profile's DuckDB file: opened per invocation, but dbt-duckdb names the catalog after
#: the file's stem and parses that name into every node, so only the stem is part of a parse.
_WAREHOUSE_VAR = "warehouse_path"


@dataclass(frozen=True, slots=True)
class _ParseKey:
    """What a parsed manifest depends on: the project's files, the target, parse-time vars."""

    project: str
    files: tuple[tuple[str, int, int], ...]
    target: str
    variables: str

    @classmethod
    def of(cls, project: Path, variables: Mapping[str, Any], target: str | None) -> _ParseKey:
        paths = (p for p in project.rglob("*") if p.is_file())
        files = tuple(sorted(_file_signature(project, p) for p in paths))
        parse_vars = parse_time_vars(variables)
        if _WAREHOUSE_VAR in parse_vars:
            parse_vars[_WAREHOUSE_VAR] = Path(str(parse_vars[_WAREHOUSE_VAR])).stem
        return cls(str(project), files, target or "", json.dumps(parse_vars, sort_keys=True))


def _file_signature(project: Path, path: Path) -> tuple[str, int, int]:
    info = path.stat()
    return (str(path.relative_to(project)), info.st_mtime_ns, info.st_size)


#: Commands that run nodes (and write ``manifest.json`` themselves): they take a kept parse.
_NODE_COMMANDS = frozenset({"build", "run", "test", "seed"})

#: The last parse of this process (one entry: a process builds one project and target).
_PARSED: dict[_ParseKey, Any] = {}


@dataclass(frozen=True, slots=True)
class NodeOutcome:
    """How one dbt node (seed, model or test) ended."""

    unique_id: str
    name: str
    resource_type: str
    relation: str | None
    status: str
    message: str | None
    failures: int | None
    seconds: float
    compiled_sql: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in {"success", "pass", "warn"}


@dataclass(frozen=True, slots=True)
class DbtInvocation:
    """The outcome of one dbt command: every node, plus an invocation-level error if any."""

    success: bool
    nodes: tuple[NodeOutcome, ...]
    error: str | None = None

    def by_type(self, resource_type: str) -> tuple[NodeOutcome, ...]:
        return tuple(n for n in self.nodes if n.resource_type == resource_type)


def dbt_project_dir() -> Path:
    """The dbt project: packaged in a wheel (``rastup_data/_dbt``) or ``<repo>/dbt``."""
    here = Path(__file__).resolve()
    packaged = here.parents[1] / "_dbt"
    return packaged if packaged.is_dir() else here.parents[3] / "dbt"


def run_dbt(
    command: Sequence[str],
    *,
    target_dir: Path,
    variables: Mapping[str, Any],
    project_dir: Path | None = None,
    on_node: Callable[[NodeOutcome], None] | None = None,
    target: str | None = None,
) -> DbtInvocation:
    """Invoke ``dbt <command>`` in this process; ``on_node`` sees each node as it finishes."""
    os.environ.setdefault("DO_NOT_TRACK", "1")
    runner_class = _runner_class()
    project = project_dir or dbt_project_dir()
    # dbt resolves a relative target path against the project folder, not the working one.
    target_dir = target_dir.absolute()
    target_dir.mkdir(parents=True, exist_ok=True)
    report_lock = threading.Lock()

    def callback(event: Any) -> None:
        if on_node is None or event.info.name != "NodeFinished":
            return
        outcome = _outcome_from_event(event.data)
        with report_lock:
            on_node(outcome)

    options = _options(project, target_dir, variables, target)
    shared = _shared_parse_dir(project, target)
    kept = shared / f"seconds-{target_dir.name}.json" if shared is not None else None
    history = previous_seconds(target_dir) or (_read_seconds(kept) if kept else {})
    runs_nodes = bool(command) and command[0] in _NODE_COMMANDS
    with _INVOKE_LOCK:
        try:
            manifest = None
            if runs_nodes:
                manifest = _parsed_manifest(project, variables, target, shared or target_dir)
            with critical_path_first(history), _vars_in_environment(variables):
                runner = runner_class(manifest=manifest, callbacks=[callback])
                result = runner.invoke([*command, *options])
        finally:
            _close_duckdb_environment()
    nodes = tuple(_outcome_from_result(r) for r in _results(result.result))
    if kept is not None and runs_nodes:
        _keep_seconds(kept, {n.unique_id: n.seconds for n in nodes})
    error = None if result.exception is None else str(result.exception)
    return DbtInvocation(success=bool(result.success), nodes=nodes, error=error)


@functools.cache
def _runner_class() -> Any:
    """dbt's runner class, imported once per process (heavy: only when a build runs)."""
    with _long_lived():
        from dbt.cli.main import dbtRunner
    return dbtRunner


@contextlib.contextmanager
def _long_lived() -> Iterator[None]:
    """Make objects that live as long as the process (dbt's modules, the project's parse)
    without cyclic collections, then freeze them so that later collections skip them.

    Python's full collections walk every tracked object: with dbt and a parse loaded that was
    about 0.1 s each, seven times in a 10 M-event build, three of them while dbt started on
    one core. It runs when they are made (dbt's first import, a parse the process did not
    hold), not on every invocation: a long-running process (``serve`` refreshing the NRT
    views) freezes only those, and the garbage made meanwhile is collected first, so it keeps
    nothing it would otherwise free.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.collect()
        gc.freeze()
        _unfreeze_at_exit()
        if enabled:
            gc.enable()


@functools.cache
def _unfreeze_at_exit() -> None:
    """At exit the frozen objects go back to the collector, so that the interpreter frees
    them as it always has (DuckDB's bindings report objects still alive then as leaks)."""
    atexit.register(gc.unfreeze)


def _options(
    project: Path, target_dir: Path, variables: Mapping[str, Any], target: str | None
) -> list[str]:
    """The options of a dbt invocation: project, profile, target folder, logs off, vars."""
    return [
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        "--target-path",
        str(target_dir),
        "--log-path",
        str(target_dir / "logs"),
        "--log-level",
        "none",
        "--log-level-file",
        "none",
        "--no-send-anonymous-usage-stats",
        "--vars",
        json.dumps({k: v for k, v in variables.items() if k not in _VARS_AS_ENV}, sort_keys=True),
        *(["--target", target] if target else []),
    ]


@contextlib.contextmanager
def _vars_in_environment(variables: Mapping[str, Any]) -> Iterator[None]:
    """Set the environment variables of :data:`_VARS_AS_ENV` from ``variables`` for one
    invocation (unset when a var is absent or empty, as the installed parse was made), and
    restore what the process had. Held under ``_INVOKE_LOCK``: one invocation at a time."""
    saved = {name: os.environ.get(name) for name in _VARS_AS_ENV.values()}
    try:
        for var, name in _VARS_AS_ENV.items():
            given = str(variables.get(var) or "")
            if given:
                os.environ[name] = given
            else:
                os.environ.pop(name, None)
        yield
    finally:
        for name, before in saved.items():
            if before is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = before


def parse_time_vars(variables: Mapping[str, Any]) -> dict[str, Any]:
    """The vars a parse depends on: all but ``RUN_TIME_VARS``."""
    return {k: v for k, v in variables.items() if k not in RUN_TIME_VARS}


def _parsed_manifest(
    project: Path, variables: Mapping[str, Any], target: str | None, folder: Path
) -> Any:
    """This process's parse of the project for these vars, parsing it if it has none.

    The parse runs in ``folder`` (the shared parse folder, or the invocation's target folder
    when the cache cannot be written), given the parse-time vars only (the project's
    defaults stand in for the others, which no parse reads) and a relative stand-in for
    the warehouse file, so dbt's own partial parse there (checked by dbt against the project
    files, the profile and those vars) stays valid from one build to the next, from one
    process to the next and from one lake to the next: only the first build on a machine
    with these files parses the whole project. None when the parse fails: the invocation
    then parses itself and reports the error as before.
    """
    key = _ParseKey.of(project, variables, target)
    cached = _PARSED.get(key)
    if cached is not None:
        return cached
    parsed = _parse(project, folder, variables, target)
    if parsed is None:
        return None
    _PARSED.clear()
    _PARSED[key] = parsed
    return parsed


def _parse(project: Path, folder: Path, variables: Mapping[str, Any], target: str | None) -> Any:
    """``dbt parse`` in ``folder`` with the parse-time vars among ``variables``: the
    Manifest, or None."""
    from dbt.contracts.graph.manifest import Manifest

    parse_vars = parse_time_vars(variables)
    if _WAREHOUSE_VAR in parse_vars:
        # Never opened by a parse; only its stem (the catalog's name) reaches the nodes. A
        # relative name keeps the parse valid wherever its folder is copied (the seed).
        stem = Path(str(parse_vars[_WAREHOUSE_VAR])).stem
        parse_vars[_WAREHOUSE_VAR] = f"{stem}.duckdb"
    options = _options(project, folder, parse_vars, target)
    with LocalStorage(folder).lock("parse"), _long_lived(), _vars_in_environment(parse_vars):
        parsed = _runner_class()().invoke(["parse", *options]).result
    return parsed if isinstance(parsed, Manifest) else None


def prepare_parse(
    variables: Mapping[str, Any], target: str | None, *, into_environment: bool = False
) -> Path:
    """Make this machine's shared parse of the project for ``target`` and the parse-time
    vars among ``variables``, as the first invocation that runs nodes would, and return its
    ``manifest.json``: a later process starts its invocations without parsing the project.
    ``into_environment``: make it in the environment's cache instead, where every user
    cache without a parse of its own starts from it (at install).

    CONFIG_INVALID when the cache cannot be written; CTAS_FAILURE when the project does
    not parse.
    """
    project = dbt_project_dir()
    folder = _shared_parse_dir(project, target, into_environment=into_environment)
    if folder is None:
        raise _unwritable_cache(into_environment=into_environment)
    with _INVOKE_LOCK:
        if into_environment:  # made there afresh, whatever this process holds
            parsed = _parse(project, folder, variables, target)
        else:
            parsed = _parsed_manifest(project, variables, target, folder)
    manifest = folder / "manifest.json"
    if parsed is None or not manifest.is_file():
        raise RastupError(
            ErrorCode.CTAS_FAILURE,
            f"dbt could not parse the project in {project}. To see dbt's error, run a build "
            "(it parses the project itself and reports why it failed).",
        )
    return manifest


def _unwritable_cache(*, into_environment: bool) -> RastupError:
    if into_environment:
        where = resolve_install_cache_dir()
        return RastupError(
            ErrorCode.CONFIG_INVALID,
            f"the environment's cache {where or '(none: RASTUP_INSTALL_CACHE_DIR is empty)'} "
            "cannot be written, so the parse cannot be installed there. To fix this, run "
            "the command as the environment's owner, or set RASTUP_INSTALL_CACHE_DIR to a "
            "writable folder.",
        )
    return RastupError(
        ErrorCode.CONFIG_INVALID,
        f"the user cache {resolve_cache_dir()} cannot be written, so a parse made now could "
        "not serve later builds. To fix this, set RASTUP_CACHE_DIR to a writable folder.",
    )


def shared_parse_manifest(target: str | None) -> Path | None:
    """The manifest of this machine's last parse of the project for ``target`` (None: none)."""
    folder = _shared_parse_dir(dbt_project_dir(), target)
    manifest = folder / "manifest.json" if folder is not None else None
    return manifest if manifest is not None and manifest.is_file() else None


def _shared_parse_dir(
    project: Path, target: str | None, *, into_environment: bool = False
) -> Path | None:
    """The cache folder where this project is parsed for every lake (None: not writable).

    One per project folder, dbt version and target: a partial parse made from another
    checkout of the project would name that checkout's files. In the user cache, a folder
    without a parse of its own starts from a copy of the environment's (see
    :func:`_seed_from_environment`); ``into_environment`` names the environment's folder.
    """
    root = resolve_install_cache_dir() if into_environment else resolve_cache_dir()
    if root is None:
        return None
    folder = root / "dbt-parse" / _parse_folder_name(project, target)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    if not os.access(folder, os.W_OK):
        return None
    if not into_environment:
        _prune_stale_parses(folder)
        _seed_from_environment(folder)
    return folder


#: What a parse folder of the environment holds that a user cache starts from: dbt's
#: partial parse (checked by dbt against the project's files, vars and profile, like any)
#: and the manifest that Bronze's checks ahead of a build read.
_SEED_FILES = ("partial_parse.msgpack", "manifest.json")


def _parse_folder_name(project: Path, target: str | None) -> str:
    from dbt.version import __version__ as dbt_version

    identity = "\0".join((str(project.resolve()), dbt_version, target or ""))
    return hashlib.sha256(identity.encode()).hexdigest()[:16]


def installed_parse_manifest(target: str | None) -> Path | None:
    """The manifest of the environment's parse for ``target`` (None: none installed)."""
    folder = _installed_parse_dir(_parse_folder_name(dbt_project_dir(), target))
    return folder / "manifest.json" if folder is not None else None


def _installed_parse_dir(name: str) -> Path | None:
    """The environment's parse folder ``name`` when a parse is installed there, else None."""
    root = resolve_install_cache_dir()
    folder = root / "dbt-parse" / name if root is not None else None
    if folder is None or not all((folder / f).is_file() for f in _SEED_FILES):
        return None
    return folder


def _seed_from_environment(folder: Path) -> None:
    """Copy the environment's parse into ``folder`` when ``folder`` has none of its own.

    Copied, not used in place: dbt rewrites its partial parse in the folder it parses in,
    and the environment's folder belongs to whoever installed it. A seed that no longer
    fits (a project file edited since the install) only costs dbt's partial re-parse of
    what changed.
    """
    if (folder / _SEED_FILES[0]).exists():
        return
    seed = _installed_parse_dir(folder.name)
    if seed is None or seed == folder:
        return
    storage = LocalStorage(folder)
    with storage.lock("parse"):
        if (folder / _SEED_FILES[0]).exists():
            return  # another process seeded or parsed while this one waited
        with contextlib.suppress(OSError):  # without the seed, dbt parses the project
            for name in reversed(_SEED_FILES):  # the partial parse last: it marks a seed
                storage.put_bytes(name, (seed / name).read_bytes())


#: A parse folder no process has parsed in for this long (a checkout since removed, an
#: older dbt) is removed from the cache.
STALE_PARSE_S = 30 * 86_400


@functools.cache
def _prune_stale_parses(keep: Path) -> None:
    """Remove the parse folders beside ``keep`` that no process used for
    :data:`STALE_PARSE_S` (once per process; every process's first parse rewrites its
    folder's ``manifest.json``, so a folder in use is never that old)."""
    horizon = time.time() - STALE_PARSE_S
    for other in keep.parent.iterdir():
        if other != keep and other.is_dir() and _last_used(other) < horizon:
            shutil.rmtree(other, ignore_errors=True)


def _last_used(folder: Path) -> float:
    """The newest modification time of the folder and the files a parse writes in it."""
    stamps = []
    for path in (folder, *folder.glob("*.json"), *folder.glob("*.msgpack")):
        with contextlib.suppress(OSError):
            stamps.append(path.stat().st_mtime)
    return max(stamps, default=0.0)


def _read_seconds(path: Path) -> dict[str, float]:
    """Node seconds kept by :func:`_keep_seconds`; empty when there are none."""
    try:
        kept = json.loads(path.read_bytes())
        return {str(k): float(v) for k, v in kept.items()}
    except (OSError, ValueError, AttributeError, TypeError):
        return {}


def _keep_seconds(path: Path, seconds: Mapping[str, float]) -> None:
    """Keep an invocation's node seconds beside the shared parse: a lake's first build (its
    target folder has no run results yet) is scheduled by what this machine saw last."""
    if not seconds:
        return
    with contextlib.suppress(OSError):  # only the order of a later first build depends on it
        LocalStorage(path.parent).put_bytes(path.name, json.dumps(seconds).encode())


def _close_duckdb_environment() -> None:
    """Close the database dbt-duckdb keeps open between in-process invocations.

    dbt-duckdb caches its environment (and so the DuckDB instance) at class level; the
    build renames the staging file afterwards, and a later build must not write through
    a stale handle into a published file.
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        env = DuckDBConnectionManager._ENV
        DuckDBConnectionManager._ENV = None
        if env is not None:
            env.close()


def _results(result: Any) -> list[Any]:
    return list(getattr(result, "results", None) or [])


def _outcome_from_event(data: Any) -> NodeOutcome:
    info = data.node_info
    relation = info.node_relation
    rel = f"{relation.schema}.{relation.alias}" if relation.alias else None
    run = data.run_result
    return NodeOutcome(
        unique_id=info.unique_id,
        name=info.node_name,
        resource_type=info.resource_type,
        relation=rel if info.resource_type != "test" else None,
        status=str(run.status),
        message=run.message or None,
        failures=int(run.num_failures) if run.num_failures else None,
        seconds=float(run.execution_time),
    )


def _outcome_from_result(result: Any) -> NodeOutcome:
    node = result.node
    resource_type = str(node.resource_type)
    relation = None
    if resource_type in {"model", "seed"}:
        relation = f"{node.schema}.{node.alias}"
    return NodeOutcome(
        unique_id=node.unique_id,
        name=node.name,
        resource_type=resource_type,
        relation=relation,
        status=str(result.status),
        message=result.message or None,
        failures=int(result.failures) if result.failures is not None else None,
        seconds=float(result.execution_time or 0.0),
        compiled_sql=getattr(node, "compiled_code", None) or None,
    )
