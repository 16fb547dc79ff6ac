"""Layer builders and callback logic as plain functions (no browser)."""

from __future__ import annotations

import io
import re
import threading
import time
from datetime import date

import numpy as np
import pytest
import shapely
from PIL import Image

from callbacks.map import heat_bounds
from callbacks.navigation import controls_from_state, drill_target, state_from_controls
from callbacks.panels import crumbs, scope_href
from dashboard.ui import figures, ids
from dashboard.view.data import cached, gather, grid_style, sums_by_unit, worker_counts
from dashboard.view.mapview import fly_to, layer_urls
from dashboard.view.shared_cache import ViewCache
from dashboard.view.state import ViewState, preset_window
from dashboard.view.text import compared_value, kpi_delta
from geo.access import SYSTEM, Viewer
from geo.scope import DISTRICT, Filters, InvalidQuery, Scope, Window
from geo.store import rollups
from geo.store.errors import Forbidden
from geo.store.store import Store
from layers import choropleth, heat
from layers import workers as worker_layer
from tests.conftest import SEED_END

TODAY = date(2026, 11, 27)


def test_view_state_round_trips_through_the_url():
    search = "?scope=street&id=370212002&from=2026-11-01&to=2026-11-28&kind=livelihood&source=hotline_12345,wechat&metric=overdue_open"
    state = ViewState.from_search(search, TODAY)
    assert state.scope == Scope("street", "370212002")
    assert state.window == Window(date(2026, 11, 1), date(2026, 11, 28))
    assert state.filters == Filters(kind=("livelihood",), source=("hotline_12345", "wechat"))
    assert ViewState.from_search(state.to_search(), TODAY) == state
    # No dates: the last 30 days, moving with today; the URL stays without dates, the data key has them.
    default = ViewState.from_search("", TODAY)
    assert (default.window, default.preset) == (Window(date(2026, 10, 29), date(2026, 11, 28)), "30d")
    assert default.to_search() == ""
    assert default.data_search() == "?from=2026-10-29&to=2026-11-28"


CONTROLS = {"preset": None, "start": None, "end": None, "kind": [], "category": [], "source": [], "status": [],
            "metric": "density", "layers": ["grids", "boundaries", "heat", "workers", "hotspots"], "professional": None}


def test_a_quick_range_moves_with_the_days():
    """``range=7d`` is the last 7 days whatever the day; after a filter or a drill-down it stays a range."""
    state = ViewState.from_search("?scope=street&id=370212002&range=7d", TODAY)
    assert state.window == Window(date(2026, 11, 21), date(2026, 11, 28))
    assert ViewState.from_search(state.to_search(), date(2026, 12, 5)).window == Window(date(2026, 11, 29), date(2026, 12, 6))
    assert state.to_search() == "?scope=street&id=370212002&range=7d"
    assert state.data_search() == "?scope=street&id=370212002&from=2026-11-21&to=2026-11-28"
    filtered = state_from_controls(state, ids.KIND, {**CONTROLS, "preset": "7d", "kind": ["livelihood"]}, TODAY)
    assert "range=7d" in filtered.to_search() and "from=" not in filtered.to_search()
    assert "range=7d" in filtered.with_scope(Scope("community", "370212002001")).to_search()
    # Picking dates fixes them; picking a quick range moves again.
    picked = state_from_controls(filtered, ids.DATE_RANGE, {**CONTROLS, "start": "2026-11-01", "end": "2026-11-10"}, TODAY)
    assert picked.preset == "" and "from=2026-11-01&to=2026-11-11" in picked.to_search()
    back = state_from_controls(picked, ids.PRESET, {**CONTROLS, "preset": "month"}, TODAY)
    assert (back.preset, back.window) == ("month", Window(date(2026, 11, 1), date(2026, 11, 28)))
    assert "range=month" in back.to_search()


@pytest.mark.parametrize("search,words", [("?range=forever", "forever"), ("?range=7d&from=2026-11-01", "二选一")])
def test_a_quick_range_refuses_nonsense(search, words):
    with pytest.raises(InvalidQuery, match=words):
        ViewState.from_search(search, TODAY)


