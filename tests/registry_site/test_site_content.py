"""What the generated site holds: a page per event and model, usage, changelog, tags."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from rastup_data.cli import cli
from rastup_data.contracts import load_registry
from rastup_data.contracts.loader import DEFAULT_REGISTRY_PATH
from rastup_data.registry_site import SiteOptions, build_site, current_site
from rastup_data.registry_site.content import Usage
from rastup_data.registry_site.site import collect_content
from rastup_data.transform.manifest import DbtProject, build_manifest_path, load_manifest


@pytest.fixture(scope="module")
def project(built_lake: Any) -> DbtProject:
    return load_manifest(build_manifest_path(built_lake.layout))


def test_cli_writes_a_page_per_event_and_model(built_lake: Any, tmp_path: Path) -> None:
    out = tmp_path / "site"
    result = CliRunner().invoke(
        cli, ["registry", "build", "--out", str(out), "--lake", str(built_lake.root)]
    )
    assert result.exit_code == 0, result.output
    events = {s.event for s in load_registry()}
    assert {p.stem for p in (out / "events").glob("*.html")} == events | {"index"}
    project = load_manifest(build_manifest_path(built_lake.layout))
    assert {p.stem for p in (out / "models").glob("*.html")} == {
        m.relation for m in project.models.values()
    } | {"index"}
    index = json.loads((out / "search-index.json").read_text())
    assert {e["n"] for e in index if e["k"] == "event"} == events
    assert (out / "assets" / "search.js").is_file()
    assert f"wrote {len(events) + len(project.models) + 6} pages" in result.output
    assert "note:" not in result.stderr


def test_cli_says_what_it_left_out(built_lake: Any, tmp_path: Path) -> None:
    """A definition that does not load is left out of the site (it is served too), and the
    command says so instead of reporting a clean build."""
    repo = Path(__file__).parents[2]
    shutil.copytree(repo / "experiments", tmp_path / "experiments")
    shutil.copytree(repo / "metrics", tmp_path / "metrics")
    broken = tmp_path / "experiments" / "broken.yaml"
    broken.write_text("key: broken\nvariants: [control, treatment\n")
    result = CliRunner().invoke(
        cli,
        [
            *("registry", "build", "--out", str(tmp_path / "site")),
            *("--lake", str(built_lake.root), "--experiments", str(tmp_path / "experiments")),
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"note: experiments skipped: {broken}: not valid YAML" in result.stderr
    assert "wrote " in result.stdout


def test_used_by_follows_metrics_into_experiments(project: DbtProject) -> None:
    content = collect_content(SiteOptions(project=project))
    fact_bookings = project.by_name("fact_bookings")
    assert fact_bookings is not None
    users = {(u.user_kind, u.user_name) for u in content.used_by("model", fact_bookings.unique_id)}
    assert ("metric", "booking_conversion") in users
    assert ("experiment", "search_ranking_v2") in users
    assert ("experiment", "checkout_copy") in users  # via its secondary metric
    by_metric = {(u.user_kind, u.user_name) for u in content.used_by("metric", "refund_rate")}
    assert by_metric == {("experiment", "search_ranking_v2")}
    exposure = {u.user_name for u in content.used_by("event", "exp.exposure")}
    assert exposure == {"search_ranking_v2", "checkout_copy"}
    booking = next(e for e in content.events if e.name == "booking.confirmed")
    assert fact_bookings.unique_id in booking.read_by


def test_dashboards_are_indexed_from_any_yaml_shape(project: DbtProject, tmp_path: Path) -> None:
    folder = tmp_path / "dashboards"
    folder.mkdir()
    (folder / "exec.yaml").write_text(
        "title: Executive\ntiles:\n  - dataset: gold.kpi_marketplace_daily\n"
        "  - {metric: gmv_per_user, note: not a model}\n"
    )
    content = collect_content(SiteOptions(project=project, dashboards=folder))
    mart = project.by_name("gold.kpi_marketplace_daily")
    assert mart is not None
    assert Usage("dashboard", "Executive", "model", mart.unique_id, "tile") in content.usages
    assert Usage("dashboard", "Executive", "metric", "gmv_per_user", "tile") in content.usages


def test_changelog_and_tags_come_from_the_schemas(project: DbtProject, tmp_path: Path) -> None:
    registry = tmp_path / "registry"
    shutil.copytree(DEFAULT_REGISTRY_PATH, registry)
    v1 = registry / "events" / "payout.paid" / "v1.json"
    schema = orjson.loads(v1.read_bytes())
    schema["$id"] = schema["$id"].replace("v1.json", "v2.json")
    schema["properties"]["paid_by"] = {"type": "string", "description": "Rail.", "x-tags": ["ops"]}
    schema["required"].append("paid_by")
    del schema["properties"]["currency"]
    schema["required"].remove("currency")
    (v1.parent / "v2.json").write_bytes(orjson.dumps(schema))
    content = collect_content(SiteOptions(project=project, registry=registry))
    entry = next(e for e in content.events if e.name == "payout.paid")
    assert [v.version for v in entry.versions] == [1, 2]
    newest = entry.changelog[0]
    assert newest.version == 2
    assert "Added field `paid_by`." in newest.changes
    assert "Removed field `currency`." in newest.changes
    assert any("required_added" in c for c in newest.changes)
    tags = {f.name: f.tags for f in entry.latest.fields}
    assert tags["amount_cents"] == ("financial",)
    assert tags["paid_by"] == ("ops",)
    envelope = {f.name: f.tags for f in content.envelope_fields}
    assert envelope["user_id"] == ("pii",)
    assert envelope["anon_id"] == ("pii",)


def test_the_build_refreshed_the_lakes_site(built_lake: Any, project: DbtProject) -> None:
    site = current_site(built_lake.layout)
    assert site is not None
    for model in project.models.values():
        assert (site / "models" / f"{model.relation}.html").is_file()
    mart = (site / "models" / "gold.kpi_trust_daily.html").read_text()
    assert "idv_pass_rate" in mart
    # Column tags come from schema.yml (meta: {tags: [...]}) through the manifest.
    market = project.by_name("kpi_marketplace_daily")
    assert market is not None
    tagged = {c.name: c.tags for c in market.columns}
    assert "financial" in tagged["gmv_cents"]
    page = (site / "models" / "gold.kpi_marketplace_daily.html").read_text()
    row = page[page.index("<code>gmv_cents</code>") :].split("</tr>", 1)[0]
    assert 'class="tag tag-financial"' in row


def test_a_site_without_a_manifest_still_lists_events(tmp_path: Path) -> None:
    result = build_site(SiteOptions(project=None), tmp_path / "site")
    assert result.models == 0
    assert result.events == len({s.event for s in load_registry()})
    assert "no dbt manifest" in (tmp_path / "site" / "index.html").read_text()


def test_serve_regenerates_a_missing_site_from_the_last_build(
    built_lake: Any, tmp_path: Path
) -> None:
    from rastup_data.collector.routes.registry import _site_folder
    from rastup_data.lake.layout import LakeLayout

    lake = tmp_path / "lake"
    shutil.copytree(built_lake.root, lake)
    layout = LakeLayout(lake)
    old = current_site(layout)
    assert old is not None
    shutil.rmtree(old.parent.parent)  # the whole registry folder of the node
    assert current_site(layout) is None
    site = _site_folder(layout)
    assert (site / "models" / "gold.kpi_marketplace_daily.html").is_file()
