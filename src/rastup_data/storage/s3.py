"""Storage on the S3 API (AWS S3, MinIO, Ceph, or any endpoint that speaks it).

Every key is an object under ``s3://<bucket>/<prefix>/``. What is atomic, and how:

* **puts** — an object appears whole when its upload completes (S3 has no partial objects), so
  ``put_bytes``, ``put_file`` and ``writing`` need no temporary name;
* **pointers** — one small object overwritten in one put; readers see the old value or the new;
* **append logs** — one object per record under the log's key (``<key>/<ns>-<id>.rec``), read
  back in name order, so appends never overwrite each other and nothing is read half-written;
* **locks** — a lease object under ``_locks/`` created with a conditional put
  (``If-None-Match: *``): exactly one creator wins. The holder rewrites it every
  ``lease_s / 4`` seconds; a lease not renewed for ``lease_s`` seconds (its holder died) is
  taken over. Two processes taking over the same stale lease in the same instant may both
  believe they hold it, which is why lake writers never rely on the lock alone for
  correctness (deterministic file names; Silver deduplicates by ``event_id``);
* **folder swaps** — S3 has no rename: ``swap_prefix`` copies the new objects in, then deletes
  the old ones and the staged copies, so a reader may briefly see both sets (never neither).

Bulk data is written and read through ``pyarrow.fs.S3FileSystem``; the conditional puts,
deletes and DuckDB's reads go through ``s3fs`` (an fsspec filesystem that
:meth:`S3Storage.register_duckdb` registers with a DuckDB connection, since DuckDB's own
``httpfs`` extension is not available offline).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from rastup_data.storage.base import ObjectInfo, check_key, get_pointer, put_pointer

__all__ = ["S3Options", "S3Storage", "StorageUnavailable", "is_s3_url", "split_s3_url"]

_LOCKS = "_locks"
_RECORD_SUFFIX = ".rec"


class StorageUnavailable(OSError):
    """The object store refused a request (endpoint down, bucket missing, credentials)."""


@dataclass(frozen=True, slots=True)
class S3Options:
    """How to reach the S3 API (read from the environment by ``rastup_data.config``)."""

    endpoint: str | None = None
    region: str = "us-east-1"
    access_key: str | None = None
    secret_key: str | None = None
    session_token: str | None = None
    #: Seconds a lock lease lives without being renewed.
    lease_s: float = 60.0


def is_s3_url(value: object) -> bool:
    """True for ``s3://bucket[/prefix]`` strings."""
    return isinstance(value, str) and value.lower().startswith("s3://")