@pytest.mark.parametrize(
    "search,words",
    [("?scope=street&id=1", "9 位数字"), ("?layers=grids,lasers", "lasers"), ("?metric=vibes", "vibes"),
     ("?pro=army", "army"), ("?status=lost", "lost"), ("?from=2026-12-01&to=2026-11-01", "晚于")],
)
def test_view_state_rejects_forged_urls(search, words):
    with pytest.raises(InvalidQuery, match=words) as refused:
        ViewState.from_search(search, TODAY)
    # The notice is Chinese: Latin letters only inside the quoted value the link held.
    assert not re.search(r"[A-Za-z]{2,}", re.sub(r"“[^”]*”", "", str(refused.value))), refused.value


def test_presets():
    assert preset_window("today", TODAY) == Window(TODAY, date(2026, 11, 28))
    assert preset_window("7d", TODAY) == Window(date(2026, 11, 21), date(2026, 11, 28))
    assert preset_window("month", TODAY) == Window(date(2026, 11, 1), date(2026, 11, 28))
    assert preset_window("year", TODAY) == Window(date(2026, 1, 1), date(2026, 11, 28))
    # The highlighted button says whether the window moves: a quick range's, else 自定义 (fixed dates, even
    # when they equal a quick range's today: clicking that range then makes it move).
    assert controls_from_state(ViewState.from_search("", TODAY), TODAY)[0] == "30d"
    assert controls_from_state(ViewState.from_search("?from=2026-10-29&to=2026-11-28", TODAY), TODAY)[0] == "custom"


def test_controls_write_the_state():
    current = ViewState.from_search("?scope=street&id=370212001", TODAY)
    values = {"preset": "7d", "start": None, "end": None, "kind": ["enforcement"], "category": [], "source": None,
              "status": ["closed"], "metric": "closure_rate", "layers": ["heat", "grids"], "professional": "police"}
    new = state_from_controls(current, ids.PRESET, values, TODAY)
    assert new.scope == current.scope
    assert new.window == preset_window("7d", TODAY)
    assert new.filters == Filters(kind=("enforcement",), status=("closed",))
    assert new.layers == ("grids", "heat")  # canonical order
    assert (new.metric, new.professional) == ("closure_rate", "police")
    custom = state_from_controls(current, ids.DATE_RANGE, {**values, "start": "2026-11-03", "end": "2026-11-05"}, TODAY)
    assert custom.window == Window(date(2026, 11, 3), date(2026, 11, 6))  # the picker's end day is included
    cleared = state_from_controls(new, ids.PROFESSIONAL, {**values, "professional": None, "metric": None}, TODAY)
    assert (cleared.professional, cleared.metric) == ("", "density")  # clearing a control clears the URL
    controls = controls_from_state(custom, TODAY)
    assert controls[:3] == ("custom", "2026-11-03", "2026-11-05")


def test_drill_target_comes_from_the_clicked_code():
    assert drill_target({"properties": {"code": "370212003"}}) == Scope("street", "370212003")
    assert drill_target({"properties": {"code": "370212003004001"}}) == Scope("grid", "370212003004001")
    assert drill_target(None) is None
    assert drill_target({"properties": {"code": "12"}}) is None
    with pytest.raises(InvalidQuery):
        drill_target({"properties": {"code": "999999999"}})


def test_breadcrumb_links_keep_window_and_filters():
    state = ViewState.from_search("?scope=grid&id=370212001001001&from=2026-11-01&to=2026-11-08&kind=livelihood", TODAY)
    lineage = [{"level": "district", "code": "370212", "name": "崂山区"},
               {"level": "street", "code": "370212001", "name": "中韩街道"},
               {"level": "community", "code": "370212001001", "name": "中韩社区"},
               {"level": "grid", "code": "370212001001001", "name": "中韩社区第1网格"}]
    out = crumbs(state, lineage, SYSTEM)
    assert out[0] == ("崂山区", "/?from=2026-11-01&to=2026-11-08&kind=livelihood")
    assert out[1][1] == "/?scope=street&id=370212001&from=2026-11-01&to=2026-11-08&kind=livelihood"
    assert out[-1] == ("中韩社区第1网格", None)
    street = crumbs(state, lineage, Viewer("street", Scope("street", "370212001")))
    assert street[0] == ("崂山区", None) and street[1][1] == out[1][1]  # no link above the viewer's own unit
    assert scope_href(state, "street", "370212005").startswith("/?scope=street&id=370212005&")


