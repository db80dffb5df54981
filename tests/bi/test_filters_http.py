"""Dashboard filters over HTTP: a date no trend can be computed for is a coded 400."""

from __future__ import annotations

import httpx
import pytest

from .conftest import DashboardSite


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("from=0001-01-01", "from=0001-01-01 is not between 1900 and 9998"),
        ("from=2026-01-01&to=0001-01-02", "to=0001-01-02 is not between 1900 and 9998"),
        ("from=1899-12-31&to=1900-01-05", "from=1899-12-31 is not between 1900 and 9998"),
        ("to=9999-12-31", "to=9999-12-31 is not between 1900 and 9998"),
    ],
)
@pytest.mark.parametrize("tile", ["executive/tiles/gmv.json", "executive/tiles/gmv.csv"])
def test_a_date_out_of_range_is_a_coded_400_not_a_500(
    dashboard_site: DashboardSite, tile: str, query: str, says: str
) -> None:
    """from=0001-01-01 was a 500: the trend's prior period started before year 1."""
    answer = httpx.get(
        f"{dashboard_site.url}/dashboards/{tile}?{query}",
        headers={"Authorization": f"Bearer {dashboard_site.admin}"},
        timeout=60,
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == {"code": "DASHBOARD_FILTER_INVALID", "message": says}


def test_the_newest_days_still_answer(dashboard_site: DashboardSite) -> None:
    site = dashboard_site
    answer = httpx.get(
        f"{site.url}/dashboards/executive/tiles/gmv.csv?from={site.first_day}&to={site.last_day}",
        headers={"Authorization": f"Bearer {site.admin}"},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    assert answer.text.splitlines()[0] == "dt,gmv_cents"
