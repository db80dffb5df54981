from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import orjson

from rastup_data.lake.layout import LakeLayout
from rastup_data.lake.manifest import Manifest
from rastup_data.lander.direct import land_ndjson
from rastup_data.lander.landing import land_segment
from rastup_data.spool.segments import SegmentFiles

from .conftest import NameCheck, envelope


def _rows(layout: LakeLayout) -> list[tuple[object, ...]]:
    return duckdb.sql(
        f"SELECT event_id, dt FROM read_parquet('{layout.events_glob}', hive_partitioning=true)"
    ).fetchall()


def test_landed_bronze_is_readable_by_plain_duckdb(layout: LakeLayout) -> None:
    lines = [envelope() for _ in range(50)]
    result = land_ndjson(
        layout,
        lines,
        name="t",
        validator=NameCheck(),
        received_at=datetime(2026, 11, 21, 23, 59, tzinfo=UTC),
    )
    assert result.accepted == 50
    rel = duckdb.sql(
        f"SELECT * FROM read_parquet('{layout.bronze}/events/**/*.parquet', hive_partitioning=true)"
    )
    assert set(rel.columns) == {
        "event_id",
        "event",
        "v",
        "occurred_at",
        "received_at",
        "user_id",
        "anon_id",
        "session_id",
        "context",
        "ids",
        "payload",
        "dt",
    }
    rows = rel.fetchall()
    assert len(rows) == 50
    assert {str(r[-1]) for r in rows} == {"2026-11-21"}
    payload = duckdb.sql(
        f"SELECT payload, context FROM read_parquet('{layout.events_glob}') LIMIT 1"
    ).fetchall()[0]
    assert payload is not None
    assert orjson.loads(payload[0]) == {"n": 1}
    assert orjson.loads(payload[1])["app"] == "web"


def test_landing_the_same_segment_twice_never_doubles_rows(layout: LakeLayout) -> None:
    staging = layout.root / "stage"
    staging.mkdir(parents=True)
    records = []
    for _ in range(20):
        event = orjson.loads(envelope())
        event["received_at"] = "2026-11-22T01:02:03.000004Z"
        records.append(orjson.dumps(event))
    segment = SegmentFiles.in_directory(staging, "c1-000000000001")
    for _ in range(2):  # a crash after writing Parquet, before deleting the segment
        segment.events.write_bytes(b"\n".join(records) + b"\n")
        land_segment(layout, segment)
    assert len(_rows(layout)) == 20
    assert not segment.events.exists()
    names = [r.name for r in Manifest(layout).records()]
    assert names == ["c1-000000000001", "c1-000000000001"]


def test_events_split_by_received_day_and_bad_records_quarantined(layout: LakeLayout) -> None:
    result = land_ndjson(
        layout,
        [envelope(), envelope("bad.name"), b"{not json", envelope()],
        name="x",
        validator=NameCheck({"bad.name"}),
    )
    assert (result.accepted, result.rejected) == (2, 2)
    assert result.codes == {"EVENT_UNKNOWN": 1, "EVENT_MALFORMED_JSON": 1}
    bad = duckdb.sql(
        f"SELECT code, raw, event FROM read_parquet('{layout.bad_glob}') ORDER BY code"
    ).fetchall()
    assert [b[0] for b in bad] == ["EVENT_MALFORMED_JSON", "EVENT_UNKNOWN"]
    assert bad[0][1] == "{not json"
    assert bad[1][2] == "bad.name"


def test_duplicates_within_a_load_land_once(layout: LakeLayout) -> None:
    line = envelope()
    result = land_ndjson(layout, [line, line, line], name="d", validator=NameCheck())
    assert (result.accepted, result.duplicates) == (1, 2)
    assert len(_rows(layout)) == 1


def test_manifest_records_files_and_lag(layout: LakeLayout) -> None:
    land_ndjson(layout, [envelope() for _ in range(5)], name="m", validator=NameCheck())
    (record,) = list(Manifest(layout).records())
    assert record.kind == "landing"
    assert record.events == 5
    assert sum(f.rows for f in record.files) == 5
    assert all((layout.root / f.path).exists() for f in record.files)
