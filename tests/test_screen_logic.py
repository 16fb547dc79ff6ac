"""Big-screen logic without a browser: the query, the tour, the ticker, the figures, assets and the redirect."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dashboard.ui import figures
from dashboard.ui import screen as screen_page
from dashboard.view import screen
from geo.access import SYSTEM
from geo.domain import WORKER_STATUSES
from geo.kpis import KPI_LABELS
from geo.scope import DISTRICT, Scope
from geo.store.store import Store
from layers import heat, workers
from tests.conftest import client_of

ASSETS = Path(__file__).resolve().parent.parent / "assets"
STREET = Scope("street", "370212002")


@pytest.fixture
def store(seeded_sqlite_path):
    s = Store(f"sqlite:///{seeded_sqlite_path}")
    yield s
    s.dispose()


@pytest.fixture
def client(seeded_sqlite_path, make_app):
    return client_of(make_app(f"sqlite:///{seeded_sqlite_path}"))


# -- the query ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected", "problem"),
    [
        (None, 7, False),
        ([""], 7, False),
        (["30"], 30, False),
        (["5"], 5, False),
        (["3600"], 3600, False),
        (["4"], 7, True),
        (["3601"], 7, True),
        (["abc"], 7, True),
        (["-10"], 7, True),
        (["1e3"], 7, True),
        (["10", "20"], 7, True),
    ],
)
def test_seconds_are_whole_and_in_range(raw, expected, problem):
    value, why = screen.parse_seconds(raw, "refresh", 7, (5, 3600))
    assert value == expected
    assert (why is not None) == problem


def test_tour_zero_means_off_and_only_zero_escapes_the_range():
    assert screen.parse_seconds(["0"], "tour", 0, (5, 3600), zero_is_off=True) == (0, None)
    value, why = screen.parse_seconds(["2"], "tour", 0, (5, 3600), zero_is_off=True)
    assert value == 0 and "轮播间隔 2 秒" in why and "0 为关闭" in why


def test_a_good_link_keeps_the_dashboard_view_and_the_timers(store):
    query = screen.parse_screen("?scope=street&id=370212002&from=2026-10-01&to=2026-11-01&kind=development"
                                "&tour=30&refresh=120", store, SYSTEM)
    assert query.problems == () and query.banner == ""
    assert query.state.scope == STREET
    assert query.state.window.start == date(2026, 10, 1)
    assert query.state.filters.kind == ("development",)
    assert (query.tour, query.refresh) == (30, 120)


def test_defaults_without_a_query():
    query = screen.parse_screen("")
    assert (query.tour, query.refresh, query.problems) == (0, screen.DEFAULT_REFRESH, ())
    assert query.state.scope == DISTRICT


@pytest.mark.parametrize(
    ("search", "named"),
    [
        ("?scope=street&id=999", "999"),
        ("?scope=street&id=370212999", "370212999"),
        ("?tour=abc", "轮播间隔"),
        ("?refresh=1", "刷新间隔"),
        ("?metric=vibes", "着色指标"),
        ("?from=2026-13-01", "起始日期"),
        ("?" + "x" * 3000, "过长"),
    ],
)
def test_a_bad_link_falls_back_to_defaults_and_says_why(store, search, named):
    query = screen.parse_screen(search, store, SYSTEM)
    assert query.problems and named in query.banner
    assert query.banner.startswith("链接参数有误")
    # Chinese throughout: the only Latin letters are in what the link itself holds, quoted back.
    assert not re.search(r"[A-Za-z]{2,}", re.sub(r"“[^”]*”", "", query.banner)), query.banner
    default = screen.parse_screen("")
    if "tour" not in search and "refresh" not in search:
        assert query.state == default.state
    assert query.refresh in (screen.DEFAULT_REFRESH,) and query.tour == 0


def test_bad_timers_do_not_discard_a_good_view(store):
    query = screen.parse_screen("?scope=street&id=370212002&tour=abc&refresh=99999", store, SYSTEM)
    assert query.state.scope == STREET
    assert len(query.problems) == 2


# -- the tour -------------------------------------------------------------------


def test_tour_visits_the_district_then_each_street_and_comes_back(store):
    stops = screen.tour_stops(store, SYSTEM)
    assert stops[0] == DISTRICT and len(stops) == 6
    assert all(s.level == "street" for s in stops[1:])
    seen = [screen.tour_scope(stops, DISTRICT, step) for step in range(13)]
    assert seen[:6] == stops and seen[6:12] == stops and seen[12] == DISTRICT


def test_tour_starts_at_the_links_own_scope(store):
    stops = screen.tour_stops(store, SYSTEM)
    start = stops[3]
    assert screen.tour_scope(stops, start, 0) == start
    assert screen.tour_scope(stops, start, 1) == stops[4]
    community = Scope("community", "370212002001")
    assert screen.tour_scope(stops, community, 0) == community
    assert screen.tour_scope(stops, community, 1) == stops[1]


@pytest.mark.parametrize(("raw", "step"), [(None, 0), (3, 3), (-1, 0), ("7", 0), (2.5, 0), (True, 0), ([1], 0)])
def test_tour_ticks_from_the_browser_are_checked(raw, step):
    assert screen.tour_step(raw) == step


@pytest.mark.parametrize(("viewport", "px"), [({"h": 1080, "text": 23.76}, 24), ({"h": 2160, "text": 47.52}, 48),
                                              ({"text": 400}, 400), ({"text": 401}, screen.DEFAULT_FONT),
                                              ({"text": "24"}, screen.DEFAULT_FONT), ({"text": -5}, screen.DEFAULT_FONT),
                                              ({"text": True}, screen.DEFAULT_FONT), (None, screen.DEFAULT_FONT),
                                              ({"h": 1080}, screen.DEFAULT_FONT)])
def test_chart_text_takes_the_pages_text_size_from_the_browser(viewport, px):
    """The chart's text is the page's (screen.css's type scale), never smaller; garbage gets a sane default."""
    assert screen.font_size(viewport) == px


# -- what the panels show -----------------------------------------------------------


def test_ranking_shows_the_worst_units_and_says_how_many():
    rows = [{"name": f"社区{i}"} for i in range(20)]
    shown, note = screen.ranking_rows(rows)
    assert shown == rows[: screen.RANKING_ROWS] and "共 20 个" in note and f"最低的 {screen.RANKING_ROWS} 个" in note
    assert screen.ranking_rows(rows[:5]) == (rows[:5], "共 5 个，按办结率由低到高")
    assert screen.ranking_rows([]) == ([], "当前层级没有下级单位")


def test_kpi_texts_read_like_the_main_pages_cards():
    def kpi(value):
        return {"value": value, "numerator": 0, "denominator": None}

    now = {"accepted": kpi(1234), "closed": kpi(1100), "closure_rate": kpi(0.9234), "on_time_rate": kpi(0.8),
           "response_rate": kpi(0.95), "resolution_rate": kpi(None), "satisfaction_rate": kpi(0.9),
           "overdue_open": kpi(12), "mean_hours_to_close": kpi(30.0)}
    before = {**now, "accepted": kpi(1000), "closure_rate": kpi(0.9), "on_time_rate": kpi(0.8),
              "satisfaction_rate": kpi(0.95), "overdue_open": kpi(10), "mean_hours_to_close": kpi(40.0)}
    summary = {"kpis": now, "comparisons": {"previous": {"kpis": before}, "year_ago": {"kpis": None}}}
    texts = {key: row[:3] for key, row in zip(KPI_LABELS, screen.kpi_texts(summary), strict=True)}
    assert texts == {
        "accepted": ("1,234", "↑ 23.4%", "screen-kpi-delta up"),
        "closed": ("1,100", "持平", "screen-kpi-delta flat"),
        "closure_rate": ("92.3", "↑ 2.3 个百分点", "screen-kpi-delta up-good"),
        "on_time_rate": ("80.0", "持平", "screen-kpi-delta flat"),
        "response_rate": ("95.0", "持平", "screen-kpi-delta flat"),
        "resolution_rate": ("—", "—", "screen-kpi-delta"),
        "satisfaction_rate": ("90.0", "↓ 5.0 个百分点", "screen-kpi-delta down-bad"),
        "overdue_open": ("12", "↑ 20.0%", "screen-kpi-delta up-bad"),
        "mean_hours_to_close": ("30.0", "↓ 25.0%", "screen-kpi-delta down-good"),
    }
    assert {row[3:] for row in screen.kpi_texts(summary)} == {("去年同期无数据", "screen-kpi-delta none")}


def test_dark_trend_is_a_plain_dict_sized_by_its_panel():
    days = [{"day": (date(2026, 11, 1) + timedelta(days=i)).isoformat(), "accepted": 10 + i, "closed": 8 + i}
            for i in range(10)]
    figure = screen_page.dark_trend(days, 24)
    assert isinstance(figure, dict) and "height" not in figure["layout"]
    assert figure["layout"]["font"]["size"] == 24 and figure["layout"]["font"]["color"] == screen_page.DARK_INK
    assert [t["type"] for t in figure["data"]] == ["scatter", "scatter"]
    assert figure["data"][0]["y"] == [d["accepted"] for d in days]
    empty = screen_page.dark_trend([], 24)
    assert empty["data"] == [] and empty["layout"]["annotations"][0]["font"]["color"] == screen_page.DARK_INK


def test_panels_keep_a_bounded_number_of_rows():
    """A bounded DOM: a days-long run only ever changes text (the ranking has as many rows as units, at most
    RANKING_ROWS, so five streets leave no blank rows; the ticker a fixed number)."""
    assert len(screen_page.ranking_body([])) == 1
    rows = [{"name": "甲", "accepted": 1200, "closure_rate": 0.8, "satisfaction_rate": None, "overdue_open": 3}] * 30
    assert len(screen_page.ranking_body(rows[:5])) == 5 + 1
    body = screen_page.ranking_body(rows)
    assert len(body) == screen.RANKING_ROWS + 1
    assert [c.children for c in body[1].children] == ["1. 甲", "1,200", "80.0%", "—", "3"]
    assert len(screen_page.ticker_body([])) == screen.TICKER_ROWS


@pytest.mark.parametrize(("rate", "flagged"), [(0.0, True), (0.5, True), (0.8999, True), (0.9, False), (1.0, False),
                                               (None, False)])
def test_low_closure_rates_are_flagged_on_the_wall_and_the_page_alike(rate, flagged):
    """0% is the lowest rate there is, so it is flagged; no appeals at all (None) is not a rate."""
    row = {"level": "community", "code": "370212002001", "name": "甲", "accepted": 10 if rate is not None else 0,
           "closure_rate": rate, "on_time_rate": None, "satisfaction_rate": None, "overdue_open": 0}
    wall_cell = screen_page.ranking_body([row])[1].children[2]
    assert (wall_cell.className == "bad") is flagged
    page_cell = figures.ranking_table([row], lambda level, code: "/").children.children[1].children[0].children[2]
    assert (page_cell.className == "bad") is flagged


# -- served pages, assets and the redirect ---------------------------------------------


def test_mode_screen_redirects_keeping_the_other_parameters(client):
    response = client.get("/?mode=screen&scope=street&id=370212002&kind=development,livelihood")
    assert response.status_code == 302
    assert response.headers["Location"] == "/screen/?scope=street&id=370212002&kind=development,livelihood"
    assert client.get("/?mode=screen").headers["Location"] == "/screen/"
    assert client.get("/?mode=other").status_code == 200
    assert client.get("/?scope=street&id=370212002").status_code == 200


def test_each_page_loads_only_its_own_stylesheet_and_nothing_from_a_cdn(client):
    main = client.get("/").get_data(as_text=True)
    wall = client.get("/screen/").get_data(as_text=True)
    assert "/assets/style.css" in main and "screen.css" not in main and "screen.js" not in main
    assert "/screen/assets/screen.css" in wall and "style.css" not in wall
    for page in (main, wall):
        assert "plotly-basic-4.1.1.min.js" in page and "map.js" in page
        assert not re.search(r"""(src|href)="(https?:)?//""", page)


def test_every_screen_css_rule_is_scoped_under_screen():
    css = re.sub(r"/\*.*?\*/", "", (ASSETS / "screen.css").read_text(), flags=re.S)
    css = re.sub(r"@media[^{]*\{", "", css)  # the media blocks' own rules are checked like the rest
    selectors = [s.strip() for block in re.findall(r"([^{}]+)\{", css) for s in block.split(",")]
    assert selectors
    assert all(s.startswith(".screen") for s in selectors), [s for s in selectors if not s.startswith(".screen")]


def test_screen_workers_are_positions_only(seeded_store):
    items = seeded_store.workers(DISTRICT, viewer=SYSTEM)["items"]
    named = workers.feature_collection(items)
    anonymous = workers.feature_collection(items, names=False)
    assert len(named["features"]) == len(anonymous["features"]) > 0
    assert "tooltip" in named["features"][0]["properties"]
    assert all(set(f["properties"]) == {"type", "status"} for f in anonymous["features"])
    patched = {"features": [{"geometry": {}, "properties": {}} for _ in anonymous["features"]]}
    moved = workers.position_patch(patched, workers.placed_keys(items), [{**items[0], "status": "offline"}], names=False)
    assert moved == 1 and "tooltip" not in patched["features"][0]["properties"]


# -- the map's heat ramp and worker shapes ----------------------------------------------


def test_each_base_has_one_heat_ramp_and_its_legend_is_drawn_from_it():
    mask = np.ones((heat.SHAPE[1], heat.SHAPE[0]), dtype=bool)
    cells = [(100, 100, 40), (30, 30, 5)]
    images = {ramp: np.asarray(Image.open(io.BytesIO(heat.render(cells, mask, ramp=ramp).png)).convert("RGBA"))
              for ramp in heat.RAMPS}
    for ramp, stops in heat.RAMPS.items():
        # The hottest pixel has the ramp's top colour; the legend's gradient lists the same stops.
        top = images[ramp].reshape(-1, 4)[images[ramp][..., 3].argmax()]
        nearest = np.abs(stops[:, 1:4] - top[:3].astype(float)).sum(axis=1).argmin()
        assert nearest == len(stops) - 1, (ramp, top)  # the upscaling blurs it a little
        gradient = heat.css_gradient(ramp)
        assert gradient.count("rgba(") == len(stops)
        for t, r, g, b, _a in stops:
            assert f"rgba({r:.0f}, {g:.0f}, {b:.0f}," in gradient and f" {t * 100:.0f}%" in gradient
    assert not np.array_equal(images["light"], images["dark"])
    # Over the wall's dark base (#0a1628, the image at 85 %), more appeals always look brighter with the dark
    # ramp; the light ramp's hottest spots would be its darkest (dark red on navy), the "muddy" look.
    base = np.array([10, 22, 40])

    def luminance_on_dark(stop):
        alpha = stop[4] / 255 * 0.85
        return (stop[1:4] * alpha + base * (1 - alpha)) @ np.array([0.2126, 0.7152, 0.0722])

    def brighter_each_step(ramp):
        shown = [luminance_on_dark(stop) for stop in heat.RAMPS[ramp][1:]]
        return all(a < b for a, b in zip(shown, shown[1:], strict=False))

    assert brighter_each_step("dark")
    assert not brighter_each_step("light")


def test_heat_legend_numbers_sit_where_the_image_puts_them():
    """The ramp is a square-root scale: its middle is a quarter of the peak, and the image agrees."""
    assert heat.scale_ticks(400.0) == [(0.0, 0.0), (0.5, 100.0), (1.0, 400.0)]
    mask = np.ones((heat.SHAPE[1], heat.SHAPE[0]), dtype=bool)
    smooth = heat.density([(100, 100, 50)]) * mask
    peak = smooth.max() / heat.cell_area_km2()
    _t, quarter = heat.scale_ticks(peak)[1]
    level = np.sqrt(quarter * heat.cell_area_km2() / smooth.max())
    assert level == pytest.approx(0.5)
    assert screen_page.heat_scale(peak)[2].children == f"{peak:,.0f}"
    assert [s.children for s in screen_page.heat_scale(None)] == ["暂无诉求"]


def test_heat_image_takes_a_known_ramp_only(client):
    light = client.get("/api/map/heat.png")
    dark = client.get("/api/map/heat.png?ramp=dark")
    assert light.status_code == dark.status_code == 200 and light.data != dark.data
    assert client.get("/api/map/heat.png?ramp=light").data == light.data
    assert client.get("/api/map/heat.png?ramp=neon").status_code == 400


def test_wall_workers_have_a_colour_and_a_shape_per_status_drawn_in_the_browser_and_the_legend():
    assert list(workers.WALL_STATUS_STYLE) == list(WORKER_STATUSES)
    shapes = [style["shape"] for style in workers.WALL_STATUS_STYLE.values()]
    colours = [style["color"] for style in workers.WALL_STATUS_STYLE.values()]
    assert len(set(shapes)) == len(set(colours)) == len(WORKER_STATUSES)
    js = (ASSETS / "screen.js").read_text()
    css = (ASSETS / "screen.css").read_text()
    for shape in shapes:
        assert f".screen-marker.{shape}" in css
        assert shape == "circle" or f"{shape}: [[" in js  # circles are Leaflet's own
    legend = screen_page.map_legend()
    assert "件/km²" in str(legend) and all(label in str(legend) for label in WORKER_STATUSES.values())
