"""Grid level: the grid's profile, its appeals (masked) and an appeal's workflow timeline."""

from __future__ import annotations

import re

from dash import MATCH, Input, Output, ctx, html

from dashboard.services import audit, current_viewer, get_store
from dashboard.ui import ids, page
from dashboard.view.data import grid_view
from dashboard.view.guards import keep_on_outage, view_state
from dashboard.view.text import minute_text
from geo.domain import (
    CATEGORY_BY_CODE,
    HANDLING_LEVELS,
    KEY_POPULATION_TYPES,
    SOURCES,
    STATUSES,
    WORKER_TYPES,
)
from geo.privacy import MIN_COUNT
from geo.store.errors import Forbidden, NotFound

#: The grid table lists at most this many of a grid's appeals, newest first.
APPEAL_LIMIT = 1000
PROFILE_FIELDS = (
    ("households", "户数"), ("population", "人口"), ("buildings", "楼栋"), ("house_numbers", "门牌"),
    ("legal_persons", "法人"), ("key_population", "重点人群"),
)


def figure_text(value) -> str:
    """A profile figure: a plain count, or a published count of people (its text, e.g. "<3")."""
    return value["text"] if isinstance(value, dict) else f"{value:,}"


def profile_view(profile: dict, workers: list[dict]) -> html.Div:
    """The grid's figures; key-population counts arrive from the store already suppressed and are shown as they are."""
    stats = [html.Div([html.Div(figure_text(profile[k]), className="stat-value"), html.Div(label, className="stat-label")],
                      className="stat") for k, label in PROFILE_FIELDS]
    key_pop = [html.Span(f"{KEY_POPULATION_TYPES[k]} {count['text']}", className="chip")
               for k, count in profile["key_population_by_type"].items()]
    staff = [html.Span(f"{w['name']}（{WORKER_TYPES[w['type']]}）", className="chip worker") for w in workers]
    return html.Div([
        html.Div(stats, className="stats"),
        html.Div([html.Span(f"重点人群（仅统计数，少于 {MIN_COUNT} 人不显示具体数）：", className="muted"), *key_pop],
                 className="chips"),
        html.Div([html.Span("网格员：", className="muted"), *(staff or [html.Span("暂无", className="muted")])],
                 className="chips"),
    ])


def appeal_rows(items: list[dict]) -> list[dict]:
    """Only the columns the table shows: no coordinates, free text or internal references reach the browser.

    Names and phones arrive masked from the store.
    """
    return [
        {
            "id": str(item["id"]),  # AG Grid row ids must be strings
            "title": item["title"],
            "reporter_name": item["reporter_name"],
            "reporter_phone": item["reporter_phone"],
            "accepted_at": minute_text(item["accepted_at"]),
            "category_label": CATEGORY_BY_CODE[item["category"]].label,
            "status_label": STATUSES[item["status"]],
            "handling_level_label": HANDLING_LEVELS[item["handling_level"]],
            "source_label": SOURCES[item["source"]],
        }
        for item in items
    ]


def appeal_view(item: dict, may_unmask: bool) -> html.Div:
    """One appeal as the store gave it (masked), its timeline below; 查看完整信息 for roles that may see the rest."""
    rows = [("诉求人", f"{item['reporter_name'] or '—'} {item['reporter_phone'] or ''}".strip()),
            ("标题", item["title"]), ("内容", item.get("description") or "—")]
    children = [html.Dl([part for label, value in rows for part in (html.Dt(label), html.Dd(value))],
                        className="appeal-detail")]
    if may_unmask:
        children.append(html.Div([
            html.Button("查看完整信息", id=ids.unmask_id(str(item["id"])), className="export-button",
                        title="显示诉求人姓名、电话和原文；每次查看都记入审计日志"),
            html.Div(id=ids.appeal_full_id(str(item["id"]))),
        ], className="unmask"))
    return html.Div(children)


def full_view(item: dict) -> html.Div:
    """The unmasked appeal, with the notice that this view was logged."""
    rows = [("诉求人", item["reporter_name"] or "—"), ("电话", item["reporter_phone"] or "—"),
            ("标题", item["title"]), ("内容", item.get("description") or "—")]
    return html.Div([
        html.Dl([part for label, value in rows for part in (html.Dt(label), html.Dd(value))],
                className="appeal-detail full"),
        html.Div("本次查看已记入审计日志", className="muted"),
    ])