def test_layer_urls_follow_the_view_and_crs():
    state = ViewState.from_search("?scope=street&id=370212002&from=2026-11-01&to=2026-11-08", TODAY)
    urls = layer_urls(state, "wgs84", "v1")
    assert urls["units"] == "/api/geo/community.geojson?parent=370212002"
    assert urls["heat"] == "/api/map/heat.png?scope=street&id=370212002&from=2026-11-01&to=2026-11-08&v=v1"
    gcj = layer_urls(state, "gcj02", "v1")
    assert all("crs=gcj02" in gcj[k] for k in ("grids", "units", "outline", "land"))
    grid = ViewState.from_search("?scope=grid&id=370212002001001", TODAY)
    assert layer_urls(grid, "wgs84", "v")["units"] == "/api/geo/grid.geojson?parent=370212002001"  # siblings
    (s, w), (n, e) = heat_bounds("gcj02")
    assert 0.004 < w - heat.BOUNDS[0][1] < 0.0055 and abs(s - heat.BOUNDS[0][0]) < 0.001


def test_choropleth_values_and_classes():
    counts = {"g1": {"accepted": 10, "closed": 9, "overdue_open": 1, "rated": 4, "satisfied": 4},
              "g2": {"accepted": 0, "closed": 0, "overdue_open": 0, "rated": 0, "satisfied": 0}}
    areas = {"g1": 2.0, "g2": 0.5, "g3": 1.0}
    assert choropleth.metric_values("density", counts, areas) == {"g1": 5.0, "g2": 0.0, "g3": 0.0}
    assert choropleth.metric_values("closure_rate", counts, areas) == {"g1": 0.9, "g2": None, "g3": None}
    assert choropleth.metric_values("overdue_open", counts, areas) == {"g1": 1, "g2": 0, "g3": 0}
    style = choropleth.hideout("closure_rate", {"g1": 0.9}, "370212")
    assert style["breaks"] == choropleth.RATE_BREAKS and len(style["colors"]) == 5
    items = choropleth.legend_items(style)
    assert items[0][1] == "< 80%" and items[-2][1] == "≥ 98%" and items[-1][1] == "无数据"
    breaks = choropleth.class_breaks("density", {f"g{i}": float(i) for i in range(1, 101)})
    assert breaks == sorted(breaks) and len(breaks) == 4


def test_heat_image_is_bounded_smooth_and_clipped_to_land():
    land = shapely.box(120.45, 36.10, 120.60, 36.25)
    mask = rollups.cells_inside(land)
    rng = np.random.default_rng(0)
    # 1,000,000 appeals' worth of cells: the lattice caps what the server sends and draws.
    cells = [(int(c), int(r), int(n)) for c, r, n in zip(rng.integers(30, 140, 20000), rng.integers(30, 140, 20000),
                                                          rng.integers(1, 100, 20000), strict=True)]
    result = heat.render(cells, mask)
    image = Image.open(io.BytesIO(result.png))
    assert image.size == (heat.SHAPE[0] * heat.UPSCALE, heat.SHAPE[1] * heat.UPSCALE)
    assert len(result.png) < 150_000
    alpha = np.asarray(image)[..., 3]
    assert alpha.max() > 200  # something is hot
    assert alpha[0, 0] == 0 and alpha[-1, -1] == 0  # outside the land box: transparent
    assert result.total == sum(n for _, _, n in cells)
    empty = heat.render([], mask)
    assert np.asarray(Image.open(io.BytesIO(empty.png)))[..., 3].max() == 0 and empty.peak_per_km2 == 0


