"""对比 (units side by side) and 回放 (heat playback): URL state, the store reads they reuse, their rendering."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from dash import no_update

from callbacks.compare import picked_state, unit_options, visible_levels
from callbacks.playback import play_step
from dashboard.ui.compare_figures import kpi_table, kpi_text, trend_figure
from dashboard.view import data as view_data
from dashboard.view.compare import buckets, common_parent, compare
from dashboard.view.playback import playback_peak, step_heat_url, step_text, steps
from dashboard.view.state import ViewState
from dashboard.view.text import format_kpi
from geo import kpis as kpi_math
from geo.access import SYSTEM, Viewer
from geo.kpis import KPI_LABELS
from geo.scope import DISTRICT, Filters, InvalidQuery, Scope, Window
from geo.store.errors import Forbidden, NotFound
from layers import heat as heat_layer
from tests.conftest import SEED_END, client_of, component_texts

TODAY = date(2026, 11, 20)
ZHONGHAN, JINJIALING = "370212001", "370212005"
OCTOBER = Window(date(2026, 10, 1), date(2026, 11, 1))


# -- compare= in the URL ---------------------------------------------------------------------------


def test_compare_round_trips_through_the_url():
    state = ViewState.from_search(f"?from=2026-10-01&to=2026-11-01&compare={ZHONGHAN},{JINJIALING}", TODAY)
    assert state.compare == (ZHONGHAN, JINJIALING)
    assert ViewState.from_search(state.to_search(), TODAY) == state
    assert "compare=370212001,370212005" in state.to_search()
    appeal = ViewState.from_search("?scope=grid&id=370212001001001&appeal=42", TODAY)
    assert appeal.appeal == 42 and ViewState.from_search(appeal.to_search(), TODAY) == appeal
    assert appeal.with_scope(Scope("street", ZHONGHAN)).appeal is None  # another unit: the timeline stays behind


@pytest.mark.parametrize("value, words", [
    ("370212001", "2–4"), ("370212001,370212002,370212003,370212004,370212005", "2–4"),
    ("370212001,370212001001", "同一层级"), ("370212,370212", "2–4"), ("370212,370213", "不属于崂山区"),
    ("abc,def", "无法识别"), ("370212001,' OR 1=1", "无法识别"),
])
def test_forged_compare_values_are_refused(value, words):
    with pytest.raises(InvalidQuery, match=words):
        ViewState.from_search(f"?compare={value}", TODAY)


def test_forged_appeal_values_are_refused():
    for value in ("abc", "1" * 19, "-1", "1.5"):
        with pytest.raises(InvalidQuery, match="诉求编号"):
            ViewState.from_search(f"?appeal={value}", TODAY)


def test_compared_units_must_exist_and_be_visible(seeded_store):
    street = Viewer("street", Scope("street", ZHONGHAN))
    with pytest.raises(NotFound):
        view_data.parse_view(f"?compare={ZHONGHAN},370212009", seeded_store, SYSTEM)
    with pytest.raises(Forbidden):
        view_data.parse_view(f"?compare={ZHONGHAN},{JINJIALING}", seeded_store, street)
    mine = view_data.parse_view("?compare=370212001001,370212001002", seeded_store, street)
    assert mine.compare == ("370212001001", "370212001002")


def test_the_picker_offers_only_visible_units_and_writes_two_to_four(seeded_store):
    street = Viewer("street", Scope("street", ZHONGHAN))
    assert visible_levels(street) == ["community", "grid"] and visible_levels(SYSTEM) == ["street", "community", "grid"]
    options = unit_options(seeded_store, "community", street)
    assert options and all(o["value"].startswith(ZHONGHAN) for o in options)
    assert options[0]["label"].endswith("（中韩街道）")
    base = ViewState(DISTRICT, OCTOBER)
    assert picked_state(base, [ZHONGHAN]).compare == ()
    assert picked_state(base, [ZHONGHAN, JINJIALING, ZHONGHAN]).compare == (ZHONGHAN, JINJIALING)
    assert len(picked_state(base, ["370212001", "370212002", "370212003", "370212004", "370212005"]).compare) == 4
    for forged in ("370212001", [1, 2], [{"x": 1}], ["370212001", "370212001001"]):
        with pytest.raises(InvalidQuery):
            picked_state(base, forged)


# -- what 对比 shows: the store's own sums and the cards' formatting (both backends) --------------------


def test_compare_reuses_the_kpis_of_each_unit(seeded_store):
    state = ViewState(DISTRICT, OCTOBER, Filters(kind=("livelihood",)), compare=(JINJIALING, ZHONGHAN))
    doc = compare(seeded_store, state, SEED_END, SYSTEM)
    assert doc["step"] == "day" and [u["name"] for u in doc["units"]] == ["金家岭街道", "中韩街道"]
    for unit in doc["units"]:
        alone = seeded_store.kpis(Scope("street", unit["code"]), OCTOBER, SEED_END, state.filters, viewer=SYSTEM)["kpis"]
        assert unit["kpis"] == alone
        assert sum(b["accepted"] for b in unit["trend"]) == alone["accepted"]["value"] > 0
        assert len(unit["trend"]) == 31


def test_long_windows_compare_by_week_and_say_when_a_week_is_short(seeded_store):
    window = Window(date(2026, 9, 21), date(2026, 11, 26))  # 66 days: 9 weeks and 3 days
    state = ViewState(DISTRICT, window, compare=("370212001001", "370212001002"))
    doc = compare(seeded_store, state, SEED_END, SYSTEM)
    assert doc["step"] == "week"
    trend = doc["units"][0]["trend"]
    assert [b["days"] for b in trend] == [7] * 9 + [3]
    assert trend[0]["start"] == "2026-09-21" and trend[0]["end"] == "2026-09-27"
    figure = trend_figure(doc["units"], doc["step"])
    assert figure["data"][0]["customdata"][-1].endswith("（仅 3 天）")
    assert [t["name"] for t in figure["data"]] == [u["name"] for u in doc["units"]]


def test_common_parent_is_the_smallest_unit_holding_all():
    assert common_parent([Scope("street", ZHONGHAN), Scope("street", JINJIALING)]) == DISTRICT
    assert common_parent([Scope("community", "370212001001"), Scope("community", "370212001002")]) == \
        Scope("street", ZHONGHAN)
    assert common_parent([Scope("grid", "370212001001001"), Scope("grid", "370212001001002")]) == \
        Scope("community", "370212001001")
    assert common_parent([Scope("grid", "370212001001001"), Scope("grid", "370212005001001")]) == DISTRICT


def test_the_kpi_table_formats_like_the_cards():
    counts = {"accepted": 1234, "closed": 1000, "closed_on_time": 900, "overdue_open": 7, "responded_on_time": 1200,
              "visited": 800, "resolved": 760, "rated": 700, "satisfied": 690, "close_seconds": 1000 * 36 * 3600}
    kpis = kpi_math.as_json(kpi_math.compute(counts))
    empty = kpi_math.as_json(kpi_math.compute({}))
    table = kpi_table([{"name": "甲", "kpis": kpis}, {"name": "乙", "kpis": empty}])
    rows = [component_texts(tr) for tr in table.children[1].children]
    assert [r[0] for r in rows] == [label for label, _ in KPI_LABELS.values()]
    for (key, (_, unit)), row in zip(KPI_LABELS.items(), rows, strict=True):
        assert row[1] == f"{format_kpi(key, kpis[key])} {unit}"
    assert rows[0][1:] == ["1,234 件", "0 件"] and rows[2][2] == "—" and rows[8][1] == "36.0 小时"
    assert kpi_text("closure_rate", {"value": None}) == "—"


def test_buckets_sum_days():
    days = [{"day": f"2026-10-{d:02d}", "accepted": d, "closed": 0} for d in range(1, 10)]
    assert buckets(days, "day")[3] == {"start": "2026-10-04", "end": "2026-10-04", "days": 1, "accepted": 4}
    assert buckets(days, "week") == [{"start": "2026-10-01", "end": "2026-10-07", "days": 7, "accepted": 28},
                                     {"start": "2026-10-08", "end": "2026-10-09", "days": 2, "accepted": 17}]


# -- 回放 ----------------------------------------------------------------------------------------------


def test_steps_are_days_or_weeks():
    assert len(steps(OCTOBER)) == 31 and steps(OCTOBER)[0] == Window(date(2026, 10, 1), date(2026, 10, 2))
    long = steps(Window(date(2026, 9, 1), date(2026, 11, 5)))  # 65 days
    assert len(long) == 10 and long[-1] == Window(date(2026, 11, 3), date(2026, 11, 5))
    assert step_text(long[-1], 9, 10, "week") == "2026-11-03 至 2026-11-04（第 10/10 周，仅 2 天）"
    assert step_text(steps(OCTOBER)[0], 0, 31, "day") == "2026-10-01（第 1/31 日）"


@pytest.mark.parametrize("toggle, value, total, stopped, expected", [
    (True, 31, 31, True, (False, "暂停", 0)),        # 播放 from 全程 starts at the first step
    (True, 30, 31, True, (False, "暂停", 0)),        # … and from the last step
    (True, 5, 31, True, (False, "暂停", 5)),         # … else where the slider is
    (True, 5, 31, False, (True, "播放", no_update)),  # 暂停
    (False, 5, 31, False, (False, "暂停", 6)),       # a tick moves one step
    (False, 29, 31, False, (True, "播放", 30)),      # … and stops on the last
    (False, 5, 31, True, (no_update,) * 3),          # a stray tick while paused
    (True, "5", 31, True, (True, "播放", no_update)),  # forged values
    (True, 5, None, True, (True, "播放", no_update)),
])
def test_play_and_pause(toggle, value, total, stopped, expected):
    assert play_step(toggle, value, total, stopped) == expected


def test_playback_holds_one_colour_scale_the_busiest_steps(seeded_store):
    state = ViewState(Scope("street", ZHONGHAN), Window(date(2026, 11, 1), date(2026, 11, 15)))
    peak = playback_peak(seeded_store, state, SYSTEM)
    mask = seeded_store.land_mask()
    own = [heat_layer.peak_per_km2(view_data.heat_cells(seeded_store, replace(state, window=w), SYSTEM), mask)
           for w in steps(state.window)]
    assert peak == pytest.approx(max(own)) and min(own) < peak
    images = [view_data.heat(seeded_store, replace(state, window=w), SYSTEM, None, peak) for w in steps(state.window)[:3]]
    assert {round(i.peak_per_km2, 6) for i in images} == {round(peak, 6)}
    assert len({i.png for i in images}) == 3
    with pytest.raises(InvalidQuery):
        playback_peak(seeded_store, replace(state, window=Window(date(2025, 1, 1), date(2026, 11, 1))), SYSTEM)


def test_step_images_come_from_the_heat_route(make_app, seeded_sqlite_path):
    app = make_app(f"sqlite:///{seeded_sqlite_path}")
    client = client_of(app, "district")
    state = ViewState(DISTRICT, Window(date(2026, 11, 1), date(2026, 11, 8)), Filters(kind=("livelihood",)),
                      compare=(ZHONGHAN, JINJIALING))
    url = step_heat_url(state, steps(state.window)[2], "v1")
    assert "from=2026-11-03&to=2026-11-04" in url and "peak_from=2026-11-01&peak_to=2026-11-08" in url
    assert "compare=" not in url and "kind=livelihood" in url
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert client.get(url.replace("peak_from=2026-11-01", "peak_from=2026-11-01&x=1").replace(
        "peak_from=2026-11-01", "peak_from=2024-01-01")).status_code == 400  # longer than a playback may be
    street = client_of(app, "street", ZHONGHAN)
    assert street.get(url.replace("/api/map/heat.png?", "/api/map/heat.png?scope=street&id=370212002&")).status_code == 403
