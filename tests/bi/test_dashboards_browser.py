"""The six dashboards in a real browser (Debian's Chromium through Playwright) over a served
lake: every tile renders with data and no console error, the numbers equal the simulator's
golden marts, filters change them, each CSV is its tile's table, a city-scoped analyst sees
only their city, an expired token goes back to sign-in, live tiles refresh in place."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from .conftest import DashboardSite

BOARDS = ("executive", "city_ops", "trust", "finance", "growth", "comms")
ARTEFACTS = Path(__file__).parents[2] / "test-artifacts" / "dashboards"


@pytest.fixture(autouse=True)
def _patient(browser_page: Any) -> None:
    """Pages load Plotly (3.5 MB) and run every tile's query: give a busy machine time."""
    browser_page.page.set_default_timeout(60_000)


def _sign_in(page: Any, site: DashboardSite, token: str) -> None:
    page.context.add_cookies([{"name": "rastup_session", "value": token, "url": site.url}])


def _headline(page: Any, tile: str) -> float:
    value = page.locator(f"#tile-{tile} .headline").get_attribute("data-value")
    assert value, f"{tile} has no number"
    return float(value)


def _marts(site: DashboardSite, mart: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = site.golden["marts"][mart]
    return rows


def _sum(rows: list[dict[str, Any]], *columns: str) -> float:
    return float(sum(row[c] or 0 for row in rows for c in columns))


def test_signing_in_with_the_form_opens_the_dashboards(
    dashboard_site: DashboardSite, browser_page: Any
) -> None:
    page = browser_page.page
    page.goto(dashboard_site.board("executive"))
    assert "/dashboards/sign-in" in page.url
    page.fill("input[name=token]", "rgt_wrong_secret")
    page.click("button[type=submit]")
    assert "AUTH_TOKEN_INVALID" in page.locator(".error").inner_text()
    page.fill("input[name=token]", dashboard_site.viewer)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboards/executive/**")
    assert page.locator("h1").inner_text() == "Executive"
    assert "exec-viewer (viewer)" in page.locator("header .who").inner_text()
    errors = [e for e in browser_page.errors if "401" not in e]
    assert errors == []


@pytest.mark.parametrize("board", BOARDS)
def test_every_tile_renders_with_data_and_no_console_error(
    dashboard_site: DashboardSite, browser_page: Any, board: str
) -> None:
    page = browser_page.page
    _sign_in(page, dashboard_site, dashboard_site.admin)
    response = page.goto(dashboard_site.board(board))
    assert response is not None
    assert response.ok
    tiles = page.locator("section.tile")
    assert tiles.count() >= 4
    for index in range(tiles.count()):
        tile = tiles.nth(index)
        name = tile.get_attribute("data-tile")
        assert "unavailable" not in (tile.get_attribute("class") or ""), name
        assert tile.locator("table.tile-data tbody tr").count() > 0, name
        assert tile.locator(".headline").inner_text() not in ("", "–"), name
        if tile.locator(".chart").count():
            tile.locator(".chart .main-svg").first.wait_for()
        assert tile.locator(".definition dd").count() > 0, name
        if tile.get_attribute("data-live-url") is None and name != "experiments":
            assert tile.locator(".as-of").inner_text().startswith("as of 20"), name
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{board}.png"), full_page=True)
    assert browser_page.errors == []


def test_tile_numbers_equal_the_golden_marts(
    dashboard_site: DashboardSite, browser_page: Any
) -> None:
    site, page = dashboard_site, browser_page.page
    _sign_in(page, site, site.admin)
    market = _marts(site, "gold.kpi_marketplace_daily")
    page.goto(site.board("executive"))
    assert _headline(page, "gmv") == _sum(market, "gmv_cents")
    assert _headline(page, "bookings") == _sum(market, "bookings")
    assert _headline(page, "take_rate") == pytest.approx(
        _sum(market, "platform_fee_cents") / _sum(market, "gmv_cents")
    )
    trust = _marts(site, "gold.kpi_trust_daily")
    page.goto(site.board("trust"))
    assert _headline(page, "idv_pass_rate") == pytest.approx(
        _sum(trust, "idv_passed") / _sum(trust, "idv_passed", "idv_failed")
    )
    assert _headline(page, "risk_buckets") == _sum(
        trust, "risk_watch", "risk_action", "risk_critical"
    )
    assert _headline(page, "dispute_outcomes") == _sum(
        _marts(site, "gold.kpi_disputes_daily"), "resolved"
    )
    recon = _marts(site, "gold.ops_recon_daily")
    page.goto(site.board("finance"))
    assert _headline(page, "recon_variance") == abs(
        _sum(recon, "charges_cents") - _sum(recon, "payouts_cents", "refunds_cents", "fees_cents")
    )
    backlog = _marts(site, "gold.ops_payout_backlog")
    assert _headline(page, "payout_backlog_live") == _sum(backlog, "payouts")
    comms = _marts(site, "gold.kpi_comms_daily")
    page.goto(site.board("comms"))
    assert _headline(page, "delivery_rate") == pytest.approx(
        _sum(comms, "delivered") / _sum(comms, "sent")
    )
    acceptance = _marts(site, "gold.ops_acceptance_daily")
    page.goto(site.board("city_ops"))
    assert _headline(page, "acceptance_rate") == pytest.approx(
        _sum(acceptance, "accepted_in_window") / _sum(acceptance, "requested")
    )
    promotions = _marts(site, "gold.kpi_promotions_daily")
    studios = _marts(site, "gold.kpi_studios_daily")
    page.goto(site.board("growth"))
    assert _headline(page, "promo_ctr") == pytest.approx(
        _sum(promotions, "clicks") / _sum(promotions, "impressions")
    )
    assert _headline(page, "studio_verification") == pytest.approx(
        _sum(studios, "verified") / _sum(studios, "verified", "verification_failed")
    )
    assert browser_page.errors == []


def test_filters_change_the_numbers(dashboard_site: DashboardSite, browser_page: Any) -> None:
    site, page = dashboard_site, browser_page.page
    _sign_in(page, site, site.admin)
    page.goto(site.board("executive"))
    everything = _headline(page, "gmv")
    page.fill("input[name=from]", site.last_day)
    page.click(".filters button[type=submit]")
    page.wait_for_url(f"**from={site.last_day}**")
    last_day = _headline(page, "gmv")
    market = _marts(site, "gold.kpi_marketplace_daily")
    assert last_day == _sum([r for r in market if r["dt"] == site.last_day], "gmv_cents")
    assert 0 < last_day < everything
    assert "vs prior period" in page.locator("#tile-gmv .change").inner_text()
    page.select_option("select[name=city]", "nyc")
    page.click(".filters button[type=submit]")
    page.wait_for_url("**city=nyc**")
    nyc = [r for r in market if r["dt"] == site.last_day and r["city"] == "nyc"]
    assert _headline(page, "gmv") == _sum(nyc, "gmv_cents") < last_day
    assert browser_page.errors == []


def test_each_csv_download_is_exactly_its_tiles_table(
    dashboard_site: DashboardSite, browser_page: Any
) -> None:
    site, page = dashboard_site, browser_page.page
    _sign_in(page, site, site.admin)
    for board in ("executive", "trust", "growth"):
        page.goto(site.board(board))
        for index in range(page.locator("section.tile").count()):
            tile = page.locator("section.tile").nth(index)
            link = tile.locator("a.csv")
            with page.expect_download() as download:
                link.click()
            text = Path(download.value.path()).read_text(encoding="utf-8")
            rows = list(csv.reader(io.StringIO(text)))
            # The table is inside a closed <details>: read its text, not what is shown.
            header = tile.locator("table.tile-data thead th").all_text_contents()
            body = [
                tr.locator("td").all_text_contents()
                for tr in tile.locator("table.tile-data tbody tr").all()
            ]
            assert rows == [header, *body], tile.get_attribute("data-tile")
    assert browser_page.errors == []


def test_an_nyc_analyst_never_sees_another_city(
    dashboard_site: DashboardSite, browser_page: Any
) -> None:
    site, page = dashboard_site, browser_page.page
    _sign_in(page, site, site.nyc)
    market = [r for r in _marts(site, "gold.kpi_marketplace_daily") if r["city"] == "nyc"]
    page.goto(site.board("executive"))
    assert _headline(page, "gmv") == _sum(market, "gmv_cents")
    assert page.locator("select[name=city] option").all_inner_texts() == ["All cities", "nyc"]
    acceptance = [r for r in _marts(site, "gold.ops_acceptance_daily") if r["city"] == "nyc"]
    for board in BOARDS:
        page.goto(site.board(board))
        for notice in page.locator(".tile.unavailable .notice").all_inner_texts():
            assert "scoped to nyc" in notice
        if board == "city_ops":
            assert page.locator(".tile.unavailable").count() == 4  # the live views
            assert _headline(page, "acceptance_rate") == pytest.approx(
                _sum(acceptance, "accepted_in_window") / _sum(acceptance, "requested")
            )
    response = page.goto(site.board("executive", city="lax"))
    assert response is not None
    assert response.ok
    # Asking for another city shows nothing: the gate filters every row to nyc first.
    assert page.locator("#tile-gmv .headline").get_attribute("data-value") == ""
    assert page.locator("#tile-gmv .headline").inner_text() == "–"
    assert page.locator("#tile-gmv table.tile-data tbody tr").count() == 0
    assert browser_page.errors == []


def test_an_expired_token_is_sent_to_sign_in(
    dashboard_site: DashboardSite, browser_page: Any
) -> None:
    site, page = dashboard_site, browser_page.page
    _sign_in(page, site, site.expired)
    page.goto(site.board("finance"))
    assert "/dashboards/sign-in" in page.url
    assert page.locator("input[name=token]").is_visible()
    csv_response = page.request.get(f"{site.url}/dashboards/finance/tiles/charges.csv")
    assert csv_response.status == 401
    assert csv_response.json()["error"]["code"] == "AUTH_TOKEN_INVALID"


def test_the_ops_console_refreshes_live_tiles_in_place(
    dashboard_site: DashboardSite, browser_page: Any
) -> None:
    site, page = dashboard_site, browser_page.page
    _sign_in(page, site, site.admin)
    page.goto(site.board("city_ops", every="2"))
    page.evaluate("window.__sameDocument = true")
    tile = page.locator("#tile-payout_backlog_live")
    before = tile.locator(".as-of").inner_text()
    page.wait_for_function(
        "Number(document.querySelector('#tile-payout_backlog_live').dataset.refreshed || 0) >= 2",
        timeout=60_000,
    )
    assert page.evaluate("window.__sameDocument") is True  # no reload
    assert tile.locator(".as-of").inner_text() != before
    assert _headline(page, "payout_backlog_live") == _sum(
        _marts(site, "gold.ops_payout_backlog"), "payouts"
    )
    assert browser_page.errors == []


def test_experiment_reports_are_under_the_same_sign_in(
    dashboard_site: DashboardSite, browser_page: Any
) -> None:
    site, page = dashboard_site, browser_page.page
    page.goto(f"{site.url}/dashboards/experiments/search_ranking_v2")
    assert "/dashboards/sign-in" in page.url
    _sign_in(page, site, site.admin)
    page.goto(site.board("growth"))
    page.locator("#tile-experiments a", has_text="search_ranking_v2").click()
    page.wait_for_url("**/dashboards/experiments/search_ranking_v2")
    assert page.locator("header .who").is_visible()
    assert "search_ranking_v2" in page.locator("main").inner_text()
    assert browser_page.errors == []