def _summary(now: dict, previous: dict | None, year_ago: dict | None = None) -> dict:
    def wrap(values):
        return None if values is None else {k: {"value": v} for k, v in values.items()}

    return {"kpis": wrap(now), "comparisons": {"previous": {"kpis": wrap(previous)}, "year_ago": {"kpis": wrap(year_ago)}}}


def test_kpi_deltas_know_good_from_bad():
    assert kpi_delta("closure_rate", _summary({"closure_rate": 0.95}, {"closure_rate": 0.90}), "previous") == (
        "环比 ↑ 5.0 个百分点", "up-good")
    assert kpi_delta("overdue_open", _summary({"overdue_open": 12}, {"overdue_open": 10}), "previous") == (
        "环比 ↑ 20.0%", "up-bad")
    assert kpi_delta("mean_hours_to_close", _summary({"mean_hours_to_close": 30.0}, {"mean_hours_to_close": 40.0}),
                     "previous")[1] == "down-good"
    assert kpi_delta("accepted", _summary({"accepted": 5}, {"accepted": 5}), "previous") == ("环比 持平", "flat")
    assert kpi_delta("closure_rate", _summary({"closure_rate": 0.5}, {"closure_rate": None}), "previous") == (
        "环比 —", "")


def test_a_comparison_without_data_says_so_instead_of_a_rise_from_nothing():
    summary = _summary({"accepted": 269_820}, None, None)
    assert kpi_delta("accepted", summary, "previous") == ("环比 上期无数据", "none")
    assert kpi_delta("accepted", summary, "year_ago") == ("同比 去年同期无数据", "none")
    assert compared_value("accepted", summary, "previous") == "无数据"


def test_empty_results_render_an_empty_state():
    assert figures.trend_figure([])["layout"]["annotations"][0]["text"] == "当前条件下暂无数据"
    assert figures.funnel({})["layout"]["annotations"]
    assert figures.donut({}, {})["layout"]["annotations"]
    table = figures.ranking_table([], lambda level, code: "/")
    assert "没有下级单位" in str(table.children)


def test_funnel_counts_appeals_that_reached_each_stage():
    fig = figures.funnel({"accepted": 1, "dispatched": 2, "in_progress": 3, "closed": 4})
    assert fig["data"][0]["x"] == [4, 4, 4, 7, 9, 10]  # drawn bottom-up: 办结 … 受理
    assert fig["data"][0]["y"][-1] == "受理"


def test_worker_points_skip_missing_positions():
    items = [{"id": "W1", "name": "王*", "type": "full_time", "status": "patrolling", "grid_code": "g", "lon": 120.5,
              "lat": 36.1},
             {"id": "W2", "name": "李*", "type": "window", "status": "offline", "grid_code": "g", "lon": None, "lat": None}]
    fc = worker_layer.feature_collection(items)
    assert len(fc["features"]) == 1
    assert fc["features"][0]["properties"]["tooltip"] == "王* · 专职网格员 · 巡查中"


class FakeStore:
    url = read_url = "memory://"

    def __init__(self):
        self.version = "a"

    def live_versions(self):
        return {"data": self.version, "positions": "p"}

    authorize = staticmethod(Store.authorize)  # the real access check


class DictCache(dict):
    def set(self, key, value):
        self[key] = value


def test_cache_serves_until_the_data_changes():
    store, calls = FakeStore(), []
    cache = ViewCache(store, DictCache())  # the real key and version logic over a dict

    def compute():
        calls.append(1)
        return len(calls)

    def ask(parts, viewer=SYSTEM, scope=DISTRICT):
        return cached(cache, store, "x", viewer, scope, parts, compute)

    assert ask(("q",)) == 1
    assert ask(("q",)) == 1  # served from the cache
    assert ask(("other",)) == 2
    store.version = "b"  # a write bumps the data version: old entries are unreachable
    assert ask(("q",)) == 3
    # A cached answer is never served to a viewer who may not see its scope; a viewer of a street gets its own entry.
    street = Viewer("street", Scope("street", "370212002"))
    with pytest.raises(Forbidden):
        ask(("q",), viewer=street)
    assert ask(("q",), viewer=street, scope=street.scope) == 4