def timeline_view(events: list[dict]) -> html.Ol:
    """Each step: time, stage, level and actor, its department (承办部门) and note (办理说明) where the event has them.

    Events arrive masked from the store (actor and note)."""
    return html.Ol(className="timeline", children=[
        html.Li([
            html.Span(minute_text(e["at"]), className="tl-time"),
            html.Span(STATUSES[e["to_status"]], className="tl-status"),
            html.Span(f"{HANDLING_LEVELS[e['handling_level']]} · {e['actor']}", className="tl-actor"),
            html.Span(f"承办部门：{e['department']}", className="tl-department") if e.get("department") else None,
            html.Div(e["note"], className="tl-note") if e.get("note") else None,
        ]) for e in events
    ])


def appeal_panel(store, viewer, appeal_id: int, grid_code: str | None = None) -> html.Div:
    """An appeal and its timeline; the same "not found" for an unknown appeal, one the viewer may not see,
    or (with ``grid_code``) one of another grid."""
    try:
        item = store.appeal_detail(appeal_id, viewer)
        if grid_code is not None and item["grid_code"] != grid_code:
            raise NotFound(f"诉求 {appeal_id} 不在网格 {grid_code}")
        events = store.appeal_events(appeal_id, viewer)
    except (NotFound, Forbidden):
        return page.empty_state("未找到该诉求")
    return html.Div([appeal_view(item, viewer.may_unmask), timeline_view(events)])


def register(app) -> None:
    @app.callback(
        Output(ids.GRID_SECTION, "hidden"),
        Output(ids.GRID_PROFILE, "children"),
        Output(ids.APPEAL_TABLE, "rowData"),
        Output(ids.APPEAL_NOTE, "children"),
        Output(ids.TIMELINE, "children", allow_duplicate=True),
        Input(ids.URL, "search"),
        prevent_initial_call="initial_duplicate",
    )
    @keep_on_outage
    def show_grid(search):
        store, viewer = get_store(), current_viewer()
        state = view_state(search, store, viewer)
        hint = page.empty_state("点击列表中的诉求查看办理过程")
        if state.scope.level != "grid":
            return True, [], [], "", hint
        data = grid_view(store, state, viewer, limit=APPEAL_LIMIT)
        shown, total = len(data["appeals"]["items"]), data["appeals"]["total"]
        note = f"共 {total:,} 件" + (f"，仅列出最近 {shown:,} 件" if total > shown else "")
        if state.appeal is not None:  # a search result: the grid opens with that appeal's timeline
            hint = appeal_panel(store, viewer, state.appeal, state.scope.code)
        return False, profile_view(data["profile"], data["workers"]), appeal_rows(data["appeals"]["items"]), note, hint

    @app.callback(
        Output(ids.TIMELINE, "children"),
        Input(ids.APPEAL_TABLE, "cellClicked"),
        prevent_initial_call=True,
    )
    @keep_on_outage
    def show_timeline(cell):
        if not cell:
            return page.empty_state("点击列表中的诉求查看办理过程")
        row_id = cell.get("rowId") if isinstance(cell, dict) else None
        if not isinstance(row_id, str) or not re.fullmatch(r"[0-9]{1,18}", row_id):
            return page.empty_state("未找到该诉求")
        # From the browser: checked here, then authorized by the store.
        return appeal_panel(get_store(), current_viewer(), int(row_id))

    @app.callback(
        Output(ids.appeal_full_id(MATCH), "children"),
        Input(ids.unmask_id(MATCH), "n_clicks"),
        prevent_initial_call=True,
    )
    @keep_on_outage
    def show_full(clicks):
        """查看完整信息: the one unmasked read, on an explicit click, always audited (who, which appeal)."""
        raw = ctx.triggered_id.get("appeal") if isinstance(ctx.triggered_id, dict) else None
        if not isinstance(clicks, int) or clicks < 1 or not isinstance(raw, str) or not re.fullmatch(r"[0-9]{1,18}", raw):
            return page.empty_state("未找到该诉求")
        store, viewer = get_store(), current_viewer()
        try:
            item = store.appeal_detail(int(raw), viewer, unmasked=True)
        except (NotFound, Forbidden) as exc:
            return page.empty_state(str(exc) if isinstance(exc, Forbidden) else "未找到该诉求")
        audit("unmask", viewer, item["grid_code"], detail={"appeal_id": item["id"]})
        return full_view(item)
