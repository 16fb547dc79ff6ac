"""The main page's map in a real headless Chromium: clicks drill where aimed, labels never collide, the
legend folds and keeps clear of the scope, the base map lives in the URL, full screen."""

from __future__ import annotations

import json
import random
import time
import urllib.parse

import pytest
import shapely
from flask import request
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from geo.reference import DATA_DIR
from tests.conftest import browser_sign_in, is_shown, text_of

pytestmark = pytest.mark.browser

WINDOW = "from=2026-10-21&to=2026-11-21"
POINTS_PER_STREET = 20
#: Interior points keep this far (degrees, ~250 m: 4 px at district zoom) from the street's edge, whose
#: 1.6 px stroke belongs to whichever outline Leaflet drew last.
EDGE = 0.0025

#: The Leaflet map (kept on its container by assets/map.js) and what it shows: the view, and the codes of the
#: drawn units (paths of the units pane).
MAP = "const m = (document.getElementById('map') || {}).zhizhiMap;"
VIEW = MAP + """
if (!m) { return null; }
if (!m.testWatch) {  // movestart … moveend brackets every pan, zoom and fly, however starved the renderer is
  m.testWatch = true;
  m.on('movestart', () => { m.testMoving = true; });
  m.on('moveend', () => { m.testMoving = false; });
}
const codes = [];
m.eachLayer(l => { if (l.feature && l.getTooltip && l.getTooltip() && l._path) { codes.push(l.feature.properties.code); } });
const c = m.getCenter();
return {zoom: m.getZoom(), lat: c.lat, lng: c.lng, codes: codes.sort(), moving: !!(m._animatingZoom || m.testMoving)};
"""
PIXELS = MAP + """
const box = m.getContainer().getBoundingClientRect();
return arguments[0].map(([lat, lng]) => { const p = m.latLngToContainerPoint([lat, lng]);
                                          return [box.left + p.x, box.top + p.y]; });
"""
#: What a click at each (x, y) would land on: the code of the unit whose path is the topmost element there,
#: else what is on top instead (a marker, a label…).
HITS = MAP + """
const paths = new Map();
m.eachLayer(l => { if (l.feature && l._path) { paths.set(l._path, l.feature.properties.code); } });
return arguments[0].map(([x, y]) => { const e = document.elementFromPoint(x, y);
  if (!e) { return null; }
  return paths.get(e) || (e.tagName + '.' + (e.getAttribute('class') || '')); });
"""
LABELS = """
return Array.from(document.querySelectorAll('.unit-label'))
  .filter(e => !e.classList.contains('label-off') && getComputedStyle(e).visibility === 'visible' && e.offsetParent)
  .map(e => { const r = e.getBoundingClientRect();
              return {text: e.innerText, left: r.left, top: r.top, right: r.right, bottom: r.bottom}; });
"""
BOX = """
const e = document.querySelector(arguments[0]);
if (!e) { return null; }
const r = e.getBoundingClientRect();
return {left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height};
"""


def interior_points(count: int, seed: int) -> dict[str, list[tuple[float, float]]]:
    """``count`` random (lat, lon) points inside each street, away from its edge."""
    rng = random.Random(seed)
    streets = json.loads((DATA_DIR / "streets.geojson").read_text(encoding="utf-8"))["features"]
    out = {}
    for feature in streets:
        inner = shapely.geometry.shape(feature["geometry"]).buffer(-EDGE)
        minx, miny, maxx, maxy = inner.bounds
        points = []
        while len(points) < count:
            x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
            if inner.contains(shapely.Point(x, y)):
                points.append((y, x))
        out[feature["properties"]["code"]] = points
    return out


def params(duo) -> dict:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlparse(duo.driver.current_url).query))


def wait(duo, condition, timeout: float = 90):
    return WebDriverWait(duo.driver, timeout, poll_frequency=0.05).until(lambda _d: condition())