@pytest.mark.parametrize("with_cache", [False, True])
def test_a_view_asks_the_same_question_once_even_at_the_same_moment(with_cache):
    """The choropleth and the ranking both need the per-grid sums, in parallel: one read, cache or not."""
    store, calls, both_waiting = FakeStore(), [], threading.Barrier(2)
    cache = ViewCache(store, DictCache()) if with_cache else None

    def compute():
        calls.append(1)
        time.sleep(0.2)  # still computing when the other asks
        return "sums"

    def ask():
        both_waiting.wait()
        return cached(cache, store, "grid_counts", SYSTEM, DISTRICT, ("q",), compute)

    assert gather(ask, ask) == ["sums", "sums"]
    assert len(calls) == 1
    # Shared only within that view: the next one reads again (or hits the cache).
    assert cached(cache, store, "grid_counts", SYSTEM, DISTRICT, ("q",), compute) == "sums"
    assert len(calls) == (1 if with_cache else 2)


def test_a_failed_shared_read_fails_every_asker():
    store = FakeStore()

    def compute():
        time.sleep(0.1)
        raise RuntimeError("数据库不可用")

    def ask():
        return cached(None, store, "x", SYSTEM, DISTRICT, (), compute)

    with pytest.raises(RuntimeError, match="数据库不可用"):
        gather(ask, ask)


def test_a_question_asked_again_while_computing_it_does_not_wait_for_itself():
    """Nested asks (in the same thread, or in a gather the computation starts) compute instead of waiting on
    an answer that waits on them; other questions asked meanwhile are still shared."""
    store = FakeStore()

    def ask(name, compute):
        return cached(None, store, name, SYSTEM, DISTRICT, (), compute)

    def inner():
        return ask("x", lambda: 1) + ask("y", lambda: 10)

    def outer():
        return inner() + sum(gather(lambda: ask("x", lambda: 100), lambda: ask("y", lambda: 1000)))

    done = []
    worker = threading.Thread(target=lambda: done.append(gather(lambda: ask("x", outer))), daemon=True)
    worker.start()
    worker.join(10)
    assert done == [[1 + 10 + 100 + 10]], "a nested ask waited for itself"


def test_the_grids_sums_add_up_to_each_unit():
    grids = {"370212001001001": {"accepted": 2, "closed": 1}, "370212001001002": {"accepted": 3, "closed": 3},
             "370212001002001": {"accepted": 1, "closed": 0}, "370212002001001": {"accepted": 4, "closed": 2}}
    assert sums_by_unit(grids, "street") == {"370212001": {"accepted": 6, "closed": 4},
                                             "370212002": {"accepted": 4, "closed": 2}}
    assert sums_by_unit(grids, "community") == {"370212001001": {"accepted": 5, "closed": 4},
                                                "370212001002": {"accepted": 1, "closed": 0},
                                                "370212002001": {"accepted": 4, "closed": 2}}
    assert sums_by_unit(grids, "grid") == grids


def test_figures_are_valid_plotly():
    """Dict figures skip Plotly's validation at run time; validate them here instead."""
    import plotly.graph_objects as go

    panels = {"trend": [{"day": "2026-11-01", "accepted": 3, "closed": 2}], "kind": {"livelihood": 3},
              "source": {"wechat": 2, "hotline_12345": 1}, "category": {"noise": 3}, "status": {"closed": 2, "accepted": 1},
              "handling_level": {"community": 3}}
    basic = {"scatter", "bar", "pie"}  # the traces of the plotly-basic bundle the page ships
    for name, fig in figures.panel_figures(panels).items():
        go.Figure(fig)  # raises on any invalid property
        assert fig["data"], name
        assert {trace["type"] for trace in fig["data"]} <= basic, name
    go.Figure(figures.empty_figure())


