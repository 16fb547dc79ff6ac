"""The command-center page in a real headless Chromium: numbers, drill-down, history, filters."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from dashboard.view.text import format_kpi
from geo.kpis import KPI_LABELS
from tests.conftest import browser_open, browser_sign_in, text_of, wait_until

pytestmark = pytest.mark.browser

#: Seeded data covers 2026-09-21 … 2026-11-20; this window sits inside it.
WINDOW = "from=2026-10-21&to=2026-11-21"
QUIET = "layers=grids,boundaries"  # no worker markers over the polygons we click
#: Depend on "now", which moves between the API call and the page's.
CLOCK_DEPENDENT = {"overdue_open", "on_time_rate"}


def api(duo, path: str) -> dict:
    with browser_open(duo, path) as r:
        return json.load(r)



def settled(element, pause: float = 0.4) -> bool:
    """True when the element has not moved or resized over ``pause`` seconds."""
    before = element.rect
    time.sleep(pause)
    return element.rect == before


#: Notes when the units pane last changed, so a click can wait for it to be quiet.
QUIET_WATCH = """
  window.unitsChanged = Date.now();
  new MutationObserver(() => { window.unitsChanged = Date.now(); })
    .observe(document.querySelector('.leaflet-units-pane'), {childList: true, subtree: true, attributes: true});