def split_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix/`` → ``("bucket", "some/prefix")``; ValueError if malformed."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"not an S3 lake URL: {url!r} (use s3://BUCKET/PREFIX)")
    prefix = parts.path.strip("/")
    if prefix:
        check_key(prefix)
    return parts.netloc, prefix


class S3Storage:
    """A :class:`~rastup_data.storage.base.Storage` under ``s3://bucket/prefix``."""

    def __init__(self, bucket: str, prefix: str = "", options: S3Options | None = None) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.options = options or S3Options()
        self._arrow: Any = None
        self._fsspec: Any = None
        self._init_lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str, options: S3Options | None = None) -> S3Storage:
        bucket, prefix = split_s3_url(url)
        return cls(bucket, prefix, options)

    def __repr__(self) -> str:
        return f"S3Storage({self.url!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, S3Storage) and (other.url, other.options) == (
            self.url,
            self.options,
        )

    def __hash__(self) -> int:
        return hash(self.url)

    @property
    def url(self) -> str:
        return f"s3://{self._path('')}"

    def _path(self, key: str) -> str:
        """``bucket/prefix/key`` (the path both filesystems use)."""
        parts = [self.bucket, self.prefix, check_key(key, allow_root=True)]
        return "/".join(p for p in parts if p)

    # -- the two filesystems ---------------------------------------------------------

    @property
    def arrow(self) -> Any:
        """The ``pyarrow.fs.S3FileSystem`` (made on first use)."""
        with self._init_lock:
            if self._arrow is None:
                from pyarrow import fs

                o = self.options
                endpoint = urlsplit(o.endpoint) if o.endpoint else None
                self._arrow = fs.S3FileSystem(
                    access_key=o.access_key,
                    secret_key=o.secret_key,
                    session_token=o.session_token,
                    region=o.region,
                    scheme=endpoint.scheme if endpoint else None,
                    endpoint_override=endpoint.netloc if endpoint else None,
                    connect_timeout=10,
                    request_timeout=60,
                )
            return self._arrow

    @property
    def fsspec(self) -> Any:
        """The ``s3fs.S3FileSystem`` (made on first use; no listing cache, so every glob sees
        what is in the bucket now)."""
        with self._init_lock:
            if self._fsspec is None:
                import s3fs  # type: ignore[import-untyped]

                o = self.options
                self._fsspec = s3fs.S3FileSystem(
                    key=o.access_key,
                    secret=o.secret_key,
                    token=o.session_token,
                    endpoint_url=o.endpoint,
                    client_kwargs={"region_name": o.region},
                    use_listings_cache=False,
                    skip_instance_cache=True,
                )
            return self._fsspec

    def register_duckdb(self, conn: Any) -> None:
        """Let the DuckDB connection ``conn`` read this store's ``uri()`` paths."""
        conn.register_filesystem(self.fsspec)

    def check(self) -> None:
        """Raise :class:`StorageUnavailable` unless the bucket answers."""
        try:
            info = self.arrow.get_file_info(self.bucket)
        except OSError as exc:
            raise StorageUnavailable(f"cannot reach {self.url}: {_first_line(exc)}") from exc
        from pyarrow import fs

        if info.type == fs.FileType.NotFound:
            raise StorageUnavailable(f"the bucket {self.bucket!r} of {self.url} does not exist")

    # -- reading ---------------------------------------------------------------------

    def uri(self, key: str = "") -> str:
        return f"s3://{self._path(key)}" if key else self.url

    def arrow_filesystem(self) -> tuple[Any, str]:
        return self.arrow, self._path("")

    @contextmanager
    def open_read(self, key: str) -> Iterator[BinaryIO]:
        with self.arrow.open_input_file(self._path(key)) as handle:
            yield handle

    def read_bytes(self, key: str) -> bytes:
        with self.open_read(key) as handle:
            return bytes(handle.read())

    def get_file(self, key: str, dest: Path) -> None:
        tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            with self.open_read(key) as source, open(tmp, "wb") as out:
                shutil.copyfileobj(source, out, 1 << 20)
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)

    def stat(self, key: str) -> ObjectInfo | None:
        from pyarrow import fs

        info = self.arrow.get_file_info(self._path(key))
        if info.type != fs.FileType.File:
            return None
        mtime = info.mtime.timestamp() if info.mtime is not None else 0.0
        return ObjectInfo(key, int(info.size or 0), mtime)

    def exists(self, key: str) -> bool:
        from pyarrow import fs

        return bool(self.arrow.get_file_info(self._path(key)).type != fs.FileType.NotFound)

    def list_keys(self, prefix: str = "") -> list[str]:
        from pyarrow import fs

        base = self._path(prefix)
        selector = fs.FileSelector(base, recursive=True, allow_not_found=True)
        root = self._path("")
        start = len(root) + 1 if root else 0
        found: list[str] = []
        for info in self.arrow.get_file_info(selector):
            if info.type != fs.FileType.File:
                continue
            key = info.path[start:]
            if any(part.startswith(".") for part in key.split("/")):
                continue
            found.append(key)
        return sorted(found)

    # -- writing ---------------------------------------------------------------------

    def put_bytes(self, key: str, data: bytes) -> int:
        with self.arrow.open_output_stream(self._path(key)) as out:
            out.write(data)
        return len(data)

    def put_file(self, key: str, source: Path, *, move: bool = False) -> int:
        size = source.stat().st_size
        with open(source, "rb") as handle, self.arrow.open_output_stream(self._path(key)) as out:
            shutil.copyfileobj(handle, out, 8 << 20)
        if move:
            source.unlink()
        return size

    @contextmanager
    def writing(self, key: str) -> Iterator[Path]:
        folder = Path(tempfile.mkdtemp(prefix="rastup-put-"))
        tmp = folder / Path(key).name
        try:
            yield tmp
            self.put_file(key, tmp)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def delete(self, key: str) -> bool:
        if not self.exists(key):
            return False
        with contextlib.suppress(FileNotFoundError):
            self.fsspec.rm_file(self._path(key))
        return True

    def delete_prefix(self, prefix: str) -> int:
        count = len(self.list_keys(check_key(prefix)))
        with contextlib.suppress(FileNotFoundError):
            self.fsspec.rm(self._path(prefix), recursive=True)  # hidden objects too
        return count

    def copy(self, src: str, dst: str) -> None:
        self.arrow.copy_file(self._path(src), self._path(dst))

    def swap_prefix(self, staged: str, prefix: str) -> None:
        new = [k.removeprefix(f"{check_key(staged)}/") for k in self.list_keys(staged)]
        old = set(self.list_keys(check_key(prefix)))
        for rel in new:
            self.copy(f"{staged}/{rel}", f"{prefix}/{rel}")
        stale = sorted(old - {f"{prefix}/{rel}" for rel in new})
        if stale:
            self.fsspec.rm([self._path(k) for k in stale])
        self.delete_prefix(staged)

    # -- pointers, logs, locks -------------------------------------------------------

    def write_pointer(self, key: str, value: str) -> None:
        put_pointer(self, key, value)

    def read_pointer(self, key: str) -> str | None:
        return get_pointer(self, key)

    def append_line(self, key: str, line: bytes) -> None:
        record = line if line.endswith(b"\n") else line + b"\n"
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:12]}{_RECORD_SUFFIX}"
        self.put_bytes(f"{check_key(key)}/{name}", record)

    def iter_lines(self, key: str) -> Iterator[bytes]:
        for record in self.list_keys(check_key(key)):
            if not record.endswith(_RECORD_SUFFIX):
                continue
            try:
                data = self.read_bytes(record)
            except FileNotFoundError:
                continue
            for line in data.splitlines(keepends=True):
                if line.endswith(b"\n"):
                    yield line

    @contextmanager
    def lock(self, name: str) -> Iterator[None]:
        lease = _Lease(self, f"{_LOCKS}/{check_key(name)}.lock")
        lease.acquire()
        try:
            yield
        finally:
            lease.release()

    @contextmanager
    def try_lock(self, name: str) -> Iterator[bool]:
        lease = _Lease(self, f"{_LOCKS}/{check_key(name)}.lock")
        held = lease.try_acquire()
        try:
            yield held
        finally:
            if held:
                lease.release()


