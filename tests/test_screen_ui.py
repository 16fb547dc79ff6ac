"""The big screen (/screen/) in a real headless Chromium: walls of four sizes, numbers, privacy, tour, bad links."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import urllib.error
import urllib.parse
import urllib.request

import pytest
import sqlalchemy as sa
from PIL import Image
from selenium.common.exceptions import TimeoutException

from dashboard.ui import ids
from dashboard.view import screen
from dashboard.view.text import format_kpi
from geo.access import SYSTEM
from geo.kpis import KPI_LABELS
from geo.scope import DISTRICT
from geo.store import schema
from geo.store.store import Store
from tests.conftest import browser_open, browser_sign_in, fake_analysis, text_of, wait_until

pytestmark = pytest.mark.browser

#: Seeded data covers 2026-09-21 … 2026-11-20; this window sits inside it.
WINDOW = "from=2026-10-21&to=2026-11-21"
#: Depend on "now", which moves between the API call and the page's.
CLOCK_DEPENDENT = {"overdue_open", "on_time_rate"}
#: Wall sizes, each with a scope: the district's ranking lists 5 streets; a street's, its communities with
#: the widest figures ("100.0%").
WALLS = [(1920, 1080, ""), (3840, 2160, "scope=street&id=370212002&"), (5760, 1080, "scope=street&id=370212002&"),
         (6656, 1792, "")]
PANELS = ["screen-header", "screen-kpis", "screen-map-panel", "screen-trend-panel", "screen-ranking-panel",
          "screen-proactive-panel", "screen-ticker-panel"]
#: Everything that must show its whole content; ticker titles alone may end in "…" by design.
MUST_FIT = ", ".join([*(f"#{p}" for p in PANELS), ".screen-panel-body", ".screen-kpi", ".screen-kpi-grid",
                      ".screen-rank-row", ".screen-rank-row > span", ".screen-ticker-item", ".screen-ticker-meta",
                      ".screen-header > div", ".screen-legend", ".screen-credit", ".screen-pa-tile",
                      ".screen-pa-row"])

GEOMETRY = """
const box = id => { const r = document.getElementById(id).getBoundingClientRect();
                    return {id, left: r.left, top: r.top, right: r.right, bottom: r.bottom}; };
const overflowing = [];
document.querySelectorAll(arguments[0]).forEach(e => {
  if (e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1) {
    overflowing.push([e.id || e.className, e.textContent.slice(0, 30), e.scrollWidth, e.clientWidth,
                      e.scrollHeight, e.clientHeight]);
  }
});
return {width: innerWidth, height: innerHeight,
        scrollWidth: document.documentElement.scrollWidth, scrollHeight: document.documentElement.scrollHeight,
        panels: arguments[1].map(box),
        cards: Array.from(document.querySelectorAll('.screen-kpi')).map(e => box(e.id)),
        overflowing,
        sheets: Array.from(document.styleSheets).map(s => s.href || '').filter(h => h)};
"""


@pytest.fixture
def wall(dash_duo, seeded_sqlite_path, make_app):
    app = make_app(f"sqlite:///{seeded_sqlite_path}")
    dash_duo.start_server(app, navigate=False)
    browser_sign_in(dash_duo, app)
    return dash_duo


def viewport(duo, width: int, height: int) -> None:
    duo.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})


def open_screen(duo, query: str) -> None:
    duo.driver.get(f"{duo.server_url}/screen/?{query}")
    wait_until(duo, lambda: text_of(duo, "#screen-kpi-accepted-value") not in ("", "—"))



def api(duo, path: str) -> dict:
    with browser_open(duo, path) as r:
        return json.load(r)


def overlaps(a: dict, b: dict) -> bool:
    return min(a["right"], b["right"]) - max(a["left"], b["left"]) > 0.5 and \
        min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > 0.5


def inside(inner: dict, outer: dict) -> bool:
    return (inner["left"] >= outer["left"] - 0.5 and inner["top"] >= outer["top"] - 0.5
            and inner["right"] <= outer["right"] + 0.5 and inner["bottom"] <= outer["bottom"] + 0.5)


def label_boxes(g: dict) -> list:
    """The map labels shown and where (the rest of the page, such as the ticker, may change meanwhile)."""
    return [(t["text"], t["box"]) for t in g["texts"] if t["label"]]


def labels_settled(g: dict, in_street: bool) -> bool:
    """The wall's map labels as placed after the last move: every one inside the map, of the view shown."""
    labels = [t for t in g["texts"] if t["label"]]
    if not labels or not all(inside(t["box"], g["map"]) for t in labels):
        return False
    if in_street:
        return sum(t["community"] for t in labels) >= 5
    return {t["text"] for t in labels} >= STREET_NAMES


