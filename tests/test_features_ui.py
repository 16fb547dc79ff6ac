"""Search, 对比 and 回放 in a real headless Chromium, in one session: what a leader types, picks and plays."""

from __future__ import annotations

import json
import urllib.parse

import pytest
from selenium.webdriver.common.by import By

from dashboard.ui.compare_figures import kpi_text
from tests.conftest import browser_open, browser_sign_in, is_shown, text_of, wait_until

pytestmark = pytest.mark.browser

WINDOW = "from=2026-10-21&to=2026-11-21"


def api(duo, path: str) -> dict:
    with browser_open(duo, path) as r:
        return json.load(r)



def params(duo) -> dict:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlparse(duo.driver.current_url).query))


def search_and_open(duo, text: str, hit_text: str) -> None:
    box = duo.find_element("#search-input")
    box.clear()
    box.send_keys(text)
    duo.wait_for_contains_text("#search-results", hit_text, timeout=20)
    hit = next(h for h in duo.driver.find_elements(By.CSS_SELECTOR, ".search-hit") if hit_text in h.text)
    hit.click()


def test_search_compare_and_playback(dash_duo, seeded_sqlite_path, make_app):
    app = make_app(f"sqlite:///{seeded_sqlite_path}")
    dash_duo.start_server(app, navigate=False)
    browser_sign_in(dash_duo, app)
    dash_duo.driver.set_window_size(1600, 1000)
    duo = dash_duo

    # Search by pinyin initials: the community opens, window and filters kept, the list closes.
    duo.driver.get(f"{duo.server_url}/?{WINDOW}&kind=livelihood")
    duo.wait_for_contains_text("#scope-title", "崂山区", timeout=20)
    search_and_open(duo, "zhsq", "中韩社区")
    wait_until(duo, lambda: params(duo).get("id") == "370212001001")
    assert params(duo) == {"scope": "community", "id": "370212001001", "from": "2026-10-21", "to": "2026-11-21",
                           "kind": "livelihood"}
    duo.wait_for_contains_text("#scope-title", "中韩社区", timeout=20)
    wait_until(duo, lambda: not is_shown(duo, "#search-results"))

    # Search by appeal id: its grid opens with the appeal's timeline, department and note included.
    item = api(duo, f"/api/appeals?scope=street&id=370212001&{WINDOW}&status=closed&limit=1")["items"][0]
    search_and_open(duo, str(item["id"]), f"诉求 {item['id']}")
    wait_until(duo, lambda: params(duo).get("appeal") == str(item["id"]))
    assert params(duo)["id"] == item["grid_code"]
    duo.wait_for_contains_text("#panel-timeline", "承办部门：", timeout=20)
    duo.wait_for_contains_text("#panel-timeline", "办结", timeout=20)
    assert item["title"] in text_of(duo, "#panel-timeline")

    # 对比 from a link: the two streets' KPIs as the cards format them, one line each.
    duo.driver.get(f"{duo.server_url}/?{WINDOW}&compare=370212001,370212005")
    duo.wait_for_contains_text("#compare-table", "金家岭街道", timeout=20)
    kpis = {code: api(duo, f"/api/kpis?scope=street&id={code}&{WINDOW}")["kpis"] for code in ("370212001", "370212005")}
    row = duo.driver.find_elements(By.CSS_SELECTOR, "#compare-table tbody tr")[0].text
    assert row == f"受理量 {kpi_text('accepted', kpis['370212001']['accepted'])} " \
                  f"{kpi_text('accepted', kpis['370212005']['accepted'])}"
    traces = "return document.querySelector('#compare-trend .js-plotly-plot').data.map(t => t.name)"
    wait_until(duo, lambda: duo.driver.execute_script(traces) == ["中韩街道", "金家岭街道"])
    # Closing drops compare= from the URL; the rest of the view stays.
    duo.find_element("#compare-close").click()
    wait_until(duo, lambda: "compare" not in params(duo) and params(duo).get("from") == "2026-10-21")
    wait_until(duo, lambda: not is_shown(duo, "#compare-panel"))

    # A forged comparison gets the usual notice.
    duo.driver.get(f"{duo.server_url}/?compare=370212001,370212009")
    duo.wait_for_contains_text("#error-banner", "链接参数有误", timeout=20)

    # 回放: four days, played to the end; each step's image is its own window on one scale.
    duo.driver.get(f"{duo.server_url}/?from=2026-11-01&to=2026-11-05")
    duo.wait_for_contains_text("#playback-label", "全程", timeout=20)
    duo.find_element("#playback-play").click()
    duo.wait_for_contains_text("#playback-label", "第 2/4 日", timeout=20)
    heat = duo.driver.find_element(By.CSS_SELECTOR, ".leaflet-heat-pane img, .leaflet-pane img[src*='heat.png']")
    assert "peak_from=2026-11-01" in heat.get_attribute("src") and "from=2026-11-02" in heat.get_attribute("src")
    duo.wait_for_contains_text("#playback-label", "第 4/4 日", timeout=20)
    duo.wait_for_text_to_equal("#playback-play", "播放", timeout=10)
    assert duo.get_logs() == []
