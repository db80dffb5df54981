"""The lake's copy of the site: a new generation only when its pages would change."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from rastup_data.lake.layout import LakeLayout
from rastup_data.registry_site import SiteOptions, current_site, lake_site, refresh_lake_site
from rastup_data.registry_site.lake_site import content_digest
from rastup_data.registry_site.site import render_site


def _generations(layout: LakeLayout) -> list[str]:
    root = layout.work.path("registry/sites")
    return sorted(p.name for p in root.iterdir()) if root.is_dir() else []


def test_the_generation_time_is_not_part_of_the_content() -> None:
    options = SiteOptions(project=None, generated_at="2026-01-01 00:00 UTC")
    later = replace(options, generated_at="2026-01-02 09:30 UTC")
    first, second = render_site(options), render_site(later)
    assert first.files != second.files  # the footers differ
    assert content_digest(first, options.generated_at) == content_digest(second, later.generated_at)


def test_a_refresh_with_nothing_new_keeps_the_current_generation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout = LakeLayout(tmp_path / "lake")
    first = refresh_lake_site(layout, None)
    assert _generations(layout) == [first.path.name]
    stamps = iter(["2026-01-02 09:30 UTC", "2026-01-03 10:00 UTC"])
    original = lake_site.SiteOptions

    def later_options(**kwargs: object) -> SiteOptions:
        return replace(original(**kwargs), generated_at=next(stamps))  # type: ignore[arg-type]

    monkeypatch.setattr(lake_site, "SiteOptions", later_options)
    again = refresh_lake_site(layout, None)
    assert again.path == first.path
    assert _generations(layout) == [first.path.name]
    assert current_site(layout) == first.path


def test_new_content_or_an_unmarked_generation_makes_a_new_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout = LakeLayout(tmp_path / "lake")
    first = refresh_lake_site(layout, None)
    (first.path / ".content-digest").unlink()  # written before generations kept a digest
    second = refresh_lake_site(layout, None)
    assert second.path != first.path
    assert current_site(layout) == second.path

    real_render = lake_site.render_site

    def changed(options: SiteOptions):  # type: ignore[no-untyped-def]
        site = real_render(options)
        site.files["index.html"] += b"<!-- a new model -->"
        return site

    monkeypatch.setattr(lake_site, "render_site", changed)
    third = refresh_lake_site(layout, None)
    assert third.path not in {first.path, second.path}
    assert current_site(layout) == third.path
    assert (third.path / "index.html").read_bytes().endswith(b"<!-- a new model -->")