def test_every_wall_size_fits_without_scrolling_overlap_or_clipping(wall, tmp_path):
    for width, height, scope in WALLS:
        viewport(wall, width, height)
        open_screen(wall, scope + WINDOW)
        wait_until(wall, lambda: wall.driver.find_elements("css selector", "#screen-trend .main-svg"))
        g = wall.driver.execute_script(GEOMETRY, MUST_FIT, PANELS)
        size = f"{width}×{height}"
        assert (g["width"], g["height"]) == (width, height), size
        assert g["scrollWidth"] <= width and g["scrollHeight"] <= height, size
        screen_box = {"left": 0, "top": 0, "right": width, "bottom": height}
        kpi_panel = next(p for p in g["panels"] if p["id"] == "screen-kpis")
        for i, a in enumerate(g["panels"]):
            assert inside(a, screen_box), (size, a)
            for b in g["panels"][i + 1:]:
                assert not overlaps(a, b), (size, a, b)
        assert len(g["cards"]) == len(KPI_LABELS)
        for i, a in enumerate(g["cards"]):
            assert inside(a, kpi_panel), (size, a)
            for b in g["cards"][i + 1:]:
                assert not overlaps(a, b), (size, a, b)
        assert g["overflowing"] == [], size
        # Each page its own stylesheet: the main page's style.css never reaches the wall.
        assert any(h.split("?")[0].endswith("/screen/assets/screen.css") for h in g["sheets"])
        assert not any("style.css" in h for h in g["sheets"])
        shot = tmp_path / f"screen-{width}x{height}.png"
        wall.driver.save_screenshot(str(shot))
        with Image.open(shot) as image:
            assert image.size == (width, height)
            colours = image.convert("RGB").resize((width // 4, height // 4)).getcolors(maxcolors=1 << 20)
            assert len(colours) > 500, size  # a real picture, not a blank or single-colour page
    assert wall.get_logs() == []


def test_numbers_match_the_api_and_no_personal_data(wall, seeded_sqlite_path):
    viewport(wall, 1920, 1080)
    open_screen(wall, WINDOW)
    doc = api(wall, f"/api/kpis?{WINDOW}")
    for key in KPI_LABELS:
        if key not in CLOCK_DEPENDENT:
            wall.wait_for_text_to_equal(f"#screen-kpi-{key}-value", format_kpi(key, doc["kpis"][key]), timeout=20)
    wall.wait_for_contains_text("#screen-title", doc["name"], timeout=20)
    assert text_of(wall, "#screen-as-of").startswith("数据截至 ")
    wait_until(wall, lambda: re.fullmatch(r"\d{4}-\d{2}-\d{2} .+ \d{2}:\d{2}:\d{2}",
                                          text_of(wall, "#screen-clock")))
    assert "OpenStreetMap contributors" in text_of(wall, ".screen-credit")
    wait_until(wall, lambda: wall.driver.find_elements("css selector", ".leaflet-workers-pane path"))
    assert "heat.png" in wall.find_element(".leaflet-heat-pane img").get_attribute("src")
    # Nothing on the wall takes the pointer: every shape is drawn non-interactive.
    drawn = wall.driver.find_elements("css selector", ".leaflet-pane path")
    assert drawn and not [p for p in drawn if "leaflet-interactive" in (p.get_attribute("class") or "")]

    # The ticker lists the view's newest appeals; their reporters must not appear anywhere on the page.
    newest = api(wall, f"/api/appeals?{WINDOW}&limit={screen.TICKER_ROWS}")["items"]
    wait_until(wall, lambda: newest[0]["title"] in text_of(wall, "#screen-ticker"))
    store = Store(f"sqlite:///{seeded_sqlite_path}")
    try:
        with store.connect() as conn:
            raw = conn.execute(sa.select(schema.appeals.c.reporter_name, schema.appeals.c.reporter_phone)
                               .where(schema.appeals.c.id.in_([i["id"] for i in newest]))).all()
    finally:
        store.dispose()
    text = wall.driver.execute_script("return document.body.innerText")
    names = [r.reporter_name for r in raw if r.reporter_name]
    phones = [r.reporter_phone for r in raw if r.reporter_phone]
    assert names and phones
    assert not any(name in text for name in names)
    assert not any(phone in text for phone in phones)
    assert not re.search(r"1\d{10}|1\d{2}\*{4}\d{4}", text)  # phone numbers, raw or masked
    assert not re.search(r"[\u4e00-\u9fff]\*", text)  # masked names such as 张*
    html = wall.driver.page_source
    assert not any(name in html for name in names)

    # /?mode=screen opens the wall with the same view.
    wall.driver.get(f"{wall.server_url}/?mode=screen&scope=street&id=370212002&{WINDOW}")
    wait_until(wall, lambda: urllib.parse.urlparse(wall.driver.current_url).path == "/screen/")
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(wall.driver.current_url).query))
    assert query == {"scope": "street", "id": "370212002", "from": "2026-10-21", "to": "2026-11-21"}
    wall.wait_for_contains_text("#screen-title", "沙子口街道", timeout=20)
    street = api(wall, f"/api/kpis?scope=street&id=370212002&{WINDOW}")
    wall.wait_for_text_to_equal("#screen-kpi-accepted-value", format_kpi("accepted", street["kpis"]["accepted"]),
                                timeout=20)
    assert wall.get_logs() == []