@pytest.mark.parametrize(
    "values",
    [
        {"start": "garbage", "end": "2026-11-05"},
        {"kind": 5},
        {"kind": [{"x": 1}]},
        {"metric": "vibes"},
        {"professional": "army"},
        {"layers": "grids"},
    ],
)
def test_forged_control_values_are_refused(values):
    current = ViewState.from_search("", TODAY)
    base = {"preset": "custom", "start": "2026-11-01", "end": "2026-11-05", "kind": None, "category": None,
            "source": None, "status": None, "metric": "density", "layers": ["grids"], "professional": None}
    with pytest.raises(InvalidQuery):
        state_from_controls(current, ids.DATE_RANGE, {**base, **values}, TODAY)


@pytest.mark.parametrize("click", [{"properties": "x"}, {"properties": {"code": 370212001}}, "x", {"properties": {}}])
def test_forged_clicks_are_ignored(click):
    assert drill_target(click) is None


def test_appeal_rows_send_only_the_shown_columns():
    from callbacks.grid import appeal_rows
    from dashboard.ui.page import APPEAL_COLUMNS

    item = {"id": 7, "title": "噪音", "reporter_name": "张*", "reporter_phone": "138****5678",
            "accepted_at": "2026-11-20T09:30:00+08:00", "category": "noise", "status": "closed", "handling_level": "street",
            "source": "wechat", "lon": 120.5, "lat": 36.1, "description": "详细地址……", "source_ref": "LXB-1",
            "worker_id": "W00001", "department": "区生态环境分局"}
    (row,) = appeal_rows([item])
    assert set(row) == {c["field"] for c in APPEAL_COLUMNS}
    assert row["accepted_at"] == "2026-11-20 09:30" and row["category_label"] == "噪音扰民" and row["id"] == "7"


def test_small_units_scale_heat_like_their_street():
    from dashboard.view.data import scale_reference

    grid = ViewState.from_search("?scope=grid&id=370212005001001", TODAY)
    assert scale_reference(grid, SYSTEM).scope == Scope("street", "370212005")
    street = ViewState.from_search("?scope=street&id=370212005", TODAY)
    assert scale_reference(street, SYSTEM) == street
    community_viewer = Viewer("community", Scope("community", "370212005001"))
    assert scale_reference(grid, community_viewer).scope == community_viewer.scope  # never above what it may see
    mask = np.ones((heat.SHAPE[1], heat.SHAPE[0]), dtype=bool)
    own = heat.render([(50, 50, 2)], mask)
    scaled = heat.render([(50, 50, 2)], mask, reference_per_km2=own.peak_per_km2 * 10)
    alpha = lambda png: np.asarray(Image.open(io.BytesIO(png)))[..., 3].max()  # noqa: E731
    assert alpha(scaled.png) < alpha(own.png)


def test_trend_axis_steps_by_whole_counts_when_small():
    small = figures.trend_figure([{"day": "2026-11-01", "accepted": 2, "closed": 1}])
    assert small["layout"]["yaxis"]["dtick"] == 1
    big = figures.trend_figure([{"day": "2026-11-01", "accepted": 200, "closed": 150}])
    assert "dtick" not in big["layout"]["yaxis"]


def test_links_from_before_the_metric_renames_still_open():
    for old, new in (("overdue", "overdue_open"), ("satisfaction", "satisfaction_rate")):
        state = ViewState.from_search(f"?metric={old}", TODAY)
        assert state.metric == new and f"metric={new}" in state.to_search()


def test_layers_read_in_one_order_whatever_the_link_says():
    assert ViewState.from_search("?layers=workers,grids,workers", TODAY).layers == ("grids", "workers")
    assert ViewState.from_search("?layers=", TODAY).layers == ()


def daily(start: date, days: int) -> list[dict]:
    """A window of daily counts: accepted = the day's index, closed = 1 a day."""
    from datetime import timedelta

    return [{"day": (start + timedelta(days=i)).isoformat(), "accepted": i, "closed": 1} for i in range(days)]


def test_short_trends_stay_daily():
    unit, rows = figures.bucket_trend(daily(date(2026, 10, 1), figures.TREND_WEEK_AFTER))
    assert unit == "day" and len(rows) == figures.TREND_WEEK_AFTER
    assert "title" not in figures.trend_figure(daily(date(2026, 10, 1), 30))["layout"]["xaxis"]


