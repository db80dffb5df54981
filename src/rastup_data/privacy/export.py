"""``dsar export`` (the access right): every stored record of a subject, as NDJSON in a zip.

The subject is the user and every linked anonymous id (resolved as for an erasure). The zip
holds one ``<source>.ndjson`` per store with records — Bronze events, quarantined events (raw
text included), events still in this node's spool, each Parquet store of the policy, and the
state database's rows (assignments, exposures, identity links) — and ``manifest.json``: the
request, when, and per source the files read and the records found. It is written to a
temporary name and renamed into place. The export is an ``access`` request in the register
and an audit record; it names the subject only by its salted hash.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson
import pyarrow as pa

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.privacy.context import PrivacyContext, now_iso
from rastup_data.privacy.erasure import new_request
from rastup_data.privacy.ids import SubjectIds, check_request_id, check_subject_id
from rastup_data.privacy.matching import IdMatcher
from rastup_data.privacy.purge.parquet import read_parquet_table
from rastup_data.privacy.purge.spool import spool_files, spool_segments
from rastup_data.privacy.purge.state_tables import STATE_TABLES
from rastup_data.privacy.requests import RequestKind, RequestState, RequestStore
from rastup_data.privacy.subjects import resolve_links
from rastup_data.privacy.trail import record_action
from rastup_data.state import SQLITE
from rastup_data.storage.posix import replacing

__all__ = ["ExportResult", "ExportSource", "export_subject"]


@dataclass(frozen=True, slots=True)
class ExportSource:
    name: str
    files: int
    records: int


@dataclass(frozen=True, slots=True)
class ExportResult:
    request_id: str
    path: Path
    sources: tuple[ExportSource, ...]

    @property
    def records(self) -> int:
        return sum(s.records for s in self.sources)


def export_subject(
    ctx: PrivacyContext, subject: str, out: Path, *, request_id: str | None = None
) -> ExportResult:
    """Write the subject's records to the zip ``out`` and register the access request."""
    subject = check_subject_id(subject)
    store = RequestStore(ctx.state)
    if request_id is not None and store.find(check_request_id(request_id)) is not None:
        raise RastupError(ErrorCode.DSAR_INVALID, f"request id {request_id} is taken.")
    request = new_request(ctx, subject, RequestKind.ACCESS, request_id=request_id, reason=None)
    store.create(request, f"access export by {ctx.actor.name}")
    anons = resolve_links(ctx.layout, ctx.state, [subject])[subject]
    ids = SubjectIds(frozenset({subject}), frozenset(anons))
    matcher = IdMatcher(ids.all)
    sources: list[ExportSource] = []
    with replacing(out) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, files, records in _sources(ctx, ids, matcher):
            with archive.open(f"{name}.ndjson", "w") as handle:
                count = _write_records(handle, records)
            sources.append(ExportSource(name, files, count))
        manifest = {
            "request_id": request.request_id,
            "subject_hash": request.subject_hash,
            "subject_salt": request.subject_salt,
            "ids": {"users": 1, "anonymous_ids": len(anons)},
            "generated_at": now_iso(),
            "sources": [
                {
                    "name": s.name,
                    "file": f"{s.name}.ndjson",
                    "files_read": s.files,
                    "records": s.records,
                }
                for s in sources
            ],
        }
        archive.writestr("manifest.json", orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    total = sum(s.records for s in sources)
    store.move(request.request_id, RequestState.EXPORTED, f"{total} record(s) exported")
    record_action(ctx, f"dsar export {request.request_id}", rows=total)
    return ExportResult(request.request_id, out, tuple(sources))


def _write_records(handle: IO[bytes], records: Iterator[dict[str, Any]]) -> int:
    count = 0
    for record in records:
        handle.write(orjson.dumps(record, default=str) + b"\n")
        count += 1
    return count


def _sources(
    ctx: PrivacyContext, ids: SubjectIds, matcher: IdMatcher
) -> Iterator[tuple[str, int, Iterator[dict[str, Any]]]]:
    store = ctx.layout.lake
    for name, prefix in ctx.policy.parquet_stores.items():
        keys = [k for k in store.list_keys(prefix) if k.endswith(".parquet")]
        yield name, len(keys), _parquet_records(ctx, keys, matcher)
    files = spool_files(ctx.layout.spool)
    yield "spool", len(files), _spool_records(files, matcher)
    yield "state", len(STATE_TABLES), _state_records(ctx, ids)


def _parquet_records(
    ctx: PrivacyContext, keys: list[str], matcher: IdMatcher
) -> Iterator[dict[str, Any]]:
    store = ctx.layout.lake
    for key in keys:
        table = read_parquet_table(store, key)
        mask = matcher.table_rows(table)
        if mask.any():
            for row in table.filter(pa.array(mask)).to_pylist():
                yield {"source_file": key, **row}


def _spool_records(files: list[Path], matcher: IdMatcher) -> Iterator[dict[str, Any]]:
    for path, data in spool_segments(files):
        lines = data.splitlines()
        for index in matcher.lines(data):
            yield {"segment": path.name, "record": lines[index].decode("utf-8", "replace")}


def _state_records(ctx: PrivacyContext, ids: SubjectIds) -> Iterator[dict[str, Any]]:
    wanted = sorted(ids.all)
    for table, columns, _ in STATE_TABLES:
        names = _columns_of(ctx, table)
        for start in range(0, len(wanted), 400):
            chunk = wanted[start : start + 400]
            marks = ", ".join("?" * len(chunk))
            where = " OR ".join(f"{c} IN ({marks})" for c in columns)
            cursor_rows = ctx.state.fetchall(
                f"SELECT * FROM {table} WHERE {where}", chunk * len(columns)
            )
            for row in cursor_rows:
                yield {"table": table, **dict(zip(names, row, strict=False))}


def _columns_of(ctx: PrivacyContext, table: str) -> list[str]:
    if ctx.state.dialect.name == SQLITE.name:
        return [str(r[1]) for r in ctx.state.fetchall(f"PRAGMA table_info({table})")]
    return [
        str(r[0])
        for r in ctx.state.fetchall(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "ORDER BY ordinal_position",
            (table,),
        )
    ]
