"""Where everything lives: the shared lake and this node's work folder.

The **lake** is what machines share (a folder today, an object store later)::

    <lake>/
      bronze/events/dt=YYYY-MM-DD/<segment>.parquet   landed events (immutable)
      bronze/_bad/dt=YYYY-MM-DD/<segment>.parquet     quarantine: rejected events, raw
      _manifest/landings-YYYY-MM-DD.ndjson            what was landed when (append log per day)
      _locks/                                         lake-wide locks (lake, build, nrt)
      _staging/                                       compaction's staged partitions
      warehouse/                                      published Silver/Gold builds, NRT snapshots

The **work folder** is one machine's (``--work-dir``, else ``$RASTUP_WORK_DIR``, else
``<lake>/_node``, so a single-machine lake stays one folder)::

    <work>/
      spool/                 collector write-ahead spool (w<N>/ per worker, dedupe.bin, status)
      state/state.db         operational state (SQLite, unless RASTUP_STATE_URL names another)
      warehouse/             staging builds and dbt target folders
      tmp/gate/<session>/    what a query-gate session spills (removed when it closes)

Published warehouse builds live in the lake so every machine's readers follow one
``CURRENT``; builds are staged in the work folder and published by ``put_file`` +
``write_pointer``. Platform code writes the lake only through :attr:`LakeLayout.lake` (a
:class:`~rastup_data.storage.Storage`, keys below) and node-local files through
:attr:`LakeLayout.work`; the Bronze ``Path`` properties are for reading a local lake (tools,
tests).
"""

from __future__ import annotations

import errno
import functools
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from rastup_data.config import (
    NODE_FOLDER,
    LakeRoot,
    S3Settings,
    is_remote_lake,
    resolve_work_dir,
)
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.storage import LocalStorage, S3Options, S3Storage, Storage

__all__ = [
    "BRONZE_BAD",
    "BRONZE_EVENTS",
    "BUILD_LOCK",
    "LAKE_LOCK",
    "MANIFEST",
    "NRT_LOCK",
    "WAREHOUSE",
    "LakeLayout",
    "adopt_legacy_work",
    "partition_key",
    "rewriting_bronze",
]

log = logging.getLogger(__name__)

#: Storage keys (folders) of the shared lake.
BRONZE_EVENTS = "bronze/events"
BRONZE_BAD = "bronze/_bad"
MANIFEST = "_manifest"
WAREHOUSE = "warehouse"

#: The lake-wide lock: landings and partition swaps (compaction) take it.
LAKE_LOCK = "lake"

#: Held by a build (or backfill, or a Spark build) from staging to publishing, and so while
#: it reads Bronze (and by what rewrites published builds). Bronze files are replaced or
#: deleted only outside one (:func:`rewriting_bronze`: this lock first, then ``LAKE_LOCK``,
#: then ``NRT_LOCK``).
BUILD_LOCK = "build"

#: Held by an NRT refresh from listing Bronze's files to reading them (and by what rewrites
#: the NRT snapshots): Bronze files are replaced or deleted only outside a refresh, inside
#: ``LAKE_LOCK``, so a refresh never reads a file that vanished under it.
NRT_LOCK = "nrt"


@contextmanager
def rewriting_bronze(store: Storage) -> Iterator[None]:
    """Hold while Bronze or quarantine files are replaced or deleted where they are (a
    compaction swap, a purge, retention): ``BUILD_LOCK``, ``LAKE_LOCK``, then ``NRT_LOCK``.

    A build and an NRT refresh list Bronze's files and read them later, and a build reads
    them more than once in one query (the dedupe finds later copies by file and row number):
    a file deleted or rewritten in between fails the build, or drops the wrong row. So a
    rewrite waits for both, and the landings wait for the rewrite.
    """
    with store.lock(BUILD_LOCK), store.lock(LAKE_LOCK), store.lock(NRT_LOCK):
        yield


#: Node-local folders that lakes made before the work folder kept in the lake root.
_LEGACY_WORK = {"_spool": "spool", "_state": "state"}


def partition_key(table: str, dt: date | str) -> str:
    """The key of one ``dt=`` partition folder of ``BRONZE_EVENTS`` or ``BRONZE_BAD``."""
    return f"{table}/dt={_iso(dt)}"


