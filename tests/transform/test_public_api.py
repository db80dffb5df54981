"""The curated public names of the transform and serving packages."""

from __future__ import annotations

import rastup_data.serving as serving
import rastup_data.transform as transform


def test_transform_public_names() -> None:
    assert sorted(transform.__all__) == [
        "BuildEvent",
        "BuildFailed",
        "BuildOptions",
        "BuildResult",
        "CheckFailure",
        "GateOutcome",
        "NodeOutcome",
        "NrtFreshness",
        "NrtMode",
        "NrtResult",
        "PublishedFiles",
        "build",
        "dbt_project_dir",
        "installed_parse_manifest",
        "open_published",
        "prepare_build",
        "published_files",
        "read_nrt_freshness",
        "refresh_nrt",
    ]
    assert all(hasattr(transform, name) for name in transform.__all__)


def test_serving_public_names() -> None:
    assert sorted(serving.__all__) == [
        "QueryResult",
        "TableInfo",
        "list_tables",
        "open_published",
        "render",
        "run_query",
    ]
    assert serving.open_published is transform.open_published
