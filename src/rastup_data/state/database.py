"""A small DB-API layer over the platform's state database (SQLite by default, PostgreSQL by URL).

SQL is written once, portably, with ``?`` placeholders; the dialect rewrites them for
drivers that use another paramstyle. Writes go through :meth:`StateDB.transaction`, which
takes the write lock up front (``BEGIN IMMEDIATE`` on SQLite) so concurrent processes
serialise instead of failing half-way.
"""

from __future__ import annotations

import importlib
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from rastup_data.config import resolve_lake
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.lake.layout import LakeLayout, adopt_legacy_work

__all__ = [
    "POSTGRESQL",
    "SQLITE",
    "Connection",
    "Connector",
    "Cursor",
    "Dialect",
    "StateDB",
    "connect_url",
    "redact_url",
    "register_connector",
    "sqlite_url",
    "state_url_for_lake",
    "state_url_for_layout",
]

#: How long a writer waits for another process's write lock before giving up.
BUSY_TIMEOUT_MS = 30_000

Params = Sequence[Any]
Row = tuple[Any, ...]


class Cursor(Protocol):
    """The part of a DB-API cursor the state layer uses."""

    @property
    def rowcount(self) -> int: ...

    def execute(self, sql: str, params: Params = ..., /) -> Any: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> Sequence[Any]: ...

    def close(self) -> None: ...


class Connection(Protocol):
    """The part of a DB-API connection the state layer uses (in autocommit mode)."""

    def cursor(self) -> Any: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Dialect:
    """What differs between database engines: placeholders and how to take the write lock."""

    name: str
    placeholder: str
    begin_write: str
    #: Statements run right after ``begin_write`` when applying migrations.
    migration_lock: tuple[str, ...] = ()

    def sql(self, statement: str) -> str:
        """Rewrite ``?`` placeholders (our SQL never has ``?`` inside string literals)."""
        return statement if self.placeholder == "?" else statement.replace("?", self.placeholder)


SQLITE = Dialect(name="sqlite", placeholder="?", begin_write="BEGIN IMMEDIATE")
POSTGRESQL = Dialect(
    name="postgresql",
    placeholder="%s",
    begin_write="BEGIN",
    migration_lock=("SELECT pg_advisory_xact_lock(72616374)",),
)

#: A connector opens a DB-API connection for a URL; it returns it with its dialect.
Connector = Callable[[str], tuple[Connection, Dialect]]


class StateDB:
    """One open state database. Thread-safe: calls are serialised on a lock."""

    def __init__(self, connection: Connection, dialect: Dialect, url: str) -> None:
        self._conn = connection
        self.dialect = dialect
        self.url = url
        self._lock = threading.RLock()
        self._in_transaction = False

    def __enter__(self) -> StateDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        with self._lock:
            cur = self._conn.cursor()
            try:
                cur.execute(self.dialect.sql(sql), tuple(params))
                row = cur.fetchone()
            finally:
                cur.close()
        return None if row is None else tuple(row)

    def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        with self._lock:
            cur = self._conn.cursor()
            try:
                cur.execute(self.dialect.sql(sql), tuple(params))
                rows = cur.fetchall()
            finally:
                cur.close()
        return [tuple(r) for r in rows]

    def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement (in its own transaction unless inside one); return rowcount."""
        with self._lock:
            cur = self._conn.cursor()
            try:
                cur.execute(self.dialect.sql(sql), tuple(params))
                return int(cur.rowcount)
            finally:
                cur.close()

    @contextmanager
    def transaction(self, *, lock_statements: Sequence[str] = ()) -> Iterator[StateDB]:
        """A write transaction: committed on success, rolled back on any exception.

        Nested use joins the outer transaction.
        """
        with self._lock:
            if self._in_transaction:
                yield self
                return
            self._raw(self.dialect.begin_write)
            self._in_transaction = True
            try:
                for statement in lock_statements:
                    self._raw(statement)
                yield self
            except BaseException:
                self._in_transaction = False
                self._raw("ROLLBACK")
                raise
            self._in_transaction = False
            self._raw("COMMIT")

    def _raw(self, sql: str) -> None:
        cur = self._conn.cursor()
        try:
            cur.execute(sql)
        finally:
            cur.close()


_CONNECTORS: dict[str, Connector] = {}


def register_connector(scheme: str, connector: Connector) -> None:
    """Make ``scheme://…`` URLs open with ``connector`` (e.g. a pooled or test driver)."""
    _CONNECTORS[scheme] = connector


