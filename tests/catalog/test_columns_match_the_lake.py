"""The external tables describe the files the platform really writes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from rastup_data.catalog import LogicalType, export_gold, load_datasets
from rastup_data.catalog.bronze import BRONZE_BAD_COLUMNS, BRONZE_EVENTS_COLUMNS
from rastup_data.catalog.datasets import Dataset, pin_snapshots
from rastup_data.storage import LocalStorage
from rastup_data.transform import open_published
from rastup_data.transform.manifest import project_manifest

ARROW: dict[LogicalType, Any] = {
    LogicalType.STRING: pa.string(),
    LogicalType.INTEGER: pa.int32(),
    LogicalType.BIGINT: pa.int64(),
    LogicalType.DOUBLE: pa.float64(),
    LogicalType.BOOLEAN: pa.bool_(),
    LogicalType.DATE: pa.date32(),
}


def _matches(arrow_type: Any, logical: LogicalType) -> bool:
    if logical is LogicalType.TIMESTAMP:
        return bool(pa.types.is_timestamp(arrow_type))
    return bool(arrow_type == ARROW[logical])


@pytest.mark.parametrize(
    ("folder", "columns"),
    [("events", BRONZE_EVENTS_COLUMNS), ("_bad", BRONZE_BAD_COLUMNS)],
)
def test_bronze_columns_are_the_landed_parquet_schema(
    built_lake: Any, folder: str, columns: Any
) -> None:
    files = sorted((built_lake.layout.bronze / folder).glob("dt=*/*.parquet"))
    assert files, "the simulated lake lands events and quarantines malformed ones"
    for file in files[:3]:
        schema = pq.read_schema(file)
        assert schema.names == [c.name for c in columns], file
        for column in columns:
            assert _matches(schema.field(column.name).type, column.type), (file, column)


def test_every_gold_column_declares_the_type_the_build_produces(built_lake: Any) -> None:
    project = project_manifest(built_lake.layout)
    with open_published(built_lake.layout) as conn:
        built = {
            (table, column): data_type.lower()
            for table, column, data_type in conn.execute(
                "SELECT table_name, column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'gold' AND table_catalog = 'warehouse'"
            ).fetchall()
        }
    declared = {
        (model.alias, column.name): column.data_type
        for model in project.in_schema("gold")
        for column in model.columns
    }
    assert declared == built


def test_exported_gold_parquet_has_the_declared_columns_and_rows(
    built_lake: Any, tmp_path: Path
) -> None:
    project = project_manifest(built_lake.layout)
    datasets = load_datasets(project)
    tables = export_gold(built_lake.layout, datasets, tmp_path)
    gold = [d for d in datasets if d.layer == "gold"]
    assert sorted(t.name for t in tables) == sorted(d.name for d in gold)
    with open_published(built_lake.layout) as conn:
        for dataset in gold:
            file = tmp_path / dataset.path / "part-00000.parquet"
            table = pq.read_table(file)
            assert table.schema.names == [c.name for c in dataset.columns]
            for column in dataset.columns:
                assert _matches(table.schema.field(column.name).type, column.type), column
            row = conn.execute(f"SELECT count(*) FROM gold.{dataset.name}").fetchone()
            assert row is not None
            assert table.num_rows == row[0]
    assert not list(tmp_path.rglob(".*.tmp"))


def test_every_model_tagged_extract_becomes_an_extract_table(built_lake: Any) -> None:
    project = project_manifest(built_lake.layout)
    extracts = {d.name: d for d in load_datasets(project) if d.layer == "extracts"}
    assert sorted(extracts) == [
        "ds_comms",
        "ds_kpi_marketplace",
        "ds_ops_health",
        "ds_promotions",
        "ds_studios",
        "ds_trust",
    ]
    assert extracts["ds_trust"].path == "extracts/ds_trust"
    assert [c.name for c in extracts["ds_trust"].columns][:2] == ["dt", "city"]


def test_an_extract_published_by_snapshot_points_at_its_current_one(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    plain = Dataset("gold", "kpi", "gold/kpi", ())
    extract = Dataset("extracts", "ds_x", "extracts/ds_x", ())
    assert pin_snapshots([plain, extract], store) == (plain, extract)
    store.write_pointer("extracts/ds_x/CURRENT", "20261101T000000000000Z-abcdef")
    pinned = pin_snapshots([plain, extract], store)
    assert pinned[0] == plain
    assert pinned[1].path == "extracts/ds_x/20261101T000000000000Z-abcdef"
