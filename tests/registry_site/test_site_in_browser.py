"""The registry site in a real browser, served by `serve` at /registry: it renders, search
works, the dictionary filters, and every link and asset resolves without console errors."""

from __future__ import annotations

from typing import Any
from urllib.parse import urldefrag, urlparse

import httpx

from rastup_data.contracts import load_registry


def test_overview_renders_with_the_registry_counts(served_lake: str, browser_page: Any) -> None:
    page = browser_page.page
    response = page.goto(f"{served_lake}/registry")
    assert response is not None
    assert response.ok
    assert page.url == f"{served_lake}/registry/"
    assert page.locator("h1").inner_text() == "Overview"
    counts = dict(
        zip(
            page.locator(".card a").all_inner_texts(),
            [int(t) for t in page.locator(".card .count").all_inner_texts()],
            strict=True,
        )
    )
    assert counts["events"] == len({s.event for s in load_registry()})
    assert counts["metrics"] >= 5
    assert counts["models, seeds and sources"] > 25
    assert browser_page.errors == []


def test_search_finds_columns_events_and_metrics(served_lake: str, browser_page: Any) -> None:
    page = browser_page.page
    page.goto(f"{served_lake}/registry/events/index.html")
    page.fill("#site-search", "gmv_cents")
    results = page.locator("#search-results li a")
    results.first.wait_for()
    texts = results.all_inner_texts()
    assert texts
    assert all("gmv_cents" in t or "gmv" in t.lower() for t in texts[:1])
    page.fill("#site-search", "payout paid")
    page.locator("#search-results li a", has_text="payout.paid").first.click()
    page.wait_for_url("**/events/payout.paid.html")
    assert page.locator("h1").inner_text() == "payout.paid"
    page.fill("#site-search", "zzznotathing")
    assert "No match" in page.locator("#search-results").inner_text()
    page.fill("#site-search", "booking conversion")
    page.keyboard.press("Enter")
    page.wait_for_url("**/metrics/index.html#metric-booking_conversion")
    assert page.locator("#metric-booking_conversion").is_visible()
    assert browser_page.errors == []


def test_dictionary_filter_keeps_only_matching_rows(served_lake: str, browser_page: Any) -> None:
    page = browser_page.page
    page.goto(f"{served_lake}/registry/dictionary.html")
    total = page.locator("#dictionary tbody tr").count()
    assert int(page.locator("#dictionary-count").inner_text()) == total
    page.fill("#dictionary-filter", "amount_cents financial")
    visible = page.locator("#dictionary tbody tr:visible")
    shown = visible.count()
    assert 0 < shown < total
    assert int(page.locator("#dictionary-count").inner_text()) == shown
    for text in visible.all_inner_texts():
        assert "amount_cents" in text
        assert "financial" in text
    assert browser_page.errors == []


def test_every_link_and_asset_resolves(served_lake: str, browser_page: Any) -> None:
    page = browser_page.page
    base = f"{served_lake}/registry/"
    queue, seen = [base + "index.html"], set()
    assets: set[str] = set()
    anchors: set[tuple[str, str]] = set()
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        response = page.goto(url, wait_until="domcontentloaded")
        assert response is not None
        assert response.status == 200, url
        links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        assets.update(
            page.eval_on_selector_all(
                "link[rel=stylesheet], script[src]", "els => els.map(e => e.href || e.src)"
            )
        )
        for link in links:
            target, fragment = urldefrag(link)
            assert urlparse(target).netloc == urlparse(base).netloc, (url, link)
            assert target.startswith(base), (url, link)
            if fragment:
                anchors.add((target, fragment))
            if target not in seen:
                queue.append(target)
    assert len(seen) > 60
    with httpx.Client() as client:
        for asset in assets:
            assert client.get(asset).status_code == 200, asset
        for target, fragment in anchors:
            assert f'id="{fragment}"' in client.get(target).text, (target, fragment)
    assert browser_page.errors == []


def test_paths_outside_the_site_are_refused(served_lake: str) -> None:
    with httpx.Client(base_url=served_lake) as client:
        for path in ("/registry/%2e%2e/CURRENT", "/registry/.hidden", "/registry/nope.html"):
            response = client.get(path)
            assert response.status_code == 404, path
