"""Every engine's output parses in its own dialect and defines exactly the catalogue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
import sqlglot
from sqlglot import exp

from rastup_data.catalog import DdlOptions, load_datasets, render_ddl
from rastup_data.catalog.engines._base import HIVE_TYPES
from rastup_data.catalog.engines.trino import TRINO_TYPES
from rastup_data.transform.manifest import DbtProject, project_manifest

LOCATION = "s3://rastup-lake/prod"
DIALECTS = {"athena": "athena", "spark": "spark", "trino": "trino"}


@pytest.fixture(scope="module")
def project(built_lake: Any) -> DbtProject:
    return project_manifest(built_lake.layout)


def _tables(sql: str, dialect: str) -> dict[str, exp.Create]:
    statements = sqlglot.parse(sql, read=dialect, error_level=sqlglot.ErrorLevel.RAISE)
    tables: dict[str, exp.Create] = {}
    for statement in statements:
        assert statement is not None
        if isinstance(statement, exp.Command):
            # Partition discovery statements sqlglot keeps as commands.
            assert statement.sql(dialect).upper().startswith(("MSCK REPAIR TABLE", "CALL")), (
                statement.sql(dialect)
            )
            continue
        assert isinstance(statement, exp.Create), statement.sql(dialect)
        if statement.kind == "TABLE":
            table = (
                statement.this.this if isinstance(statement.this, exp.Schema) else statement.this
            )
            tables[f"{table.db}.{table.name}"] = statement
    return tables


def _columns(create: exp.Create, dialect: str) -> list[tuple[str, str]]:
    schema = create.this
    assert isinstance(schema, exp.Schema)
    return [
        (col.name, col.args["kind"].sql(dialect))
        for col in schema.expressions
        if isinstance(col, exp.ColumnDef)
    ]


@pytest.mark.parametrize("engine", sorted(DIALECTS))
def test_sql_engines_parse_and_define_every_dataset(engine: str, project: DbtProject) -> None:
    dialect = DIALECTS[engine]
    sql = render_ddl(engine, project, DdlOptions(location=LOCATION))
    tables = _tables(sql, dialect)
    datasets = load_datasets(project)
    expected = {f"rastup_{d.layer}.{d.name}" for d in datasets}
    assert set(tables) == expected
    assert {"rastup_bronze.events", "rastup_bronze.quarantine"} <= expected
    assert {n for n in expected if n.startswith("rastup_gold.")} == {
        f"rastup_gold.{m.alias}" for m in project.in_schema("gold")
    }
    for dataset in datasets:
        create = tables[f"rastup_{dataset.layer}.{dataset.name}"]
        columns = _columns(create, dialect)
        names = [name for name, _ in columns]
        data_names = [c.name for c in dataset.columns]
        if engine == "athena":  # Hive DDL keeps partition keys out of the column list
            assert names == data_names
        else:
            assert names == data_names + [p.name for p in dataset.partitions]
        types = TRINO_TYPES if engine == "trino" else HIVE_TYPES
        for (_, parsed), column in zip(columns, dataset.columns, strict=False):
            want = exp.DataType.build(types[column.type], dialect=dialect).sql(dialect)
            assert parsed == want, (dataset.name, column.name)
        assert f"{LOCATION}/{dataset.path}/" in create.sql(dialect)


def test_athena_projects_bronze_partitions_instead_of_repairing(project: DbtProject) -> None:
    sql = render_ddl(
        "athena", project, DdlOptions(location=LOCATION, projection_start="2025-06-01")
    )
    tables = _tables(sql, "athena")
    events = tables["rastup_bronze.events"].sql("athena")
    assert "PARTITIONED BY (`dt` STRING" in events
    assert "'projection.dt.range'='2025-06-01,NOW'" in events
    assert f"'storage.location.template'='{LOCATION}/bronze/events/dt=${{dt}}/'" in events
    gold = tables["rastup_gold.kpi_marketplace_daily"].sql("athena")
    assert "projection" not in gold
    assert "PARTITIONED" not in gold
    assert "MSCK" not in sql


def test_glue_table_input_json(project: DbtProject) -> None:
    document = orjson.loads(render_ddl("glue", project, DdlOptions(location=LOCATION)))
    databases = {d["DatabaseInput"]["Name"] for d in document["databases"]}
    tables = {
        (t["DatabaseName"], t["TableInput"]["Name"]): t["TableInput"] for t in document["tables"]
    }
    assert {db for db, _ in tables} == databases
    events = tables[("rastup_bronze", "events")]
    assert events["TableType"] == "EXTERNAL_TABLE"
    assert events["PartitionKeys"] == [
        {"Name": "dt", "Type": "string", "Comment": "UTC date of received_at (YYYY-MM-DD)."}
    ]
    assert events["Parameters"]["projection.dt.type"] == "date"
    assert events["StorageDescriptor"]["Location"] == f"{LOCATION}/bronze/events/"
    assert events["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"].endswith(
        "ParquetHiveSerDe"
    )
    for table in tables.values():
        for column in table["StorageDescriptor"]["Columns"] + table["PartitionKeys"]:
            # Glue column types are Hive type strings.
            assert (
                exp.DataType.build(column["Type"], dialect="hive").sql("hive")
                == column["Type"].upper()
            )


def test_trino_escapes_quotes_in_comments(project: DbtProject, tmp_path: Path) -> None:
    spec = tmp_path / "datasets.yaml"
    spec.write_text(
        "datasets:\n"
        "  - layer: extracts\n"
        "    name: odd\n"
        '    description: "it\'s a \\\\ test"\n'
        "    path: extracts/odd\n"
        '    columns: [{name: a, type: varchar, description: "don\'t"}]\n'
    )
    for engine, dialect in DIALECTS.items():
        sql = render_ddl(engine, project, DdlOptions(location=LOCATION), spec)
        create = _tables(sql, dialect)["rastup_extracts.odd"]
        comments = [c.this.this for c in create.find_all(exp.SchemaCommentProperty)]
        assert comments == ["it's a \\ test"], engine
