"""Live updates end to end: real PostGIS, the real ingest API, a real headless Chromium."""

from __future__ import annotations

import json
import time
import urllib.request
from datetime import UTC, datetime

import pytest
from selenium.webdriver.common.by import By

from geo.access import SYSTEM
from geo.scope import Scope
from tests.conftest import browser_open, browser_sign_in, shown_value, text_of, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.postgis]

KEY = "live-test-key"
#: A point in 中韩街道.
LON, LAT = 120.4462, 36.1349


@pytest.fixture
def live(dash_duo, writable_store, make_app):
    app = make_app(writable_store.url, INGEST_API_KEYS=f"live:{KEY}")
    dash_duo.start_server(app, navigate=False)
    browser_sign_in(dash_duo, app)
    dash_duo.driver.set_window_size(1600, 1000)
    return dash_duo


def post(duo, path: str, body) -> dict:
    request = urllib.request.Request(duo.server_url + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"X-API-Key": KEY, "Content-Type": "application/json"})
    with urllib.request.urlopen(request) as r:
        return json.load(r)



@pytest.mark.parametrize("backend", ["postgis"], indirect=True)
def test_a_posted_appeal_shows_within_5_seconds(live):
    live.driver.get(f"{live.server_url}/?scope=street&id=370212001&layers=grids")
    live.wait_for_contains_text("#scope-title", "中韩街道", timeout=20)
    wait_until(live, lambda: "更新于" in text_of(live, "#live-indicator"), 15)
    accepted = shown_value(live, "#kpi-accepted .kpi-value")
    title = "<b>井盖松动</b> 请尽快处理"  # markup must arrive as text, not HTML
    posted_at = time.monotonic()
    created = post(live, "/api/appeals", {
        "source": "wechat", "source_ref": f"live-{time.time_ns()}", "kind": "livelihood",
        "category": "road_facilities", "title": title, "reporter_name": "李四", "reporter_phone": "13900001111",
        "lon": LON, "lat": LAT})
    assert created["status"] == "created"
    wait_until(live, lambda: title in text_of(live, "#panel-ticker"), 5)
    seen_after = time.monotonic() - posted_at
    ticker = live.find_element("#panel-ticker")
    first = ticker.find_element(By.CSS_SELECTOR, ".ticker-row")
    assert title in first.text and "中韩街道" in first.text and "道路设施" in first.text
    assert ticker.find_elements(By.TAG_NAME, "b") == []
    assert "李四" not in ticker.text and "13900001111" not in ticker.text and "139****1111" not in ticker.text
    # The KPI cards follow the same tick (default window ends today, so the new appeal counts).
    wait_until(live, lambda: text_of(live, "#kpi-accepted .kpi-value") not in ("", "—", accepted), 5)
    expected = json.load(browser_open(live, "/api/kpis?scope=street&id=370212001"))
    assert shown_value(live, "#kpi-accepted .kpi-value") == f"{expected['kpis']['accepted']['value']:,}"
    assert seen_after < 5
    assert live.get_logs() == []


@pytest.mark.parametrize("backend", ["postgis"], indirect=True)
def test_a_worker_ping_moves_only_that_worker(live, writable_store):
    community = writable_store.children(Scope("street", "370212001"), viewer=SYSTEM)[0]
    live.driver.get(f"{live.server_url}/?scope=community&id={community.code}&layers=workers")
    live.wait_for_contains_text("#scope-title", community.name, timeout=20)
    offline = '.leaflet-workers-pane path[stroke="#cf222e"]'
    staff = writable_store.workers(community.scope, viewer=SYSTEM)["items"]
    markers = ".leaflet-workers-pane path.leaflet-interactive"
    wait_until(live, lambda: len(live.driver.find_elements(By.CSS_SELECTOR, markers)) == len(staff), 20)
    before = len(live.driver.find_elements(By.CSS_SELECTOR, offline))
    worker = next(w for w in staff if w["status"] != "offline" and w["lon"] is not None)
    body = post(live, "/api/positions", [{"worker_id": worker["id"], "at": datetime.now(UTC).isoformat(),
                                          "lon": worker["lon"], "lat": worker["lat"], "status": "offline"}])
    assert body["recorded"] == 1
    wait_until(live, lambda: len(live.driver.find_elements(By.CSS_SELECTOR, offline)) == before + 1, 8)
    assert len(live.driver.find_elements(By.CSS_SELECTOR, markers)) == len(staff)  # patched, not duplicated
    assert live.get_logs() == []