def test_the_tour_moves_on_and_bad_links_get_a_banner(wall, seeded_sqlite_path):
    viewport(wall, 1920, 1080)
    store = Store(f"sqlite:///{seeded_sqlite_path}")
    streets = {u.name: u.code for u in store.children(DISTRICT, viewer=SYSTEM)}
    store.dispose()
    open_screen(wall, f"tour=5&{WINDOW}")
    assert "崂山区" in text_of(wall, "#screen-title")
    assert wall.find_element("#screen-banner").get_attribute("hidden") is not None
    wait_until(wall, lambda: any(name in text_of(wall, "#screen-title") for name in streets), timeout=12)
    # Each stop shows its own numbers (read together: the tour moves on every 5 s).
    expected = {name: format_kpi("accepted", api(wall, f"/api/kpis?scope=street&id={code}&{WINDOW}")["kpis"]["accepted"])
                for name, code in streets.items()}

    def showing_a_street_with_its_numbers() -> bool:
        title = text_of(wall, "#screen-title")
        value = text_of(wall, "#screen-kpi-accepted-value")
        return any(name in title and value == figure for name, figure in expected.items())

    wait_until(wall, showing_a_street_with_its_numbers, timeout=12)

    # A bad view falls back to the default view, like the main page; a bad timer only to its default.
    for query, named, shown in (("scope=street&id=999", "999", ""), ("tour=abc", "轮播间隔", WINDOW),
                                ("scope=street&id=370212999&refresh=2", "370212999", "")):
        open_screen(wall, f"{query}&{WINDOW}")
        wall.wait_for_contains_text("#screen-banner", "链接参数有误", timeout=20)
        assert named in text_of(wall, "#screen-banner")
        wall.wait_for_contains_text("#screen-title", "崂山区", timeout=20)
        district = api(wall, f"/api/kpis?{shown}")
        wall.wait_for_text_to_equal("#screen-kpi-accepted-value", format_kpi("accepted", district["kpis"]["accepted"]),
                                    timeout=20)
    assert wall.get_logs() == []
    # The server answered every one of those with a page, never an error.
    for query in ("scope=street&id=999", "tour=abc", "tour=-1&refresh=%00"):
        with browser_open(wall, f"/screen/?{query}") as r:
            assert r.status == 200