def sqlite_url(path: str | Path) -> str:
    """The URL of a SQLite file (absolute paths give ``sqlite:////abs/path``)."""
    return f"sqlite:///{Path(path).absolute()}"


def state_url_for_lake(lake: str | Path) -> str:
    """The default state database of a lake: ``sqlite:///<work>/state/state.db``."""
    return state_url_for_layout(LakeLayout(resolve_lake(lake)))


def state_url_for_layout(layout: LakeLayout) -> str:
    """The state database in ``layout``'s work folder (adopting a pre-work-folder one)."""
    adopt_legacy_work(layout)
    return sqlite_url(layout.state_db)


def connect_url(url: str) -> tuple[Connection, Dialect]:
    """Open a DB-API connection for ``url`` (``sqlite:///path``, ``postgresql://…``)."""
    scheme = urlsplit(url).scheme.lower()
    if scheme in _CONNECTORS:
        return _CONNECTORS[scheme](url)
    if scheme == "sqlite":
        return _connect_sqlite(url), SQLITE
    if scheme in ("postgresql", "postgres"):
        return _connect_postgresql(url), POSTGRESQL
    raise RastupError(
        ErrorCode.CONFIG_INVALID,
        f"unsupported state database URL {url!r}: use sqlite:///PATH or postgresql://HOST/DB "
        "(RASTUP_STATE_URL).",
    )


def _sqlite_path(url: str) -> str:
    """``sqlite:///rel.db`` is relative, ``sqlite:////abs/x.db`` absolute (as SQLAlchemy)."""
    prefix = "sqlite:///"
    if not url.lower().startswith(prefix):
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"state URL {url!r} is not a local SQLite URL: use sqlite:///relative/path.db or "
            "sqlite:////absolute/path.db.",
        )
    path = unquote(url[len(prefix) :].split("?", 1)[0])
    if not path:
        raise RastupError(
            ErrorCode.CONFIG_INVALID, f"state URL {url!r} has no file path: use sqlite:///PATH."
        )
    return path


def _enable_wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL, retrying: the switch needs an exclusive lock and SQLite does not call
    the busy handler for it, so processes opening a new database at once see SQLITE_BUSY."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    delay = 0.005
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


def _connect_sqlite(url: str) -> sqlite3.Connection:
    path = _sqlite_path(url)
    if path != ":memory:":
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RastupError(
                ErrorCode.CONFIG_INVALID,
                f"cannot create the state database folder for {path}: {exc}. "
                "Check the lake path and its permissions.",
            ) from exc
    try:
        conn = sqlite3.connect(
            path,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,  # autocommit; transactions are explicit
            check_same_thread=False,  # StateDB serialises access on its own lock
        )
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        if path != ":memory:":
            _enable_wal(conn)
            # In WAL mode NORMAL never corrupts; a power cut may lose the last commits.
            conn.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.Error as exc:
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"cannot open the state database {path}: {exc}. "
            "Check that the file is a SQLite database and writable.",
        ) from exc
    return conn


def redact_url(url: str) -> str:
    """``url`` with its password (if any) replaced by ``***``, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    user = parts.username or ""
    return parts._replace(netloc=f"{user}:***@{host}").geturl()


def _connect_postgresql(url: str) -> Connection:
    try:
        psycopg: Any = importlib.import_module("psycopg")
    except ImportError as exc:
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            "a postgresql:// state URL needs the psycopg package: install the postgresql extra "
            "(`uv sync --extra postgresql`, or `pip install 'rastup-data[postgresql]'`).",
        ) from exc
    try:
        conn: Connection = psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.ProgrammingError as exc:  # a URL the driver cannot parse
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"the state URL {redact_url(url)} is not a valid PostgreSQL URL: "
            f"{_first_line(exc)}. Use postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE.",
        ) from exc
    except psycopg.OperationalError as exc:
        raise RastupError(
            ErrorCode.STATE_UNAVAILABLE,
            f"cannot connect to the state database {redact_url(url)}: {_first_line(exc)}. "
            "Check that the server runs and the URL's host, port, database and user.",
        ) from exc
    return conn


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
