"""Erase → reads exclude at once → build → purge → verify 0 hits in every store, on a real lake.

The subject has rows in Bronze (their events and their linked anonymous ids'), quarantine
(raw text of a rejected event), a sealed spool segment, an extract, the published build and
the NRT snapshot, the state database (identity links, assignments, exposures) and the audit
log (a query naming them).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from privacy_fixture import Subjects

from rastup_data.errors import ErrorCode
from rastup_data.governance import AuditLog, Gate, QueryPath, local_principal
from rastup_data.lake.layout import LakeLayout
from rastup_data.lake.manifest import Manifest
from rastup_data.privacy import (
    PrivacyContext,
    PurgeOptions,
    RequestState,
    RequestStore,
    VerifyFailed,
    file_erasure,
    run_purge,
    verify_request,
)
from rastup_data.privacy.verify.certificate import certificate_checksum
from rastup_data.spool.segments import segment_name
from rastup_data.transform import BuildOptions, build


def _bronze_rows(layout: LakeLayout, ids: set[str]) -> int:
    listed = ", ".join(f"'{i}'" for i in sorted(ids))
    with duckdb.connect() as conn:
        row = conn.execute(
            f"SELECT count(*) FROM read_parquet('{layout.events_glob}') "
            f"WHERE user_id IN ({listed}) OR anon_id IN ({listed})"
        ).fetchone()
    return int(row[0]) if row else 0


def _rows_naming(layout: LakeLayout, ids: set[str]) -> int:
    """Bronze rows naming an id, counted independently of the purge: identifier columns by
    equality, JSON text columns by the quoted id."""
    listed = ", ".join(f"'{i}'" for i in sorted(ids))
    quoted = " OR ".join(
        f"contains({c}, '\"{i}\"')" for c in ("context", "ids", "payload") for i in sorted(ids)
    )
    with duckdb.connect() as conn:
        row = conn.execute(
            f"SELECT count(*) FROM read_parquet('{layout.events_glob}') "
            f"WHERE user_id IN ({listed}) OR anon_id IN ({listed}) OR {quoted}"
        ).fetchone()
    return int(row[0]) if row else 0


def _gated_count(layout: LakeLayout, sql: str, params: list[str]) -> int:
    with Gate.open(layout.root) as gate:
        result = gate.run(local_principal(), sql, path=QueryPath.REPORT, params=params)
    return int(result.rows[0][0])


def _spool_segment(layout: LakeLayout, lines: list[bytes]) -> Path:
    folder = layout.spool / "w0"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{segment_name('t0', 7)}.events.ndjson"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def _extract(layout: LakeLayout, user: str) -> Path:
    path = layout.root / "extracts" / "people" / "part-00000.parquet"
    path.parent.mkdir(parents=True)
    pq.write_table(pa.table({"user_id": [user, "u_bystander1"], "bookings": [3, 4]}), path)
    return path


def _all_ids(subjects: Subjects) -> set[str]:
    return {subjects.user, *subjects.anons}


def test_erasure_reaches_every_store_and_is_proven(
    lake: LakeLayout, subjects: Subjects, ctx: PrivacyContext
) -> None:
    ids = _all_ids(subjects)
    assert subjects.anons, "the fixture's subject must have linked anonymous ids"
    assert _bronze_rows(lake, ids) > 0
    naming = _rows_naming(lake, ids)
    spool = _spool_segment(
        lake,
        [
            orjson.dumps({"event": "search.click", "user_id": subjects.user, "ids": {}}),
            orjson.dumps({"event": "search.click", "user_id": subjects.other, "ids": {}}),
        ],
    )
    extract = _extract(lake, subjects.user)
    count_sql = "SELECT count(*) FROM bronze.events WHERE user_id = ?"
    assert _gated_count(lake, count_sql, [subjects.user]) > 0
    named = f"SELECT count(*) FROM bronze.events WHERE user_id = '{subjects.user}'"
    _gated_count(lake, named, [])  # an audit record whose SQL names the subject

    filed = file_erasure(ctx, subjects.user, reason="customer request")
    assert filed.request.state is RequestState.EXCLUDED
    assert filed.anon_ids >= len(subjects.anons)
    # Reads exclude the subject from the moment of filing, Bronze included.
    assert _gated_count(lake, count_sql, [subjects.user]) == 0
    anon = sorted(subjects.anons)[0]
    anon_sql = "SELECT count(*) FROM bronze.events WHERE anon_id = ?"
    assert _gated_count(lake, anon_sql, [anon]) == 0

    # Before the purge a verification finds them (and says where, not who).
    with pytest.raises(VerifyFailed) as failed:
        verify_request(ctx, filed.request.request_id)
    before = failed.value.certificate
    assert failed.value.code is ErrorCode.DSAR_VERIFY_FAILED
    stores_with_hits = {s["store"] for s in before.body["stores"] if s["hits"]}
    assert {"bronze", "quarantine", "spool", "extracts", "warehouse", "state"} <= stores_with_hits

    build(lake, BuildOptions(quality_gates=False))
    report = run_purge(ctx)
    assert report.purged == (filed.request.request_id,)
    by_store = {s.store: s for s in report.stores}
    assert by_store["bronze"].rows_removed == naming
    assert by_store["quarantine"].rows_removed >= 1
    assert by_store["spool"].rows_removed == 1
    assert by_store["extracts"].rows_removed == 1
    assert by_store["audit"].rows_removed >= 1
    assert _bronze_rows(lake, ids) == 0

    certificate = verify_request(ctx, filed.request.request_id)
    assert certificate.verified
    assert certificate.total_hits == 0
    assert all(s["hits"] == 0 for s in certificate.body["stores"])
    assert {s["store"] for s in certificate.body["stores"]} >= {
        "spool",
        "bronze",
        "quarantine",
        "extracts",
        "warehouse",
        "state",
        "manifest",
    }
    assert certificate.body["bytes_scanned"] > 0
    assert certificate.body["checksum"] == certificate_checksum(certificate.body)
    text = certificate.to_json().decode()
    assert not any(i in text for i in ids), "the certificate must never hold a raw id"

    store = RequestStore(ctx.state)
    assert store.get(filed.request.request_id).state is RequestState.VERIFIED
    assert not store.subject_ids(filed.request.request_id), "raw ids are cleared once verified"
    # The bystander's rows survive everywhere.
    assert pq.read_table(extract).column("user_id").to_pylist() == ["u_bystander1"]
    assert subjects.other.encode() in spool.read_bytes()
    assert _bronze_rows(lake, {subjects.other}) > 0
    # The audit log still verifies, with the subject's query redacted.
    assert AuditLog(ctx.state).verify().ok
    assert not any(subjects.user in r.sql for r in AuditLog(ctx.state).records())


def test_each_file_is_rewritten_at_most_once_per_run(
    lake: LakeLayout, subjects: Subjects, ctx: PrivacyContext
) -> None:
    first = file_erasure(ctx, subjects.user)
    second = file_erasure(ctx, subjects.other)
    report = run_purge(ctx)
    assert set(report.purged) == {first.request.request_id, second.request.request_id}
    records = [r for r in Manifest(lake).records() if r.kind == "purge" and r.name == report.run_id]
    inputs = [i for r in records for i in r.inputs]
    assert inputs
    assert len(inputs) == len(set(inputs))
    again = run_purge(ctx)
    assert again.rows_removed == 0
    assert not [r for r in Manifest(lake).records() if r.kind == "purge" and r.name == again.run_id]


def test_dry_run_changes_nothing(lake: LakeLayout, subjects: Subjects, ctx: PrivacyContext) -> None:
    filed = file_erasure(ctx, subjects.user)
    before = {p: p.stat().st_mtime_ns for p in lake.bronze.rglob("*.parquet")}
    report = run_purge(ctx, PurgeOptions(dry_run=True))
    assert report.rows_removed >= _rows_naming(lake, _all_ids(subjects)) > 0
    assert {p: p.stat().st_mtime_ns for p in lake.bronze.rglob("*.parquet")} == before
    assert RequestStore(ctx.state).get(filed.request.request_id).state is RequestState.EXCLUDED
