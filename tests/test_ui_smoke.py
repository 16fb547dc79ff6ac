"""The served page in a real headless Chromium."""

from __future__ import annotations

import json

import pytest

from dashboard.view.text import format_kpi
from geo.kpis import KPI_LABELS
from tests.conftest import browser_open, browser_sign_in, text_of

pytestmark = pytest.mark.browser

#: These two depend on "now", which moves between the API call and the page's.
CLOCK_DEPENDENT = {"overdue_open", "on_time_rate"}


def test_kpi_cards_show_the_api_numbers(dash_duo, seeded_sqlite_path, make_app, tmp_path):
    app = make_app(f"sqlite:///{seeded_sqlite_path}")
    dash_duo.start_server(app, navigate=False)
    browser_sign_in(dash_duo, app)
    with browser_open(dash_duo, "/api/kpis") as r:
        api = json.load(r)
    for key in KPI_LABELS:
        if key not in CLOCK_DEPENDENT:
            dash_duo.wait_for_text_to_equal(
                f"#kpi-{key} .kpi-value", format_kpi(key, api["kpis"][key]), timeout=15
            )
    assert "数据截至" in text_of(dash_duo, "#data-as-of")
    assert "OpenStreetMap" in text_of(dash_duo, ".footer")
    dash_duo.driver.save_screenshot(str(tmp_path / "page.png"))
    assert dash_duo.get_logs() == []
