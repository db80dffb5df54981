"""A secure session: an in-memory DuckDB whose only readable relations are secure views.

The published build and the NRT snapshot are attached read-only under private names, Bronze
is read in place; every relation the principal may read becomes a view of the same public
name (``gold.kpi_marketplace_daily``) that drops denied columns, masks tagged ones, filters
the principal's cities and excludes erased subjects. Then external access is disabled and
the configuration locked, so even a statement that got past the checker cannot reach a
file, change a setting or load an extension.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

import duckdb

from rastup_data.governance.lineage import views_schema
from rastup_data.governance.masking import MASK_FUNCTION, mask_macro_sql
from rastup_data.governance.memo import SessionMemo
from rastup_data.governance.policy import Policy, RoleLimits, TagAction
from rastup_data.governance.principals import Principal
from rastup_data.governance.relations import (
    CATALOG_COLUMNS,
    CATALOG_TABLES,
    PhysicalColumn,
    PhysicalRelation,
    Refusal,
    RelationView,
    SourceKind,
    plan_relations,
)
from rastup_data.governance.tags import ColumnTags
from rastup_data.lake.files import has_parquet
from rastup_data.lake.layout import LakeLayout

__all__ = [
    "CATALOG_COLUMNS",
    "CATALOG_TABLES",
    "SNAPSHOT_POINTER",
    "ErasedSubjects",
    "SecureSession",
    "SessionSpec",
    "files_version",
    "quote",
    "session_memory",
]

WAREHOUSE_ALIAS = "__wh"
#: The node work folder's folder of the sessions' spill folders (one per session).
SPILL_ROOT = "tmp/gate"
#: The pointer file of a Parquet folder published by snapshot (e.g. a BI extract).
SNAPSHOT_POINTER = "CURRENT"
NRT_ALIAS = "__nrt"
#: Where a session keeps its copies of small pinned snapshots.
SNAPSHOT_SCHEMA = "__snap"
#: Pinned snapshots up to this many rows are copied into the session (BI extracts are
#: aggregates: hundreds to thousands of rows).
COPY_MAX_ROWS = 1_000_000
#: A session's DuckDB memory limit: this many times its role's answer byte budget, at least
#: ``MIN_SESSION_MEMORY`` (aggregates, joins and sorts past it spill or stop with
#: QUERY_ANSWER_TOO_LARGE instead of taking the server's memory).
SESSION_MEMORY_PER_ANSWER_BYTE = 4
MIN_SESSION_MEMORY = 1024 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ErasedSubjects:
    """Users and anonymous ids that must not be read (the privacy read-time exclusion)."""

    users: frozenset[str] = field(default_factory=frozenset)
    anons: frozenset[str] = field(default_factory=frozenset)

    @property
    def digest(self) -> str:
        text = "\n".join(["u", *sorted(self.users), "a", *sorted(self.anons)])
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def of(self, kind: str) -> frozenset[str]:
        return self.users if kind == "user" else self.anons


@dataclass(frozen=True, slots=True)
class SessionSpec:
    """Everything a session depends on; equal specs can share one session."""

    lake: LakeLayout
    warehouse: str | None
    nrt: str | None
    principal_role: str
    cities: frozenset[str]
    erased_digest: str
    #: Identity of the attached files (inode, mtime): a DSAR purge replaces a build file
    #: under the same name, and the next query must attach the new one.
    files_version: str = ""
    #: Parquet folders published by pointer (``<folder>/CURRENT`` names the snapshot
    #: subfolder readers see, e.g. BI extracts): folder -> snapshot.
    snapshots: tuple[tuple[str, str], ...] = ()


def files_version(*paths: str | None) -> str:
    """A fingerprint of local files (inode and modification time; "-" when absent)."""
    parts = []
    for path in paths:
        if path is None:
            continue
        try:
            info = os.stat(path)
        except OSError:
            parts.append("-")
            continue
        parts.append(f"{info.st_ino}:{info.st_mtime_ns}")
    return ",".join(parts)


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class SecureSession:
    """One locked DuckDB database with the secure views of one principal's scope."""

    def __init__(
        self,
        spec: SessionSpec,
        *,
        policy: Policy,
        principal: Principal,
        tags: ColumnTags,
        mask_key: str,
        erased: ErasedSubjects,
    ) -> None:
        self.spec = spec
        #: Relations read from a snapshot named by its folder's pointer (immutable data).
        self.pinned: set[str] = set()
        self.memo = SessionMemo()
        #: Where this session spills: its own folder in the node's work folder (DuckDB's
        #: default is ``.tmp`` in the server's working folder, shared by every session).
        self.spill_folder = spec.lake.work.path(f"{SPILL_ROOT}/{uuid.uuid4().hex}")
        self.spill_folder.mkdir(parents=True)  # DuckDB makes one missing level only
        self.conn = duckdb.connect(":memory:")
        try:
            spec.lake.lake.register_duckdb(self.conn)
            physical = self._attach_sources(policy)
            self.views, self.refused = plan_relations(policy, principal, physical, tags)
            self._drop_empty_views()
            self.schema = views_schema(self.views)
            self._create_gate_schema(mask_key, erased)
            for view in self.views.values():
                self.conn.execute(_view_sql(view, erased))
            limits = policy.role(principal.role).limits
            self._lock(
                list(policy.parquet_relations.values()),
                memory=session_memory(limits),
                temp=limits.max_temp_bytes,
            )
        except BaseException:
            self.close()
            raise

    def cursor(self) -> duckdb.DuckDBPyConnection:
        return self.conn.cursor()

    def close(self) -> None:
        self.conn.close()
        shutil.rmtree(self.spill_folder, ignore_errors=True)

    def _attach_sources(self, policy: Policy) -> list[PhysicalRelation]:
        found: list[PhysicalRelation] = []
        if self.spec.warehouse is not None:
            self.conn.execute(
                f"ATTACH {_literal(self.spec.warehouse)} AS {WAREHOUSE_ALIAS} (READ_ONLY)"
            )
            found += self._tables(WAREHOUSE_ALIAS, ("silver", "gold"), SourceKind.WAREHOUSE)
        if self.spec.nrt is not None:
            self.conn.execute(f"ATTACH {_literal(self.spec.nrt)} AS {NRT_ALIAS} (READ_ONLY)")
            found += self._tables(NRT_ALIAS, ("main",), SourceKind.NRT)
        pinned = dict(self.spec.snapshots)
        for name, folder in policy.parquet_relations.items():
            where = f"{folder}/{pinned[folder]}" if folder in pinned else folder
            relation = self._parquet(name, where, pinned=folder in pinned)
            if relation is not None:
                found.append(relation)
                if folder in pinned:
                    self.pinned.add(name)
        return found

    def _tables(
        self, alias: str, schemas: tuple[str, ...], kind: SourceKind
    ) -> list[PhysicalRelation]:
        rows = self.conn.execute(
            "SELECT schema_name, table_name, column_name, data_type FROM duckdb_columns() "
            f"WHERE database_name = ? AND schema_name IN ({', '.join('?' * len(schemas))}) "
            "ORDER BY schema_name, table_name, column_index",
            [alias, *schemas],
        ).fetchall()
        columns: dict[tuple[str, str], list[PhysicalColumn]] = {}
        for schema, table, column, dtype in rows:
            columns.setdefault((str(schema), str(table)), []).append(
                PhysicalColumn(str(column), str(dtype))
            )
        public = "nrt" if kind is SourceKind.NRT else None
        return [
            PhysicalRelation(
                name=f"{public or schema}.{table}",
                kind=kind,
                source_sql=f"{alias}.{quote(schema)}.{quote(table)}",
                columns=tuple(cols),
                location=f"{schema}.{table}",
            )
            for (schema, table), cols in columns.items()
        ]

    def _parquet(self, name: str, folder: str, *, pinned: bool) -> PhysicalRelation | None:
        """A Parquet relation; a small pinned snapshot (immutable: a BI extract) is copied
        into the session once, so its queries do not list and open its files each time."""
        store = self.spec.lake.lake
        if not has_parquet(store, folder):
            return None
        source = (
            f"read_parquet({_literal(store.uri(f'{folder}/**/*.parquet'))}, "
            "hive_partitioning = true, union_by_name = true)"
        )
        rows = self.conn.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
        if pinned:
            source = self._copied(name, source)
        return PhysicalRelation(
            name=name,
            kind=SourceKind.PARQUET,
            source_sql=source,
            columns=tuple(PhysicalColumn(str(r[0]), str(r[1])) for r in rows),
            location=store.uri(folder),
        )

    def _copied(self, name: str, source: str) -> str:
        """``source`` as a table of the session when it has at most ``COPY_MAX_ROWS`` rows
        (readers only reach it through its secure view, like the attached files)."""
        counted = self.conn.execute(f"SELECT count(*) FROM {source}").fetchone()
        if counted is None or int(counted[0]) > COPY_MAX_ROWS:
            return source
        self.conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SNAPSHOT_SCHEMA}")
        table = f"{SNAPSHOT_SCHEMA}.{quote(name)}"
        self.conn.execute(f"CREATE TABLE {table} AS SELECT * FROM {source}")
        return table

    def _drop_empty_views(self) -> None:
        for name, view in list(self.views.items()):
            if not view.visible:
                del self.views[name]
                self.refused[name] = Refusal(name, f"every column of {name} is denied to the role")

    def _create_gate_schema(self, mask_key: str, erased: ErasedSubjects) -> None:
        conn = self.conn
        conn.execute("CREATE SCHEMA __gate")
        conn.execute(mask_macro_sql(mask_key))
        conn.execute("CREATE TABLE __gate.erased (subject_type VARCHAR, subject_id VARCHAR)")
        subjects = [("user", u) for u in sorted(erased.users)]
        subjects += [("anon", a) for a in sorted(erased.anons)]
        if subjects:
            conn.executemany("INSERT INTO __gate.erased VALUES (?, ?)", subjects)
        conn.execute(
            f"CREATE TABLE {CATALOG_TABLES} (table_schema VARCHAR, table_name VARCHAR, "
            "table_type VARCHAR)"
        )
        conn.execute(
            f"CREATE TABLE {CATALOG_COLUMNS} (table_schema VARCHAR, table_name VARCHAR, "
            "column_name VARCHAR, ordinal_position INTEGER, data_type VARCHAR, access VARCHAR)"
        )
        tables = [(v.schema, v.table, "VIEW") for v in self.views.values()]
        columns = [
            (
                v.schema,
                v.table,
                c.name,
                i + 1,
                "VARCHAR" if c.action is TagAction.MASKED else c.type,
                c.action.value,
            )
            for v in self.views.values()
            for i, c in enumerate(v.visible)
        ]
        if tables:
            conn.executemany(f"INSERT INTO {CATALOG_TABLES} VALUES (?, ?, ?)", tables)
            conn.executemany(f"INSERT INTO {CATALOG_COLUMNS} VALUES (?, ?, ?, ?, ?, ?)", columns)
        for schema in sorted({v.schema for v in self.views.values()}):
            conn.execute(f"CREATE SCHEMA {quote(schema)}")

    def _lock(self, folders: list[str], *, memory: int, temp: int) -> None:
        """UTC, ``memory`` bytes at most, ``temp`` bytes spilled to the session's own
        temporary folder at most, only the Parquet relations' folders readable (on a lake
        on S3 too: the registered filesystem obeys the same allowed directories), then no
        setting can change, so no query can register another filesystem, widen the list or
        raise the memory or spill limit."""
        store = self.spec.lake.lake
        allowed = ", ".join(_literal(store.uri(folder) + "/") for folder in folders)
        self.conn.execute("SET TimeZone = 'UTC'")
        self.conn.execute(f"SET memory_limit = '{-(-memory // 2**20)}MiB'")
        self.conn.execute(f"SET temp_directory = {_literal(str(self.spill_folder))}")
        self.conn.execute(f"SET max_temp_directory_size = '{-(-temp // 2**10)}KiB'")
        self.conn.execute(f"SET allowed_directories = [{allowed}]")
        self.conn.execute("SET enable_external_access = false")
        self.conn.execute("SET lock_configuration = true")


