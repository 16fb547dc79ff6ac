"""未诉先办 in the dashboard as plain functions: the hotspot layer's hideout, the list, the evidence, the actions.

Forged callback inputs (unknown ids, wrong statuses, another street's item) get the store's Chinese refusal,
never an exception.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from callbacks.proactive import (
    allowed_moves,
    apply_action,
    click_selection,
    default_category,
    detail_view,
    filter_args,
    forecast_view,
    layer_style,
    list_scope,
    list_view,
    row_selection,
)
from dashboard.ui import ids
from dashboard.ui.proactive import NO_ITEMS, NO_RUN, hotspot_legend, item_rows, local_minute, run_text
from dashboard.ui.proactive_figures import forecast_figure, hotspot_figure, item_view
from dashboard.view.state import ViewState
from geo.access import Viewer
from geo.analysis.proactive import Candidate
from geo.scope import DISTRICT, Filters, InvalidQuery, Scope
from layers import hotspots as hotspot_layer
from tests.conftest import SEED_END

TODAY = date(2026, 11, 27)
STREET, OTHER_STREET = "370212001", "370212005"
DISTRICT_VIEWER = Viewer("district", DISTRICT, "leader")
STREET_VIEWER = Viewer("street", Scope("street", STREET), "zhonghan")
OTHER_VIEWER = Viewer("street", Scope("street", OTHER_STREET), "jinjialing")


def texts(component) -> str:
    """Every string in a component tree, joined (what a user would read)."""
    if component is None:
        return ""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(texts(c) for c in component)
    return texts(getattr(component, "children", None))


def week_series(weeks: int, hot_from: int) -> list[dict]:
    start = SEED_END.date() - timedelta(days=7 * weeks)
    return [{"week": (start + timedelta(days=7 * k)).isoformat(), "observed": 9 if k >= hot_from else 2,
             "expected": 2.5, "hot": k >= hot_from} for k in range(weeks)]


def forecast_rows(unit: str, category: str, level: float) -> list[dict]:
    monday = SEED_END.date() - timedelta(days=SEED_END.weekday())
    rows = [{"unit_code": unit, "category": category, "week": monday - timedelta(days=7 * k), "actual": int(level),
             "mean": None, "lo80": None, "hi80": None, "lo95": None, "hi95": None, "method": None}
            for k in range(4, 0, -1)]
    rows += [{"unit_code": unit, "category": category, "week": monday + timedelta(days=7 * k), "actual": None,
              "mean": 2 * level, "lo80": 1.5 * level, "hi80": 2.5 * level, "lo95": level, "hi95": 3 * level,
              "method": "nb_glm"} for k in range(2)]
    return rows


def file_demo_items(store) -> dict:
    """One analysis run's results on a seeded store: a hotspot in 中韩街道 (filed on its street's list), a forecast
    for the district, and an item of another street; returns what was made."""
    grids = sorted(store.unit_names("grid", DISTRICT_VIEWER))
    hot = [g for g in grids if g.startswith(STREET)][:3]
    other = next(g for g in grids if g.startswith(OTHER_STREET))
    run_id = store.begin_run(SEED_END)
    series = week_series(8, 6)
    store.save_results(run_id, [{
        "category": "property_management", "pattern": "new", "score": 6.5, "observed": 18, "expected": 5.0,
        "significance": 0.0004, "start_day": SEED_END.date() - timedelta(days=14), "street_code": STREET,
        "community_code": None,
        "grid_rows": [{"grid_code": g, "hot": i < 2, "pattern": "new" if i < 2 else "", "z": 4.0, "observed": 6,
                       "expected": 1.5} for i, g in enumerate(hot)],
    }], pd.DataFrame(forecast_rows("370212", "heating", 40) + forecast_rows(STREET, "heating", 10)
                     + forecast_rows(STREET, "noise", 3)), [], [])
    store.finish_run(run_id, "done", {})
    candidates = [
        Candidate("hotspot", "property_management", "street", STREET, STREET, None,
                  "中韩街道物业管理诉求新增热点：18 件，预期 5.0 件", "新兴热点分析（新增热点）：局部热点统计量 z = 6.5", 6.5,
                  {"method": "hotspot", "pattern": "new", "score": 6.5, "observed": 18, "expected": 5.0,
                   "significance": 0.0004, "grids": hot[:2], "series": series}),
        Candidate("forecast", "heating", "district", "370212", None, None,
                  "全区供暖诉求预计上升", "季节预测（负二项回归，季节指数）：未来两周均值为近四周的 2.0 倍", 2.0,
                  {"method": "forecast", "recent_weekly": 40, "coming_weekly": 80,
                   "series": [{**r, "week": r["week"].isoformat()} for r in forecast_rows("370212", "heating", 40)]}),
        Candidate("repeat", "noise", "community", other[:12], OTHER_STREET, other[:12],
                  "金家岭某网格重复诉求：装修噪音（4 件）", "同一地点、同一类别、文本相似的诉求 4 件", 4.0,
                  {"method": "repeat", "count": 4, "first": "2026-11-01", "last": "2026-11-18", "place": other}),
    ]
    store.file_proactive_items(run_id, SEED_END, candidates)
    items = {i["kind"]: i for i in store.proactive_items(DISTRICT, DISTRICT_VIEWER)}
    return {"run_id": run_id, "hot": hot, "items": items}


@pytest.fixture
def analysed(writable_store):
    return writable_store, file_demo_items(writable_store)


def state(search: str = "") -> ViewState:
    return ViewState.from_search(search, TODAY)


# -- no store ------------------------------------------------------------------------------


def test_the_hideout_colours_hot_grids_by_their_most_urgent_pattern():
    found = [
        {"category": "noise", "pattern": "persistent", "grid_codes": ["A", "B"],
         "grids": [{"grid_code": "A", "pattern": "persistent"}, {"grid_code": "B", "pattern": "sporadic"},
                   {"grid_code": "C", "pattern": ""}]},
        {"category": "property_management", "pattern": "new", "grid_codes": ["B"], "grids": []},
    ]
    style = hotspot_layer.hideout(found, dark=True)
    # C sits in the hotspot's sums but is not hot itself: not drawn. B is hot twice: the newer, more urgent pattern.
    assert style["patterns"] == {"A": "persistent", "B": "new"}
    assert style["tips"]["B"] == "噪音扰民·零星热点；物业管理·新增热点"
    assert style["dark"] is True and set(style["colors"]) >= {"new", "persistent", "diminishing"}
    assert len(set(hotspot_layer.PATTERN_COLORS.values())) == len(hotspot_layer.PATTERN_COLORS)
    assert hotspot_layer.legend_items(style) == [("#d7191c", "新增热点", 1), ("#8e44ad", "持续热点", 1)]
    legend = texts(hotspot_legend(style, {"as_of": SEED_END}, True))
    assert "新增热点（1 个网格）" in legend and "持续热点（1 个网格）" in legend
    assert hotspot_legend(style, None, False) == []
    assert NO_RUN in texts(hotspot_legend(hotspot_layer.hideout([]), None, True))
    assert "当前范围暂无热点" in texts(hotspot_legend(hotspot_layer.hideout([]), {"as_of": SEED_END}, True))


def test_rows_and_forged_selections():
    item = {"id": 7, "level": "street", "title": "某街道物业管理诉求新增热点", "category": "property_management",
            "status": "dispatched", "department": "区住房城乡建设局"}
    rows = item_rows([item], selected=7)
    assert texts(rows).split() == ["街道", "某街道物业管理诉求新增热点", "物业管理", "已派发", "区住房城乡建设局"]
    button = rows[0].children[0].children
    assert button.id == ids.proactive_row_id("7") and "selected" in button.className
    assert texts(item_rows([])) == NO_ITEMS
    # Rows: only a real click on a well-formed id selects.
    assert row_selection(ids.proactive_row_id("7"), 1) == {"item": 7}
    assert row_selection(ids.proactive_row_id("7"), 0) is None  # a row just drawn
    assert row_selection(ids.proactive_row_id("7 OR 1=1"), 1) is None
    assert row_selection("proactive-row", 1) is None
    # Map clicks: a grid code, else nothing.
    assert click_selection({"properties": {"code": "370212001001001"}}) == {"grid": "370212001001001"}
    assert click_selection({"properties": {"code": "../etc"}}) is None
    assert click_selection("370212001001001") is None
    # Filters: lists of known statuses and a known category, else a notice.
    assert filter_args(["pending", "dispatched"], "noise") == ("pending,dispatched", "noise")
    assert filter_args(None, None) == (None, None) and filter_args([], None) == (None, None)
    for status, category in ((["bogus"], None), ("pending", None), ([1], None), (None, "nope"), (None, ["noise"])):
        with pytest.raises(InvalidQuery):
            filter_args(status, category)
    assert list_scope(Scope("grid", "370212001001001")) == Scope("community", "370212001001")
    assert run_text(None) == NO_RUN
    assert local_minute("2026-12-01T01:00:00+00:00") == "2026-12-01 09:00"


def test_evidence_charts_are_plain_dicts():
    hot = hotspot_figure(week_series(6, 4))
    assert [t["name"] for t in hot["data"]] == ["实际", "预期"]
    assert hot["data"][0]["marker"]["color"][-1] != hot["data"][0]["marker"]["color"][0]
    rows = [{**r, "week": r["week"].isoformat()} for r in forecast_rows(STREET, "heating", 10)]
    fig = forecast_figure(rows)
    names = [t["name"] for t in fig["data"]]
    assert names == ["95% 区间", "80% 区间", "预测", "实际"]
    band95, band80 = fig["data"][0], fig["data"][1]
    assert band95["fill"] == band80["fill"] == "toself"
    # Bands start at the last actual week and close on themselves: hi there and back along lo.
    assert band80["y"] == [10, 25.0, 25.0, 15.0, 15.0, 10]
    assert max(band95["y"]) == 30
    assert forecast_figure([])["data"] == []
    assert default_category([{**r, "category": "a"} for r in rows] +
                            [{**r, "category": "b", "mean": (r["mean"] or 0) * 2 or None} for r in rows]) == "b"


# -- on a store ------------------------------------------------------------------------------


def test_nothing_has_run(writable_store):
    assert list_view(writable_store, state(), DISTRICT_VIEWER, None, None)[0] == NO_RUN
    style, run = layer_style(writable_store, state(), DISTRICT_VIEWER)
    assert run is None and style["patterns"] == {}
    figure, _note, chosen = forecast_view(writable_store, state(), DISTRICT_VIEWER, None)
    assert chosen is None and figure["layout"]["annotations"][0]["text"] == NO_RUN


def test_layer_list_and_forecast_read_the_stored_run(analysed):
    store, made = analysed
    hot = made["hot"]
    style, run = layer_style(store, state(), DISTRICT_VIEWER)
    assert run["id"] == made["run_id"]
    assert style["patterns"] == {hot[0]: "new", hot[1]: "new"}
    assert layer_style(store, state("?layers=grids"), DISTRICT_VIEWER)[0]["patterns"] == {}
    assert layer_style(store, state("?category=noise"), DISTRICT_VIEWER)[0]["patterns"] == {}
    assert layer_style(store, state(f"?scope=street&id={OTHER_STREET}"), OTHER_VIEWER)[0]["patterns"] == {}

    note, rows = list_view(store, state(), DISTRICT_VIEWER, None, None)
    assert note.startswith("分析截至 2026-11-20 12:00")
    assert texts(rows).count("待研判") == 3
    _, rows = list_view(store, state(f"?scope=street&id={STREET}"), STREET_VIEWER, None, None)
    assert "中韩街道物业管理" in texts(rows) and "全区供暖" not in texts(rows) and "金家岭" not in texts(rows)
    _, rows = list_view(store, state(), DISTRICT_VIEWER, ["resolved"], None)
    assert texts(rows) == NO_ITEMS
    _, rows = list_view(store, state(), DISTRICT_VIEWER, None, ["forged"])
    assert "诉求类别取值无效" in texts(rows)

    figure, note, chosen = forecast_view(store, state(), DISTRICT_VIEWER, None)
    assert chosen == "heating" and note == "全区，负二项回归，季节指数"
    assert [t["name"] for t in figure["data"]][-1] == "实际"
    _, note, chosen = forecast_view(store, state(f"?scope=community&id={STREET}001"), DISTRICT_VIEWER, "noise")
    assert chosen == "noise" and note.startswith("当前街道")
    community = Viewer("community", Scope("community", f"{STREET}001"), "c")
    figure, _, _ = forecast_view(store, state(f"?scope=community&id={STREET}001"), community, None)
    assert "本账号不可查看" in figure["layout"]["annotations"][0]["text"]


def test_evidence_of_an_item_and_of_a_hot_grid(analysed):
    store, made = analysed
    item = made["items"]["hotspot"]
    hidden, body, moves = detail_view(store, DISTRICT_VIEWER, {"item": item["id"]})
    text = texts(body)
    assert not hidden and moves == ["dispatched", "rejected"]
    for part in ("新兴热点", "新增热点", "实际 18 件，预期 5 件，为预期的 3.6 倍", "区住房城乡建设局", "系统", "由分析任务生成"):
        assert part in text, part
    chart = next(c for c in body.children if getattr(c, "figure", None))
    assert [t["name"] for t in chart.figure["data"]] == ["实际", "预期"]
    # A click on the hotspot's grid opens the same item; the forecast item draws its intervals.
    assert texts(detail_view(store, DISTRICT_VIEWER, {"grid": made["hot"][0]})[1]) == text
    forecast = texts(item_view(store.proactive_item(made["items"]["forecast"]["id"], DISTRICT_VIEWER)))
    assert "未来两周每周约 80 件，近四周每周 40 件" in forecast
    # A grid that is hot for no listed item shows the run's hotspots there (none here), not an error.
    assert "不是热点" in texts(detail_view(store, DISTRICT_VIEWER, {"grid": made["hot"][2]})[1])
    # Forged and foreign selections: a notice, nothing offered.
    for forged in ({"item": 999_999}, {"item": "1"}, {"item": True}, {"item": -3}, {"grid": "x"}, {"other": 1}):
        hidden, body, moves = detail_view(store, DISTRICT_VIEWER, forged)
        assert not hidden and moves == [] and texts(body) == "未找到该事项", forged
    assert detail_view(store, DISTRICT_VIEWER, None)[0] is True
    hidden, body, moves = detail_view(store, OTHER_VIEWER, {"item": item["id"]})
    assert "无权访问" in texts(body) and moves == []
    # A community works dispatched items of its own list but does not judge them.
    community = Viewer("community", Scope("community", made["items"]["repeat"]["scope_code"]), "c")
    assert allowed_moves(community, made["items"]["repeat"]) == []
    assert allowed_moves(community, {**made["items"]["repeat"], "status": "dispatched"}) == ["in_progress"]


def test_actions_go_through_the_store_and_show_its_refusals(analysed):
    store, made = analysed
    item_id = made["items"]["hotspot"]["id"]
    selected = {"item": item_id}
    # Forged: an unknown item, an unknown action, a status the item cannot take, another street's account.
    assert apply_action(store, DISTRICT_VIEWER, {"item": 999_999}, "dispatched", "") == \
        ("未能修改：未找到未诉先办事项：999999", False)
    assert apply_action(store, DISTRICT_VIEWER, {"item": "'; drop"}, "dispatched", "") == ("未找到该事项", False)
    assert apply_action(store, DISTRICT_VIEWER, selected, "closed", "") == ("未知的操作", False)
    message, moved = apply_action(store, DISTRICT_VIEWER, selected, "resolved", "")
    assert not moved and message == "未能修改：事项状态为「待研判」，不能改为「已化解」"
    message, moved = apply_action(store, OTHER_VIEWER, selected, "dispatched", "")
    assert not moved and message.startswith("未能修改：无权访问")
    message, moved = apply_action(store, STREET_VIEWER, selected, "rejected", "   ")
    assert not moved and message == "未能修改：不采纳须填写理由"
    assert store.proactive_item(item_id, DISTRICT_VIEWER)["status"] == "pending"
    # Allowed: the street judges its own list, by clicking on the hot grid too; the history says who and why.
    assert apply_action(store, STREET_VIEWER, {"grid": made["hot"][1]}, "dispatched", " 请物业公司排查 ") == \
        ("已改为「已派发」", True)
    item = store.proactive_item(item_id, DISTRICT_VIEWER)
    assert item["status"] == "dispatched"
    last = item["history"][-1]
    assert (last["actor"], last["role"], last["from_status"], last["to_status"], last["reason"]) == \
        ("zhonghan", "street", "pending", "dispatched", "请物业公司排查")
    text = texts(detail_view(store, STREET_VIEWER, selected)[1])
    assert "待研判 → 已派发" in text and "zhonghan" in text and "请物业公司排查" in text
    assert detail_view(store, STREET_VIEWER, selected)[2] == ["in_progress", "rejected"]
    assert apply_action(store, STREET_VIEWER, selected, "in_progress", None) == ("已改为「处置中」", True)
    assert apply_action(store, STREET_VIEWER, selected, "in_progress", None)[0] == \
        "未能修改：事项状态为「处置中」，不能改为「处置中」"
    # A wall changes nothing, whatever it sends.
    wall = Viewer("screen", DISTRICT, "wall")
    assert apply_action(store, wall, selected, "resolved", "")[0] == "未能修改：大屏账号不能修改未诉先办事项"
    assert list_view(store, state(), DISTRICT_VIEWER, ["in_progress"], None)[1][0].children[0].children.id == \
        ids.proactive_row_id(str(item_id))


def test_filters_still_parse_with_hotspots_a_layer():
    assert state("?layers=grids,hotspots").layers == ("grids", "hotspots")
    assert "hotspots" in state().layers
    assert state("?layers=grids,boundaries,heat,workers").to_search().endswith("layers=grids,boundaries,heat,workers")
    assert Filters.parse({"category": "noise"}).category == ("noise",)