def settled_view(duo, codes_length: int) -> dict:
    """The map's view once the view's own update has come (the worker counts on the labels, sent with the
    fly-to) and the map has stopped moving, drawing units of the given code length."""
    wait(duo, lambda: "网格员" in duo.driver.execute_script(
        "return Array.from(document.querySelectorAll('.unit-label')).map(e => e.innerText).join()"))
    last = {}

    def still():
        nonlocal last
        view = duo.driver.execute_script(VIEW)
        ok = (view and not view["moving"] and view["codes"] and all(len(c) == codes_length for c in view["codes"])
              and view == last)
        last = view
        return ok

    wait(duo, still)
    time.sleep(0.3)  # and still so a moment later (a fly may start just after a quiet poll)
    wait(duo, still)
    return last


def click_at(duo, x: float, y: float) -> None:
    actions = ActionBuilder(duo.driver)
    actions.pointer_action.move_to_location(round(x), round(y))
    actions.pointer_action.click()
    actions.perform()


def intersects(a: dict, b: dict) -> bool:
    return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]


def test_a_link_opens_once_and_keeps_its_moving_window(dash_duo, seeded_sqlite_path, make_app):
    """A link without dates opens as it is: the compare picker's first value once rewrote it with the window's
    dates, which pinned a wall's moving window and ran every view callback twice. A quick range chosen
    later stays a range (``range=7d``) when another control changes."""
    app = make_app(f"sqlite:///{seeded_sqlite_path}")
    map_calls, pick_calls = [], []

    @app.server.before_request
    def count_calls():
        body = request.get_json(silent=True) if request.path.endswith("_dash-update-component") else None
        # The map's calls for a URL (not those of the minute refresh or the live poll)
        if body and "map.viewport" in body.get("output", "") and "url.search" in body.get("changedPropIds", []):
            map_calls.append([i.get("value") for i in body["inputs"] if i.get("property") == "search"])
        if body and body.get("output", "").startswith("url.search@"):
            pick_calls.append(body)

    dash_duo.start_server(app, navigate=False)
    browser_sign_in(dash_duo, app)
    dash_duo.driver.set_window_size(1600, 1000)
    map_calls.clear()
    pick_calls.clear()
    link = dash_duo.server_url + "/?scope=community&id=370212001001"
    dash_duo.driver.get(link)
    wait(dash_duo, lambda: (view := dash_duo.driver.execute_script(VIEW)) and view["codes"]
         and {code[:12] for code in view["codes"] if code} == {"370212001001"})
    wait(dash_duo, lambda: pick_calls)  # the compare picker has had its say (it comes last) …
    time.sleep(1)  # … and its answer is in
    assert dash_duo.driver.current_url == link
    # (the signed-in landing page's own calls may still arrive: they carry the district's empty search)
    assert [call for call in map_calls if call != [""]] == [["?scope=community&id=370212001001"]]
    # A quick range, then another control: the URL keeps the range (it moves with the days), not its dates.
    dash_duo.driver.find_element(By.XPATH, "//*[@id='filter-preset']//label[contains(., '近7天')]").click()
    wait(dash_duo, lambda: dash_duo.driver.current_url == link + "&range=7d")
    dash_duo.driver.find_element(By.XPATH, "//*[@id='filter-layers']//label[contains(., '诉求热力')]").click()
    wait(dash_duo, lambda: "layers=" in dash_duo.driver.current_url)
    assert "range=7d" in dash_duo.driver.current_url and "from=" not in dash_duo.driver.current_url


def test_a_link_draws_its_units_even_when_the_first_layers_load_slowly(dash_duo, seeded_sqlite_path, make_app):
    """On a cold server the page's first (district) layers can still be loading when the link's view answers;
    the link's units must replace them, not be dropped (dash-leaflet's GeoJSON ignores a new ``url`` while
    it is fetching the old one: on the cold 10M store a community link kept the district's streets)."""
    app = make_app(f"sqlite:///{seeded_sqlite_path}")

    @app.server.before_request
    def slow_district_layers():
        if request.path in ("/api/geo/street.geojson", "/api/geo/district.geojson") \
                and request.args.get("parent") == "370212":
            time.sleep(4)

    dash_duo.start_server(app, navigate=False)
    browser_sign_in(dash_duo, app)
    dash_duo.driver.set_window_size(1600, 1000)
    dash_duo.driver.get(dash_duo.server_url + "/?scope=community&id=370212001001")
    time.sleep(6)  # the slow district answers have arrived by now
    wait(dash_duo, lambda: (view := dash_duo.driver.execute_script(VIEW)) and view["codes"]
         and {code[:12] for code in view["codes"] if code} == {"370212001001"}, timeout=20)
    outline = dash_duo.driver.execute_script(MAP + """
const codes = [];
m.eachLayer(l => { if (l.feature && l.options.pane === 'outline') { codes.push(l.feature.properties.code); } });
return codes;""")
    assert outline == ["370212001001"]


