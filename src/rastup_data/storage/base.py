"""The storage protocol: what the platform needs from wherever its files live.

Keys are relative POSIX paths under the store's root (``bronze/events/dt=2024-05-01/x.parquet``);
a *prefix* is a folder key (``bronze/events``, or ``""`` for the whole store). Names that start
with a dot are private to a writer (temporary files) and never listed.

The protocol is written so that an object store can implement it:

* every ``put_*`` makes an object appear whole or not at all (no reader sees a partial file);
* correctness never rests on renaming a folder, except through :meth:`Storage.swap_prefix`,
  whose contract says what a reader may see on a store that cannot swap atomically;
* a *pointer* is a small object naming another object; switching it is one atomic put, which
  is how published warehouse builds change hands on any store;
* an *append log* (:meth:`Storage.append_line`) may be one file (local disk) or one object per
  record under the log's key (an object store); readers only use :meth:`Storage.iter_lines`;
* :meth:`Storage.lock` is a mutual-exclusion lease among processes sharing the store;
  :meth:`Storage.try_lock` takes it only if it is free (one scheduler per lake).

Readers that want DuckDB or pyarrow to scan files directly ask for :meth:`Storage.uri` (a path
or URL, globs allowed) or :meth:`Storage.arrow_filesystem`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol, runtime_checkable

__all__ = ["ObjectInfo", "Storage", "check_key", "get_pointer", "join_key", "put_pointer"]


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """Size and modification time (seconds since the epoch) of one stored object."""

    key: str
    size: int
    mtime: float


def check_key(key: str, *, allow_root: bool = False) -> str:
    """``key`` if it is a clean relative POSIX path; ValueError otherwise."""
    if key == "" and allow_root:
        return key
    parts = key.split("/")
    if not key or key.startswith("/") or "\\" in key or any(p in {"", ".", ".."} for p in parts):
        raise ValueError(f"not a storage key: {key!r} (relative POSIX path, no '..')")
    return key


def join_key(*parts: str) -> str:
    """Join key parts with ``/``, skipping empty ones."""
    return "/".join(p.strip("/") for p in parts if p.strip("/"))


@runtime_checkable
class Storage(Protocol):
    """Where the platform keeps files: a local folder today, an object store later."""

    # -- reading ---------------------------------------------------------------------

    def uri(self, key: str = "") -> str:
        """A path or URL for ``key`` that DuckDB and pyarrow can read (globs allowed)."""
        ...

    def arrow_filesystem(self) -> tuple[Any, str]:
        """A ``pyarrow.fs.FileSystem`` and the base path of the store's root in it."""
        ...

    def register_duckdb(self, conn: Any) -> None:
        """Let the DuckDB connection ``conn`` read this store's :meth:`uri` paths (an object
        store registers its fsspec filesystem; a local folder needs nothing)."""
        ...

    def open_read(self, key: str) -> AbstractContextManager[BinaryIO]:
        """A binary file object for reading ``key``; FileNotFoundError when it is absent."""
        ...

    def read_bytes(self, key: str) -> bytes:
        """The whole object; FileNotFoundError when it is absent."""
        ...

    def get_file(self, key: str, dest: Path) -> None:
        """Copy ``key`` to the local file ``dest`` (replacing it)."""
        ...

    def stat(self, key: str) -> ObjectInfo | None:
        """Size and modification time of ``key``, or None when it is absent."""
        ...

    def exists(self, key: str) -> bool: ...

    def list_keys(self, prefix: str = "") -> list[str]:
        """Every visible key under the folder ``prefix`` (recursively), sorted."""
        ...

    # -- writing ---------------------------------------------------------------------

    def put_bytes(self, key: str, data: bytes) -> int:
        """Store ``data`` at ``key`` atomically and durably; returns its size."""
        ...

    def put_file(self, key: str, source: Path, *, move: bool = False) -> int:
        """Store the local file ``source`` at ``key`` atomically; ``move`` consumes it."""
        ...

    def writing(self, key: str) -> AbstractContextManager[Path]:
        """A local temporary path to write ``key``'s content into (e.g. a Parquet ``COPY``);
        on a clean exit it is stored at ``key`` atomically, on an error it is discarded."""
        ...

    def delete(self, key: str) -> bool:
        """Remove ``key``; True when it existed."""
        ...

    def delete_prefix(self, prefix: str) -> int:
        """Remove every object under the folder ``prefix``; returns how many there were."""
        ...

    def copy(self, src: str, dst: str) -> None:
        """Make ``dst`` an identical object to ``src`` (cheaply where the store can)."""
        ...

    def swap_prefix(self, staged: str, prefix: str) -> None:
        """Make the objects under ``staged`` the objects under ``prefix``; the old ones and
        ``staged`` are gone afterwards. Local disk swaps both folders in one atomic step, so a
        reader sees the old set or the new one. A store without folder swaps copies the new
        set in before deleting the old: a reader may briefly see both sets (never neither),
        which Bronze readers tolerate because Silver deduplicates by ``event_id``."""
        ...

    # -- pointers, logs, locks -------------------------------------------------------

    def write_pointer(self, key: str, value: str) -> None:
        """Switch the pointer ``key`` to ``value`` (one short line) in one atomic step."""
        ...

    def read_pointer(self, key: str) -> str | None:
        """The value of the pointer ``key``; None when it is absent or empty."""
        ...

    def append_line(self, key: str, line: bytes) -> None:
        """Append one record to the log ``key`` durably (a newline is added if missing)."""
        ...

    def iter_lines(self, key: str) -> Iterator[bytes]:
        """The complete records of the log ``key``, oldest first (a torn last one skipped)."""
        ...

    def lock(self, name: str) -> AbstractContextManager[None]:
        """Hold the exclusive lock ``name`` among every process sharing this store."""
        ...

    def try_lock(self, name: str) -> AbstractContextManager[bool]:
        """Take the lock ``name`` if nobody holds it: yields True (held until the block
        ends) or False at once (held elsewhere; nothing waits)."""
        ...


def put_pointer(store: Storage, key: str, value: str) -> None:
    """:meth:`Storage.write_pointer` for a store whose ``put_bytes`` is atomic: the pointer is
    one object holding one line."""
    if not value or "\n" in value:
        raise ValueError(f"a pointer holds one non-empty line, not {value!r}")
    store.put_bytes(key, value.encode() + b"\n")


def get_pointer(store: Storage, key: str) -> str | None:
    """:meth:`Storage.read_pointer` of a pointer written by :func:`put_pointer`."""
    try:
        value = store.read_bytes(key).decode().strip()
    except FileNotFoundError:
        return None
    return value or None