#: Every visible text node on the wall (HTML, the chart's SVG text, the map's labels): its computed size and
#: where it is. Hidden map labels (laid out but not shown) and text outside the viewport do not count.
TEXT_NODES = """
const out = [], tips = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  const text = node.textContent.trim();
  const el = node.parentElement;
  if (!text || !el || el.closest('script, style, title')) continue;
  const style = getComputedStyle(el);
  if (style.visibility !== 'visible' || Number(style.opacity) === 0) continue;
  const range = document.createRange(); range.selectNodeContents(node);
  const r = range.getBoundingClientRect();
  if (r.width < 1 || r.height < 1 || r.right <= 0 || r.bottom <= 0 || r.left >= innerWidth || r.top >= innerHeight) continue;
  const panel = el.closest('.screen-panel');
  const tip = el.closest('.screen-unit-label');
  if (tip && !tips.includes(tip)) tips.push(tip);
  out.push({text: text.slice(0, 30), px: parseFloat(style.fontSize), panel: panel ? panel.id : '',
            title: !!el.closest('.screen-panel-title'), figure: !!el.closest('.screen-kpi-value'),
            label: !!el.closest('.screen-unit-label'),
            tip: tips.indexOf(tip),
            community: !!el.closest('.screen-community-label'),
            box: {left: r.left, top: r.top, right: r.right, bottom: r.bottom}});
}
const map = document.getElementById('screen-map').getBoundingClientRect();
const rank = document.getElementById('screen-ranking').getBoundingClientRect();
const body = document.querySelector('#screen-ranking-panel .screen-panel-body').getBoundingClientRect();
return {texts: out, map: {left: map.left, top: map.top, right: map.right, bottom: map.bottom},
        rankRows: document.querySelectorAll('#screen-ranking .screen-rank-row').length,
        rankGap: body.bottom - rank.bottom,
        markers: document.querySelectorAll('.leaflet-workers-pane path').length,
        workersShown: getComputedStyle(document.querySelector('.leaflet-workers-pane')).display !== 'none',
        counts: Array.from(document.querySelectorAll('.screen-legend-count')).map(e => e.textContent),
        heatScale: Array.from(document.querySelectorAll('.screen-heat-scale > span')).map(e => e.textContent)};
"""

PER_STREET_SETTLED = """
const counts = Array.from(document.querySelectorAll('.screen-label-count'))
  .map(e => parseInt(e.textContent.replace(/[^0-9]/g, ''), 10));
const markers = document.querySelectorAll('.leaflet-workers-pane path').length;
return counts.length === 5 && markers > 0 && counts.reduce((a, b) => a + b, 0) === markers;
"""


STREET_NAMES = {"王哥庄街道", "北宅街道", "沙子口街道", "中韩街道", "金家岭街道"}