def test_a_layer_that_fails_to_load_is_fetched_again(dash_duo, seeded_sqlite_path, make_app):
    """A community's grids answered 503 twice (a server restarting): the map asks again and draws them."""
    app = make_app(f"sqlite:///{seeded_sqlite_path}")
    failures = []

    @app.server.before_request
    def fail_twice():
        if request.path == "/api/geo/grid.geojson" and request.args.get("parent") == "370212001001" \
                and len(failures) < 2:
            failures.append(time.monotonic())
            return "暂时不可用", 503

    dash_duo.start_server(app, navigate=False)
    browser_sign_in(dash_duo, app)
    dash_duo.driver.set_window_size(1600, 1000)
    dash_duo.driver.get(dash_duo.server_url + "/?scope=community&id=370212001001")
    wait(dash_duo, lambda: (view := dash_duo.driver.execute_script(VIEW)) and view["codes"]
         and {code[:12] for code in view["codes"] if code} == {"370212001001"}, timeout=30)
    assert len(failures) == 2
    assert [entry for entry in dash_duo.get_logs() if "503" not in entry["message"]] == []


def test_random_clicks_inside_each_street_drill_into_it(dashboard):
    """With the default layers (workers on): 20 random interior points of each street. At every one the
    element a click lands on (the browser's own hit test, which skips what lets clicks through) is that
    street's polygon, not a marker, cluster or label; and a real click on one point per street opens it."""
    duo = dashboard
    duo.driver.get(f"{duo.server_url}/?{WINDOW}")
    # No worker markers or clusters over the units at district level: the count is on each street's label.
    district = settled_view(duo, 9)
    assert len(district["codes"]) == 5
    assert not duo.driver.find_elements(By.CSS_SELECTOR, ".leaflet-workers-pane *, .marker-cluster")
    points = interior_points(POINTS_PER_STREET, seed=11)
    for code, street_points in points.items():
        hits = duo.driver.execute_script(HITS, duo.driver.execute_script(PIXELS, street_points))
        assert hits == [code] * POINTS_PER_STREET, (code, [(p, h) for p, h in zip(street_points, hits, strict=True) if h != code])
    for code, street_points in points.items():
        assert settled_view(duo, 9) == district  # back at the very same district view
        (x, y), = duo.driver.execute_script(PIXELS, street_points[:1])
        click_at(duo, x, y)
        wait(duo, lambda: params(duo).get("scope") == "street", timeout=20)
        assert params(duo)["id"] == code and params(duo)["from"] == "2026-10-21"
        duo.driver.execute_script("history.back()")  # driver.back() waits for a page load that never comes
        wait(duo, lambda: "scope" not in params(duo))
    assert duo.get_logs() == []