@dataclass(frozen=True, slots=True)
class LakeLayout:
    """The stores of one lake root and one node. Creating a layout touches nothing on disk.

    ``root`` is a local folder or an ``s3://bucket/prefix`` URL (then the lake store is an
    :class:`~rastup_data.storage.S3Storage` reached with the environment's S3 settings).
    ``work_root`` is this node's work folder; None means ``$RASTUP_WORK_DIR``, else
    ``<root>/_node`` (``./rastup-work`` for a lake on S3).
    """

    root: LakeRoot
    work_root: Path | None = None

    def __post_init__(self) -> None:
        if isinstance(self.root, str) and not is_remote_lake(self.root):
            object.__setattr__(self, "root", Path(self.root))  # a folder given as text

    @property
    def lake(self) -> Storage:
        """The shared lake: Bronze, quarantine, manifest, published warehouse builds."""
        if isinstance(self.root, str):
            return _s3_store(self.root)
        return LocalStorage(self.root)

    @property
    def is_remote(self) -> bool:
        """True when the lake is on the S3 API rather than a local folder."""
        return isinstance(self.root, str)

    @property
    def local_root(self) -> Path:
        """The lake folder of a local lake; ValueError for a lake on S3 (read it through
        :attr:`lake` instead)."""
        if isinstance(self.root, str):
            raise ValueError(f"the lake {self.root} is not a local folder")
        return self.root

    @property
    def work_dir(self) -> Path:
        return self.work_root if self.work_root is not None else resolve_work_dir(self.root)

    @property
    def work(self) -> LocalStorage:
        """This node's work folder: spool, state database, staging builds, dbt targets."""
        return LocalStorage(self.work_dir)

    @property
    def bronze(self) -> Path:
        return self.local_root / "bronze"

    @property
    def bronze_events(self) -> Path:
        return self.local_root / BRONZE_EVENTS

    @property
    def bronze_bad(self) -> Path:
        return self.local_root / BRONZE_BAD

    @property
    def spool(self) -> Path:
        return self.work.path("spool")

    @property
    def state_dir(self) -> Path:
        return self.work.path("state")

    @property
    def state_db(self) -> Path:
        return self.state_dir / "state.db"

    def events_partition(self, dt: date | str) -> Path:
        return self.local_root / partition_key(BRONZE_EVENTS, dt)

    def bad_partition(self, dt: date | str) -> Path:
        return self.local_root / partition_key(BRONZE_BAD, dt)

    @property
    def events_glob(self) -> str:
        return self.lake.uri(f"{BRONZE_EVENTS}/**/*.parquet")

    @property
    def bad_glob(self) -> str:
        return self.lake.uri(f"{BRONZE_BAD}/**/*.parquet")


def adopt_legacy_work(layout: LakeLayout) -> list[str]:
    """Move a pre-work-folder lake's ``_spool/`` and ``_state/`` into the default work folder.

    Runs where a process first needs node-local files (collector start, opening the state
    database); cheap and idempotent. Only the default work folder adopts them: a machine given
    its own ``--work-dir`` never takes another's spool. Returns the folders moved.
    """
    work = layout.work_dir
    if isinstance(layout.root, str) or work != layout.root / NODE_FOLDER:
        return []
    moved: list[str] = []
    for old, new in _LEGACY_WORK.items():
        source, target = layout.root / old, work / new
        if not source.is_dir() or target.exists():
            continue
        work.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(source, target)
        except OSError as exc:  # another process moved it first
            if exc.errno not in (errno.ENOENT, errno.EEXIST, errno.ENOTEMPTY):
                raise
            continue
        log.info("moved %s into the work folder %s", source, target)
        moved.append(old)
    return moved


@functools.cache
def _s3_store(url: str) -> S3Storage:
    """One store per lake URL and process (its filesystems and connections are reused)."""
    s3 = S3Settings.from_env()
    if s3.endpoint is not None:
        endpoint = urlsplit(s3.endpoint)
        if endpoint.scheme not in ("http", "https") or not endpoint.netloc:
            raise RastupError(
                ErrorCode.CONFIG_INVALID,
                f"RASTUP_S3_ENDPOINT {s3.endpoint!r} is not an http:// or https:// URL. "
                "To fix this, set it like http://127.0.0.1:9000 (MinIO), or unset it for AWS S3.",
            )
    options = S3Options(s3.endpoint, s3.region, s3.access_key, s3.secret_key, s3.session_token)
    try:
        return S3Storage.from_url(url, options)
    except ValueError as exc:  # s3:// without a bucket, a ?query, a bad key in the prefix
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"{exc}. To fix this, pass --lake s3://BUCKET/PREFIX or a folder (or set RASTUP_LAKE).",
        ) from None


def _iso(dt: date | str) -> str:
    return dt if isinstance(dt, str) else dt.isoformat()