@pytest.mark.parametrize("backend", ["postgis"], indirect=True)
def test_polling_stops_while_the_tab_is_hidden(live):
    live.driver.get(f"{live.server_url}/")
    wait_until(live, lambda: "更新于" in text_of(live, "#live-indicator"), 15)
    hide = "Object.defineProperty(document, 'hidden', {value: %s, configurable: true});" \
           "document.dispatchEvent(new Event('visibilitychange'));"
    live.driver.execute_script(hide % "true")
    time.sleep(3.5)  # a poll already in flight when the tab hid may still land (slowly, on a busy machine)
    frozen = text_of(live, "#live-indicator")
    time.sleep(7)  # more than two poll intervals
    assert text_of(live, "#live-indicator") == frozen
    live.driver.execute_script(hide % "false")
    wait_until(live, lambda: text_of(live, "#live-indicator") != frozen, 8)


@pytest.mark.parametrize("backend", ["postgis"], indirect=True)
def test_the_big_screen_shows_a_new_appeal_within_5_seconds(live, writable_store):
    live.driver.get(f"{live.server_url}/screen/")
    wait_until(live, lambda: text_of(live, "#screen-ticker").strip() != "", 20)
    title = f"路灯不亮 {time.time_ns() % 10_000}"
    post(live, "/api/appeals", {"source": "hotline_12345", "source_ref": f"screen-{time.time_ns()}",
                                "kind": "livelihood", "category": "road_facilities", "title": title,
                                "reporter_name": "王五", "reporter_phone": "13700002222", "lon": LON, "lat": LAT})
    wait_until(live, lambda: title in text_of(live, "#screen-ticker"), 5)
    text = text_of(live, "body")
    assert "王五" not in text and "13700002222" not in text and "137****2222" not in text
    # A worker of 北宅 (inland, north-east) jumps to 中韩 (south-west): some 15 km, many pixels on the wall.
    worker = next(w for w in writable_store.workers(Scope("street", "370212004"), viewer=SYSTEM)["items"] if w["lon"] is not None)
    before = settled_marker_shapes(live)
    post(live, "/api/positions", [{"worker_id": worker["id"], "at": datetime.now(UTC).isoformat(),
                                   "lon": LON, "lat": LAT, "status": "handling"}])
    # Patched in place: exactly one marker moved, none added or lost.
    wait_until(live, lambda: len(changed_markers(before, marker_shapes(live))) == 1, 8)
    assert len(marker_shapes(live)) == len(before)
    assert live.get_logs() == []


WALL_MARKERS = ".leaflet-workers-pane path"


def marker_shapes(duo) -> list[str]:
    """The SVG path of every worker marker on the page, in document order (read at once: a patch redraws them)."""
    return duo.driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0]), e => e.getAttribute('d'));", WALL_MARKERS)


def settled_marker_shapes(duo) -> list[str]:
    """The markers once they are drawn and the map has stopped moving (no change for a whole second)."""
    wait_until(duo, lambda: len(marker_shapes(duo)) > 0, 10)
    last = marker_shapes(duo)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        time.sleep(1)
        now = marker_shapes(duo)
        if now == last:
            return now
        last = now
    raise AssertionError("the wall's worker markers never settled")


def changed_markers(before: list[str], after: list[str]) -> list[int]:
    if len(before) != len(after):
        return list(range(max(len(before), len(after))))
    return [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