def test_wall_text_is_legible_from_across_the_room(dash_duo, seeded_sqlite_path, make_app, tmp_path):
    """Nothing smaller than 1/50 of the screen's height, panel titles never smaller than their text, map labels
    whole and apart, workers counted by status, the heat legend in numbers, the ranking as tall as its rows,
    未诉先办's tiles and hotspot rows among the measured text (on a copy of the store with a stored run)."""
    copy = tmp_path / "analysed.sqlite3"
    shutil.copy(seeded_sqlite_path, copy)
    store = Store(f"sqlite:///{copy}")
    fake_analysis(store)
    store.dispose()
    app = make_app(f"sqlite:///{copy}")
    dash_duo.start_server(app, navigate=False)
    browser_sign_in(dash_duo, app, "screen")
    for width, height, scope in ((1920, 1080, ""), (5760, 1080, "scope=street&id=370212002&")):
        size = f"{width}×{height}"
        viewport(dash_duo, width, height)
        open_screen(dash_duo, scope + WINDOW)
        wait_until(dash_duo, lambda: dash_duo.driver.find_elements("css selector", "#screen-trend .main-svg text"))
        wait_until(dash_duo, lambda: dash_duo.driver.find_elements("css selector", ".leaflet-workers-pane path"))
        wait_until(dash_duo, lambda: dash_duo.driver.execute_script(
            "return document.querySelectorAll('.screen-unit-label:not(.screen-label-off)').length") > 0)
        dash_duo.wait_for_text_to_equal(f"#{ids.SCREEN_WORKER_TITLE}", "本区网格员（人）", timeout=20)
        wait_until(dash_duo, lambda: "—" not in dash_duo.driver.execute_script(TEXT_NODES)["counts"])
        wait_until(dash_duo, lambda: "热点" in text_of(dash_duo, f"#{ids.SCREEN_PROACTIVE_HOTSPOTS} .screen-pa-pattern"))
        if not scope:  # the per-street counts follow the markers once they are laid out
            wait_until(dash_duo, lambda: dash_duo.driver.execute_script(PER_STREET_SETTLED))
        # Labels are hidden while the map flies to the unit and placed again when it stops: measure a placement
        # that has settled (this view's labels, all inside the map, the district's five streets named) and that
        # two reads 0.3 s apart agree on, so a move starting between the wait and the read is not measured.
        # If it never settles, the assertions below say what is wrong.
        reads = [dash_duo.driver.execute_script(TEXT_NODES)]

        def settled(in_street=bool(scope), reads=reads):
            reads.append(dash_duo.driver.execute_script(TEXT_NODES))
            return label_boxes(reads[-1]) == label_boxes(reads[-2]) and labels_settled(reads[-1], in_street)

        with contextlib.suppress(TimeoutException):
            wait_until(dash_duo, settled, 40, poll=0.3)
        g = reads[-1]
        texts = g["texts"]
        assert len(texts) > 100, size
        small = [(t["text"], t["px"]) for t in texts if t["px"] < height / 50]
        assert small == [], size
        # The chart's and the map's text are among those measured.
        assert any(t["panel"] == "screen-trend-panel" and not t["title"] for t in texts), size
        labels = [t for t in texts if t["label"]]
        assert labels, size
        # 未诉先办: a tile per list and the hotspots, measured with the rest.
        proactive = [t["text"] for t in texts if t["panel"] == "screen-proactive-panel"]
        assert "社区清单" in proactive and {"新增热点", "加剧热点"} & set(proactive), (size, proactive)
        for panel in ("screen-kpis", "screen-trend-panel", "screen-ranking-panel", "screen-proactive-panel",
                      "screen-ticker-panel"):
            title = max(t["px"] for t in texts if t["panel"] == panel and t["title"])
            content = max(t["px"] for t in texts if t["panel"] == panel and not t["title"] and not t["figure"])
            assert title >= content, (size, panel, title, content)
        # Labels are whole inside the map and none overlaps another (a label's own lines may touch).
        for i, a in enumerate(labels):
            assert inside(a["box"], g["map"]), (size, a["text"])
            for b in labels[i + 1:]:
                assert a["tip"] == b["tip"] or not overlaps(a["box"], b["box"]), (size, a["text"], b["text"])
        # Workers by status, counted in the legend: the counts add up to the markers drawn.
        assert sum(int(c.replace(",", "")) for c in g["counts"]) == g["markers"] > 0, size
        if scope:
            # Inside a street its communities are named, and workers drawn.
            assert sum(t["community"] for t in labels) >= 5 and g["workersShown"], size
        else:
            # The district's five streets: five rows under the header and no blank space below them.
            assert g["rankRows"] == 6 and g["rankGap"] < 2, (size, g["rankRows"], g["rankGap"])
            names = {t["text"] for t in labels if not t["text"].startswith("网格员")}
            assert names == {"王哥庄街道", "北宅街道", "沙子口街道", "中韩街道", "金家岭街道"}
            # Workers are counted per street in the labels instead of drawn; every one is counted once.
            per_street = [int(t["text"].split()[1].replace(",", "")) for t in labels if t["text"].startswith("网格员")]
            assert len(per_street) == 5 and sum(per_street) == g["markers"], (size, per_street)
            assert g["workersShown"] is False
        numbers = [int(n.replace(",", "")) for n in g["heatScale"]]
        assert len(numbers) == 3 and numbers[0] == 0 < numbers[1] < numbers[2], g["heatScale"]
    assert dash_duo.get_logs() == []