def test_long_trends_sum_by_monday_weeks_and_keep_partial_edges_marked():
    trend = daily(date(2026, 6, 3), 90)  # a Wednesday, so the first week has 5 days
    unit, rows = figures.bucket_trend(trend)
    assert unit == "week"
    assert all(date.fromisoformat(r["day"]).weekday() == 0 for r in rows)
    assert sum(r["accepted"] for r in rows) == sum(d["accepted"] for d in trend)
    assert sum(r["closed"] for r in rows) == 90
    assert rows[0]["days"] == 5 and rows[0]["first"] == "2026-06-03" and rows[1]["days"] == 7
    assert sum(r["days"] for r in rows) == 90
    fig = figures.trend_figure(trend)
    assert fig["layout"]["xaxis"]["title"]["text"].startswith("按周")
    assert fig["data"][0]["customdata"][0] == "2026-06-03 至 2026-06-07（5 天）"


def test_trends_over_a_year_sum_by_month():
    trend = daily(date(2025, 1, 15), figures.TREND_MONTH_AFTER + 30)
    unit, rows = figures.bucket_trend(trend)
    assert unit == "month" and all(r["day"].endswith("-01") for r in rows)
    assert rows[0]["days"] == 17 and rows[1]["days"] == 28  # 15–31 Jan, all of February
    assert sum(r["accepted"] for r in rows) == sum(d["accepted"] for d in trend)
    fig = figures.trend_figure(trend)
    assert fig["layout"]["xaxis"]["title"]["text"].startswith("按月") and fig["layout"]["xaxis"]["tickformat"] == "%Y-%m"


def test_bars_carry_their_values_and_leave_room_for_them():
    fig = figures.bars({"wechat": 12345, "hotline_12345": 7}, {"wechat": "崂先办公众号", "hotline_12345": "12345热线"})
    trace = fig["data"][0]
    assert trace["text"] == ["7", "12,345"] and trace["textposition"] == "outside"
    assert fig["layout"]["margin"]["r"] > figures.bars({"wechat": 7}, {})["layout"]["margin"]["r"]


def test_donut_shares_are_in_the_legend_not_squeezed_into_slices():
    fig = figures.donut({"livelihood": 996, "development": 3, "enforcement": 1}, {"livelihood": "民生诉求", "development": "发展诉求"})
    assert fig["data"][0]["labels"] == ["民生诉求 >99%", "发展诉求 <1%", "enforcement <1%"]
    assert fig["data"][0]["textinfo"] == "none"
    assert figures.donut({"livelihood": 5}, {})["data"][0]["labels"] == ["livelihood 100%"]
    assert fig["layout"]["legend"]["font"]["size"] >= figures.MIN_TEXT_PX

def test_the_base_map_is_kept_in_the_url_and_refused_when_not_offered():
    state = ViewState.from_search("?scope=street&id=370212002&basemap=vector-dark", TODAY)
    assert state.basemap == "vector-dark"
    assert ViewState.from_search(state.to_search(), TODAY) == state
    # The view's data (cache keys, the heat image) does not change with the base map.
    assert "basemap" not in state.data_search() and "basemap" not in layer_urls(state, "wgs84", "v")["heat"]
    assert state.data_search() == ViewState.from_search("?scope=street&id=370212002", TODAY).data_search()
    with pytest.raises(InvalidQuery, match="底图“space”"):
        ViewState.from_search("?basemap=space", TODAY)
    with pytest.raises(InvalidQuery, match="底图“osm”"):  # a real provider this page does not offer
        ViewState.from_search("?basemap=osm", TODAY, basemaps=("vector-light", "vector-dark"))
    # The picker writes the URL; the default base map stays out of it; the URL sets the picker.
    offered = ("vector-light", "vector-dark")
    values = {"preset": None, "start": None, "end": None, "kind": [], "category": [], "source": [], "status": [],
              "metric": "density", "layers": list(state.layers), "professional": None}
    dark = state_from_controls(state, ids.BASEMAP, {**values, "basemap": "vector-dark"}, TODAY, offered)
    assert dark.basemap == "vector-dark" and "basemap=vector-dark" in dark.to_search()
    light = state_from_controls(dark, ids.BASEMAP, {**values, "basemap": "vector-light"}, TODAY, offered)
    assert light.basemap == "" and "basemap" not in light.to_search()
    assert controls_from_state(dark, TODAY, "vector-light")[-1] == "vector-dark"
    assert controls_from_state(light, TODAY, "vector-light")[-1] == "vector-light"
    with pytest.raises(InvalidQuery):
        state_from_controls(state, ids.BASEMAP, {**values, "basemap": ["vector-dark"]}, TODAY, offered)


