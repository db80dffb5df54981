"""The governance package's curated names, and the column tags the policy relies on."""

from __future__ import annotations

from pathlib import Path

import yaml

import rastup_data.governance as governance
from rastup_data.governance.tags import load_column_tags
from rastup_data.lake.layout import LakeLayout
from rastup_data.transform import open_published
from rastup_data.transform.manifest import current_manifest_path

DBT = Path(__file__).parents[2] / "dbt" / "models"
IDENTIFIERS = {"user_id", "anon_id", "session_id", "provider_id", "subject_id", "resolved_unit_id"}


def test_public_names() -> None:
    assert sorted(governance.__all__) == [
        "AuditLog",
        "AuditRecord",
        "CostEstimate",
        "ErasedSubjects",
        "ExclusionSource",
        "Gate",
        "GatedConnection",
        "GatedResult",
        "Policy",
        "Principal",
        "QueryPath",
        "QueryPlan",
        "load_policy",
        "local_principal",
        "mask_value",
    ]
    assert all(hasattr(governance, name) for name in governance.__all__)


def test_every_identifier_of_a_person_is_tagged_pii_and_every_amount_financial() -> None:
    untagged = []
    for schema in DBT.rglob("*.yml"):
        document = yaml.safe_load(schema.read_text())
        for entry in [*document.get("models", []), *document.get("seeds", [])]:
            for column in entry.get("columns", []):
                tags = set((column.get("meta") or {}).get("tags") or ())
                name = column["name"]
                if name in IDENTIFIERS and "pii" not in tags:
                    untagged.append(f"{entry['name']}.{name} (pii)")
                if name.endswith("_cents") and "financial" not in tags:
                    untagged.append(f"{entry['name']}.{name} (financial)")
    assert not untagged


def test_every_published_column_is_documented_in_the_manifest(lake: LakeLayout) -> None:
    tags = load_column_tags(current_manifest_path(lake))
    with open_published(lake) as conn:
        rows = conn.execute(
            "SELECT database_name, schema_name, table_name, column_name FROM duckdb_columns() "
            "WHERE (database_name = 'warehouse' AND schema_name IN ('silver', 'gold')) "
            "OR (database_name = 'nrt' AND schema_name = 'main')"
        ).fetchall()
    missing = [
        f"{relation}.{column}"
        for database, schema, table, column in rows
        if column.lower()
        not in tags.get(relation := f"{'nrt' if database == 'nrt' else schema}.{table}", {})
    ]
    assert rows
    assert not missing