def test_labels_legend_base_map_and_full_screen(dashboard):
    duo = dashboard
    # Street level: the visible labels never overlap, and the open legend leaves the street's
    # own outline (and the district's) uncovered.
    duo.driver.get(f"{duo.server_url}/?{WINDOW}")
    settled_view(duo, 9)
    legend = duo.driver.execute_script(BOX, "#map-legend-box")
    outline = duo.driver.execute_script(BOX, ".leaflet-outline-pane path")
    assert legend["height"] > 150 and not intersects(legend, outline)
    for code in ("370212001", "370212005"):  # the two dense urban streets, where labels crowd most
        duo.driver.get(f"{duo.server_url}/?scope=street&id={code}&{WINDOW}")
        settled_view(duo, 12)
        wait(duo, lambda: any("网格员" in label["text"] for label in duo.driver.execute_script(LABELS)))
        time.sleep(0.2)  # the placement runs 30 ms after the last change
        labels = duo.driver.execute_script(LABELS)
        assert len(labels) >= 5, code
        overlapping = [(a["text"], b["text"]) for i, a in enumerate(labels) for b in labels[i + 1:] if intersects(a, b)]
        assert overlapping == [], code
        # Once the map has flown to the street (under load the fly may start after the view first looked still),
        # the legend leaves its outline uncovered; a legend that covers it for good fails here.
        wait(duo, lambda: not intersects(duo.driver.execute_script(BOX, "#map-legend-box"),
                                          duo.driver.execute_script(BOX, ".leaflet-outline-pane path")), timeout=20)

    # The legend folds to its Chinese toggle and unfolds again.
    toggle = duo.find_element(".legend-toggle")
    assert toggle.text.startswith("图例")
    toggle.click()
    wait(duo, lambda: not is_shown(duo, "#map-legend"))
    folded = duo.driver.execute_script(BOX, "#map-legend-box")
    assert folded["height"] < 40 and folded["width"] < 100
    toggle.click()
    wait(duo, lambda: is_shown(duo, "#map-legend"))

    # The base map is in the URL: the picker writes it, back restores the default, a deep link opens it,
    # a forged one gets the notice and the default.
    panel = "const e = document.getElementById('map-panel'); return e ? e.className : ''"  # '' while loading
    duo.find_element("#filter-basemap").click()
    wait(duo, lambda: duo.driver.find_elements(By.XPATH, "//*[@role='option' and contains(., '深色')]"))
    duo.driver.find_element(By.XPATH, "//*[@role='option' and contains(., '深色')]").click()
    wait(duo, lambda: params(duo).get("basemap") == "vector-dark")
    wait(duo, lambda: "dark" in duo.driver.execute_script(panel).split())
    assert params(duo)["scope"] == "street"
    duo.driver.back()
    wait(duo, lambda: "basemap" not in params(duo))
    wait(duo, lambda: "dark" not in duo.driver.execute_script(panel).split())
    assert "浅色" in text_of(duo, "#filter-basemap")
    duo.driver.get(f"{duo.server_url}/?basemap=vector-dark&{WINDOW}")
    wait(duo, lambda: "dark" in duo.driver.execute_script(panel).split())
    assert "深色" in text_of(duo, "#filter-basemap")
    duo.driver.get(f"{duo.server_url}/?basemap=satellite&{WINDOW}")
    duo.wait_for_contains_text("#error-banner", "链接参数有误", timeout=20)
    assert "basemap" not in params(duo) and "浅色" in text_of(duo, "#filter-basemap")

    # Full screen: the map panel fills the window and Leaflet knows its new size; again to leave.
    settled_view(duo, 9)
    button = duo.find_element("#map-fullscreen")
    assert button.get_attribute("title") == "全屏"
    size = MAP + "const s = m.getSize(); return [s.x, s.y, innerWidth, innerHeight];"
    button.click()
    wait(duo, lambda: button.get_attribute("title") == "退出全屏")
    wait(duo, lambda: (lambda s: abs(s[0] - s[2]) <= 1 and abs(s[1] - s[3]) <= 1)(duo.driver.execute_script(size)))
    assert is_shown(duo, "#map-legend-box") and is_shown(duo, ".map-toolbar")
    button.click()
    wait(duo, lambda: button.get_attribute("title") == "全屏")
    # Back in the page (headless Chromium need not restore its window): the map is smaller than the window
    # again, and Leaflet knows its size (its container's).
    inside = MAP + "const c = m.getContainer(), s = m.getSize(); return [s.x, s.y, c.clientWidth, c.clientHeight];"
    wait(duo, lambda: (lambda s: s[0] < s[2] or s[1] < s[3])(duo.driver.execute_script(size)))
    wait(duo, lambda: (lambda s: s[0] == s[2] and s[1] == s[3])(duo.driver.execute_script(inside)))
    assert duo.get_logs() == []