class _Lease:
    """One held lock object: created exclusively, renewed while held, deleted on release."""

    def __init__(self, store: S3Storage, key: str) -> None:
        self.store = store
        self.key = key
        self.token = f"{os.getpid()}-{uuid.uuid4().hex}"
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def acquire(self) -> None:
        delay = 0.05
        while not self.try_acquire():
            time.sleep(delay)
            delay = min(delay * 2, 1.0)

    def try_acquire(self) -> bool:
        """Take the lease if it is free or stale; False at once when it is held."""
        if not self._try_create():
            self._take_over_if_stale()
            if not self._try_create():
                return False
        self._renewer = threading.Thread(target=self._renew, name="s3-lease", daemon=True)
        self._renewer.start()
        return True

    def _try_create(self) -> bool:
        try:
            self.store.fsspec.pipe_file(
                self.store._path(self.key), self.token.encode(), mode="create"
            )
        except FileExistsError:
            return False
        except OSError as exc:
            if "PreconditionFailed" in str(exc) or "412" in str(exc):
                return False
            raise
        return True

    def _take_over_if_stale(self) -> None:
        info = self.store.stat(self.key)
        if info is not None and time.time() - info.mtime > self.store.options.lease_s:
            self.store.delete(self.key)

    def _renew(self) -> None:
        while not self._stop.wait(self.store.options.lease_s / 4):
            with contextlib.suppress(OSError):
                self.store.put_bytes(self.key, self.token.encode())

    def release(self) -> None:
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join()
        with contextlib.suppress(OSError):
            if self.store.read_bytes(self.key).decode() == self.token:
                self.store.delete(self.key)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