def test_the_map_fits_a_unit_beside_the_legend():
    view = fly_to((120.4, 36.0, 120.7, 36.3), padding=24, duration=0.6, max_zoom=16, top_left=(24, 64),
                  bottom_right=(250, 24))
    assert view["bounds"] == [[36.0, 120.4], [36.3, 120.7]]
    assert view["options"]["paddingTopLeft"] == [24, 64] and view["options"]["paddingBottomRight"] == [250, 24]
    assert "padding" not in view["options"]
    assert fly_to((0, 0, 1, 1), padding=32, duration=1, max_zoom=15)["options"]["padding"] == [32, 32]


def test_worker_counts_per_child_unit(seeded_store):
    """Each street's (each community's) count is its workers' number by home grid, within the viewer's scope."""
    items = seeded_store.workers(DISTRICT, SYSTEM)["items"]
    by_street = worker_counts(seeded_store, DISTRICT, SYSTEM)
    assert sum(by_street.values()) == len(items) > 0 and all(len(code) == 9 for code in by_street)
    street = Scope("street", "370212002")
    by_community = worker_counts(seeded_store, street, SYSTEM)
    assert sum(by_community.values()) == by_street[street.code]
    assert all(code.startswith(street.code) and len(code) == 12 for code in by_community)
    viewer = Viewer("street", street)
    assert worker_counts(seeded_store, street, viewer) == by_community
    with pytest.raises(Forbidden):
        worker_counts(seeded_store, DISTRICT, viewer)


def test_the_choropleth_computes_and_colours_only_the_views_grids(seeded_store):
    """A street view sums its own grids, not the district's; a grid view colours its community's (drawn around
    it), a community or grid is classed among its street's; each value equals the district-wide computation's."""
    as_of = SEED_END
    street = ViewState.from_search("?scope=street&id=370212002&from=2026-10-01&to=2026-11-20", TODAY)
    whole = seeded_store.kpi_counts(DISTRICT, street.window, as_of, group_by="grid_code", viewer=SYSTEM)
    areas = seeded_store.grid_areas()
    style = grid_style(seeded_store, street, as_of, SYSTEM)
    assert style["scope"] == "370212002" and style["selected"] == ""
    assert set(style["values"]) == {c for c in areas if c.startswith("370212002")}
    assert style["values"] == {c: v for c, v in choropleth.metric_values(street.metric, whole, areas).items()
                               if c.startswith("370212002")}
    grid = street.with_scope(Scope("grid", "370212002001001"))
    style = grid_style(seeded_store, grid, as_of, SYSTEM)
    assert style["scope"] == "370212002001" and style["selected"] == "370212002001001"
    assert len(style["values"]) > 1 and all(c.startswith("370212002001") for c in style["values"])
    # A small unit is classed among its street's grids: two grids are not split into five classes.
    community = street.with_scope(Scope("community", "370212002001"))
    style = grid_style(seeded_store, community, as_of, SYSTEM)
    assert set(style["values"]) == {c for c in areas if c.startswith("370212002001")}
    street_values = choropleth.metric_values(street.metric, whole, {c: a for c, a in areas.items()
                                                                     if c.startswith("370212002")})
    assert style["breaks"] == choropleth.class_breaks(street.metric, street_values)
    # Someone who may see only the grid gets the grid alone, never its neighbours' figures.
    only_grid = Viewer("grid", Scope("grid", "370212002001001"), "网格员")
    assert set(grid_style(seeded_store, grid, as_of, only_grid)["values"]) == {"370212002001001"}