"""


def smallest_street(duo):
    paths = duo.driver.find_elements(By.CSS_SELECTOR, 'path[stroke="#33475b"], path[stroke="#0b3d91"]')
    return min(paths, key=lambda p: p.size["width"] * p.size["height"])


def search_params(duo) -> dict:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlparse(duo.driver.current_url).query))


def assert_cards_match(duo, query: str) -> None:
    doc = api(duo, f"/api/kpis?{query}")
    for key in KPI_LABELS:
        if key not in CLOCK_DEPENDENT:
            duo.wait_for_text_to_equal(f"#kpi-{key} .kpi-value", format_kpi(key, doc["kpis"][key]), timeout=20)
    duo.wait_for_contains_text("#scope-title", doc["name"], timeout=20)


def test_cards_match_the_api_and_no_console_errors(dashboard):
    dashboard.driver.get(f"{dashboard.server_url}/?{WINDOW}")
    assert_cards_match(dashboard, WINDOW)
    dashboard.wait_for_contains_text("#breadcrumbs", "崂山区", timeout=20)
    # All 863 grid polygons are drawn (coloured by the default metric).
    wait_until(dashboard, lambda: len(dashboard.driver.find_elements(By.CSS_SELECTOR, ".leaflet-grids-pane path")) == 863)
    # The base map's own shapes (land, neighbouring districts) and the scope outline take no pointer:
    # no hand cursor over something that does nothing when clicked.
    for pane in ("vector-base", "outline"):
        drawn = dashboard.driver.find_elements(By.CSS_SELECTOR, f".leaflet-{pane}-pane path")
        assert drawn and not [p for p in drawn if "leaflet-interactive" in (p.get_attribute("class") or "")], pane
    assert text_of(dashboard, "#map-legend").startswith("网格着色")
    assert dashboard.driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    assert dashboard.get_logs() == []


def test_click_a_street_drills_in_and_back_returns(dashboard):
    dashboard.driver.get(f"{dashboard.server_url}/?{WINDOW}&{QUIET}")
    assert_cards_match(dashboard, WINDOW)
    dashboard.wait_for_element('path[stroke="#33475b"]', timeout=20)
    assert len(dashboard.driver.find_elements(By.CSS_SELECTOR, 'path[stroke="#33475b"]')) == 5
    # The smallest street outline: its box centre lies inside it. Point at it, then click once the map
    # has stopped moving (the initial fit animates) and the hover has restyled the outlines, as a person
    # would: dash-leaflet sometimes redraws the layer on the first hover, and a click landing in that
    # redraw is lost.
    target = smallest_street(dashboard)
    wait_until(dashboard, lambda: settled(target))
    dashboard.driver.execute_script(QUIET_WATCH)
    ActionChains(dashboard.driver).move_to_element(target).perform()
    wait_until(dashboard, lambda: dashboard.driver.execute_script("return Date.now() - window.unitsChanged > 800"))
    target = smallest_street(dashboard)
    target.click()
    wait_until(dashboard, lambda: search_params(dashboard).get("scope") == "street", timeout=20)
    params = search_params(dashboard)
    assert params["from"] == "2026-10-21" and params["to"] == "2026-11-21"
    street = api(dashboard, f"/api/kpis?scope=street&id={params['id']}&{WINDOW}")
    assert_cards_match(dashboard, f"scope=street&id={params['id']}&{WINDOW}")
    dashboard.wait_for_contains_text("#breadcrumbs", street["name"])
    assert "崂山区" in text_of(dashboard, "#breadcrumbs")

    dashboard.driver.back()
    wait_until(dashboard, lambda: "scope" not in search_params(dashboard), timeout=20)
    assert_cards_match(dashboard, WINDOW)
    assert street["name"] not in text_of(dashboard, "#breadcrumbs")
    assert dashboard.get_logs() == []


def test_deep_link_opens_the_scope(dashboard):
    query = f"scope=community&id=370212002001&{WINDOW}"
    dashboard.driver.get(f"{dashboard.server_url}/?{query}")
    assert_cards_match(dashboard, query)
    crumbs = text_of(dashboard, "#breadcrumbs")
    assert "崂山区" in crumbs and "沙子口街道" in crumbs


def test_grid_level_shows_profile_appeals_and_timeline(dashboard):
    grid = "370212001001001"
    dashboard.driver.get(f"{dashboard.server_url}/?scope=grid&id={grid}&from=2026-09-21&to=2026-11-21")
    dashboard.wait_for_contains_text("#panel-grid-profile", "户数", timeout=20)
    first = '#panel-appeals .ag-center-cols-container .ag-row[row-index="0"] .ag-cell[col-id="title"]'
    cell = dashboard.wait_for_element(first, timeout=20)
    total = api(dashboard, f"/api/appeals?scope=grid&id={grid}&from=2026-09-21&to=2026-11-21&limit=1")["total"]
    assert total > 0
    assert "****" in text_of(dashboard, "#panel-appeals")  # phones masked
    cell.click()
    dashboard.wait_for_contains_text("#panel-timeline", "受理", timeout=20)


def test_a_filter_changes_kpis_and_heat(dashboard):
    dashboard.driver.get(f"{dashboard.server_url}/?{WINDOW}")
    assert_cards_match(dashboard, WINDOW)
    heat_before = dashboard.find_element("img.leaflet-image-layer").get_attribute("src")
    dashboard.find_element("#filter-kind").click()
    option = WebDriverWait(dashboard.driver, 10).until(
        lambda d: d.find_element(By.XPATH, "//*[@role='option' and contains(., '发展诉求')]")
    )
    option.click()
    wait_until(dashboard, lambda: search_params(dashboard).get("kind") == "development", timeout=20)
    assert_cards_match(dashboard, f"{WINDOW}&kind=development")
    wait_until(dashboard, lambda: dashboard.find_element("img.leaflet-image-layer").get_attribute("src") != heat_before, timeout=20)
    assert "kind=development" in dashboard.find_element("img.leaflet-image-layer").get_attribute("src")


@pytest.mark.parametrize("query", ["scope=street&id=99999", "scope=street&id=370212999", "metric=vibes"])
def test_a_forged_link_gets_a_message_not_a_crash(dashboard, query):
    dashboard.driver.get(f"{dashboard.server_url}/?{query}&{WINDOW}")
    dashboard.wait_for_contains_text("#error-banner", "链接参数有误", timeout=20)
    dashboard.wait_for_contains_text("#scope-title", "崂山区", timeout=20)
    assert "scope" not in search_params(dashboard)


def test_unreachable_tiles_leave_a_working_map(dash_duo, seeded_sqlite_path, make_app):
    """A tile server that refuses connections: the vector base, layers and panels still work."""
    app = make_app(
        f"sqlite:///{seeded_sqlite_path}",
        TILE_PROVIDERS="custom,vector-light",
        TILE_URL="http://127.0.0.1:9/{z}/{x}/{y}.png",  # port 9 (discard): nothing listens
    )
    dash_duo.start_server(app, navigate=False)
    browser_sign_in(dash_duo, app)
    dash_duo.driver.set_window_size(1600, 1000)
    dash_duo.driver.get(f"{dash_duo.server_url}/?{WINDOW}")
    assert_cards_match(dash_duo, WINDOW)
    wait_until(dash_duo, lambda: dash_duo.driver.find_elements(By.CSS_SELECTOR, ".leaflet-tile"))
    wait_until(dash_duo, lambda: len(dash_duo.driver.find_elements(By.CSS_SELECTOR, ".leaflet-grids-pane path")) == 863)
    assert dash_duo.driver.find_elements(By.CSS_SELECTOR, ".leaflet-vector-base-pane path")  # the base shows through
    # The only errors are the refused tile requests themselves.
    assert all("127.0.0.1:9/" in entry["message"] for entry in dash_duo.get_logs())
