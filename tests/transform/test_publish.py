"""Write-audit-publish: failures never publish, readers keep the previous build."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from bronze_fixture import envelope, write_bronze

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.lake.layout import LakeLayout
from rastup_data.storage import LocalStorage
from rastup_data.transform import BuildEvent, BuildFailed, BuildOptions, build, open_published
from rastup_data.transform.nrt import nrt_state_path
from rastup_data.transform.runs import build_runs
from rastup_data.transform.warehouse import PointerDir, warehouse_dirs


def _booking(
    listing_type: str = "talent", search: str = "search.impression"
) -> list[dict[str, object]]:
    return [
        envelope(
            "booking.confirmed",
            "2026-01-05 10:00",
            {
                "booking_id": "bk_1",
                "checkout_id": "co_1",
                "leg_count": 1,
                "total_amount_cents": 10_000,
                "currency": "USD",
            },
            user_id="u_1",
        ),
        envelope(
            "booking.leg.confirmed",
            "2026-01-05 10:00",
            {
                "booking_id": "bk_1",
                "leg_id": "lg_1",
                "provider_id": "p_1",
                "provider_type": "talent",
                "amount_cents": 10_000,
                "currency": "USD",
                "service_date": "2026-01-10",
            },
            user_id="u_1",
        ),
        envelope(
            "payment.fee.recorded",
            "2026-01-05 10:01",
            {
                "fee_id": "fe_1",
                "booking_id": "bk_1",
                "leg_id": "lg_1",
                "fee_type": "platform",
                "amount_cents": 1_500,
                "currency": "USD",
            },
            user_id="u_1",
        ),
        envelope(
            search,
            "2026-01-05 09:00",
            {
                "search_id": "s_1",
                "listing_id": "l_1",
                "listing_type": listing_type,
                "rank": 1,
                "is_promoted": False,
                "promotion_id": None,
            },
            user_id="u_1",
        ),
    ]


def _marketplace(layout: LakeLayout) -> list[tuple[object, ...]]:
    with open_published(layout) as conn:
        return conn.execute(
            "SELECT dt::VARCHAR, city, bookings, gmv_cents, platform_fee_cents, take_rate "
            "FROM gold.kpi_marketplace_daily"
        ).fetchall()


def test_failed_checks_and_model_errors_never_publish(layout: LakeLayout) -> None:
    write_bronze(layout, _booking(), name="good")
    events: list[BuildEvent] = []
    first = build(layout, BuildOptions(quality_gates=False, with_nrt=False), progress=events.append)
    # Hand-computed: one booking, one 100.00 leg, a 15.00 platform fee.
    assert _marketplace(layout) == [("2026-01-05", "nyc", 1, 10_000, 1_500, 0.15)]
    reported = {e.node.relation for e in events if e.node is not None}
    assert {"silver.events_deduped", "gold.kpi_marketplace_daily"} <= reported
    stages = [e.stage for e in events]
    assert stages.index("published") > stages.index("start")

    # A search click with an unknown listing_type fails an error-severity dbt test.
    write_bronze(layout, _booking("spaceship", "search.click")[3:], name="bad-enum")
    with pytest.raises(BuildFailed) as failed:
        build(layout, BuildOptions(quality_gates=False, with_nrt=False))
    assert failed.value.code is ErrorCode.QUALITY_CHECK_FAILED
    names = [f.name for f in failed.value.failures]
    assert any(n.startswith("accepted_values_map_fact_search_clicks") for n in names)
    sample = failed.value.failures[0].sample_rows
    assert {"column_name": "listing_type", "value": "spaceship"}.items() <= sample[0].items()
    dirs = warehouse_dirs(layout)
    assert dirs.builds.current() == first.path
    assert not dirs.builds.staging.exists()
    assert _marketplace(layout) == [("2026-01-05", "nyc", 1, 10_000, 1_500, 0.15)]
    (layout.events_partition("2026-01-05") / "bad-enum.parquet").unlink()

    # A Bronze file whose occurred_at is not a time breaks a model: CTAS_FAILURE.
    folder = layout.events_partition("2026-01-06")
    folder.mkdir(parents=True)
    with duckdb.connect() as conn:
        conn.execute(
            f"COPY (SELECT 'e-broken' AS event_id, 'search.impression' AS event, 1 AS v, "
            f"'not a time' AS occurred_at) TO '{folder / 'broken.parquet'}' (FORMAT parquet)"
        )
    with pytest.raises(BuildFailed) as broken:
        build(layout, BuildOptions(quality_gates=False, with_nrt=False))
    assert broken.value.code is ErrorCode.CTAS_FAILURE
    assert "events_deduped" in broken.value.message
    assert dirs.builds.current() == first.path
    assert _marketplace(layout) == [("2026-01-05", "nyc", 1, 10_000, 1_500, 0.15)]

    # The build log has the three outcomes, in order, with their codes and durations.
    runs = list(build_runs(layout, datetime.now(UTC).date() - timedelta(days=1)))
    assert [(r.status, r.code) for r in runs] == [
        ("published", None),
        ("failed", "QUALITY_CHECK_FAILED"),
        ("failed", "CTAS_FAILURE"),
    ]
    assert runs[0].build_id == first.build_id
    assert all(r.seconds > 0 and r.started_at <= r.finished_at for r in runs)


def test_a_lake_without_bronze_is_refused_and_nothing_is_created(tmp_path: Path) -> None:
    layout = LakeLayout(tmp_path / "lake", tmp_path / "builder-node")
    with pytest.raises(RastupError) as refused:
        build(layout, BuildOptions(quality_gates=False))
    assert refused.value.code is ErrorCode.LAKE_NOT_FOUND
    assert str(tmp_path / "lake" / "bronze" / "events") in str(refused.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_build_staged_on_one_node_is_read_on_another(tmp_path: Path) -> None:
    # The builder stages in its own work folder and publishes into the shared lake, where
    # another machine (another work folder) reads the same build.
    layout = LakeLayout(tmp_path / "lake", tmp_path / "builder-node")
    write_bronze(layout, _booking(), name="one-booking")
    result = build(layout, BuildOptions(quality_gates=False))
    assert all(n.ok for n in result.nodes)
    lake_files = {p.relative_to(layout.root).as_posix() for p in layout.root.rglob("*.duckdb")}
    assert lake_files == {f"warehouse/builds/{result.build_id}.duckdb", *_nrt_files(layout)}
    assert (tmp_path / "builder-node" / "warehouse" / "_dbt" / "build").is_dir()
    # Only the NRT state stays in the work folder, no staging file.
    left = set((tmp_path / "builder-node").rglob("*.duckdb"))
    assert left == {nrt_state_path(warehouse_dirs(layout))}, "staging left behind"
    reader = LakeLayout(tmp_path / "lake", tmp_path / "reader-node")
    with open_published(reader) as conn:
        for table, rows in (
            ("gold.kpi_marketplace_daily", 1),
            ("silver.fact_booking_legs", 1),
            ("nrt.ops_dispute_queue", 0),
        ):
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (rows,), table
        assert conn.execute("SELECT count(*) FROM silver.dim_city").fetchone() == (6,)
        gmv = conn.execute("SELECT sum(gmv_cents) FROM gold.kpi_marketplace_daily").fetchone()
        assert gmv == (10_000,)
    assert result.nrt is not None
    assert result.nrt.freshness.newest_occurred_at is not None


def _nrt_files(layout: LakeLayout) -> set[str]:
    return {
        p.relative_to(layout.root).as_posix()
        for p in (layout.root / "warehouse" / "nrt").glob("*.duckdb")
    }


def test_reading_before_anything_is_published_is_a_coded_error(layout: LakeLayout) -> None:
    with pytest.raises(RastupError) as error:
        open_published(layout)
    assert error.value.code is ErrorCode.QUERY_INVALID
    assert "rastup-data build" in error.value.message


def test_descending_date_range_is_rejected(layout: LakeLayout) -> None:
    from datetime import date

    with pytest.raises(RastupError) as error:
        build(layout, BuildOptions(start=date(2026, 1, 5), end=date(2026, 1, 4)))
    assert error.value.code is ErrorCode.CONFIG_INVALID


def _touch(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_bytes(b"x")
    return path


def _pointer(root: Path) -> PointerDir:
    return PointerDir(LocalStorage(root), "files", "CURRENT", root / "work" / "_staging.duckdb")


def test_garbage_collection_keeps_three_and_never_the_current(tmp_path: Path) -> None:
    pointer = _pointer(tmp_path)
    files = tmp_path / "files"
    files.mkdir()
    names = [f"2026010{i}T000000000000Z-aaaaaa.duckdb" for i in range(1, 7)]
    for name in names:
        _touch(files, name)
    _touch(files, "_staging.duckdb")
    pointer.store.write_pointer(pointer.pointer, names[0])
    removed = pointer.collect_garbage(keep=3)
    left = sorted(p.name for p in files.glob("*.duckdb"))
    assert left == sorted([names[0], *names[3:], "_staging.duckdb"])
    assert sorted(removed) == [f"files/{n}" for n in names[1:3]]
    assert pointer.current() == str(files / names[0])


def test_pointer_is_replaced_atomically_and_ignores_bad_content(tmp_path: Path) -> None:
    pointer = _pointer(tmp_path)
    assert pointer.current() is None
    pointer.staging.parent.mkdir()
    staged = _touch(pointer.staging.parent, pointer.staging.name)
    final = pointer.publish(staged, "20260101T000000000000Z-abcdef")
    assert pointer.current() == final
    assert final == str(tmp_path / "files" / "20260101T000000000000Z-abcdef.duckdb")
    assert not staged.exists()
    assert not os.access(final, os.W_OK) or os.geteuid() == 0
    assert [p.name for p in tmp_path.rglob("*") if p.name.endswith(".tmp")] == []
    (tmp_path / "CURRENT").write_text("../escape.duckdb\n")
    assert pointer.current() is None