def session_memory(limits: RoleLimits) -> int:
    """The memory limit of a session of a role with these limits, in bytes."""
    return max(MIN_SESSION_MEMORY, SESSION_MEMORY_PER_ANSWER_BYTE * limits.max_answer_bytes)


def _view_sql(view: RelationView, erased: ErasedSubjects) -> str:
    columns = ", ".join(
        f"{MASK_FUNCTION}({quote(c.name)}) AS {quote(c.name)}"
        if c.action is TagAction.MASKED
        else quote(c.name)
        for c in view.visible
    )
    where = list(_row_filters(view, erased))
    condition = f" WHERE {' AND '.join(where)}" if where else ""
    return (
        f"CREATE VIEW {quote(view.schema)}.{quote(view.table)} AS "
        f"SELECT {columns} FROM {view.source_sql}{condition}"
    )


def _row_filters(view: RelationView, erased: ErasedSubjects) -> Iterable[str]:
    """The view's row filters: the principal's cities, then the erased subjects."""
    if view.city_filter is not None:
        column, cities = view.city_filter
        listed = ", ".join(_literal(c) for c in sorted(cities))
        yield f"{quote(column)} IN ({listed})"
    for column, kind in view.erasure_columns:
        if erased.of(kind):
            yield (
                f"({quote(column)} IS NULL OR {quote(column)} NOT IN "
                f"(SELECT subject_id FROM __gate.erased WHERE subject_type = '{kind}'))"
            )
