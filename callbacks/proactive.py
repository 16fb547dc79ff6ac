"""未诉先办: the hotspot layer, the list of the current scope, an item's evidence and its actions, the forecast.

Reads stored analysis results only (no analysis at view time). Every read and
every change goes through the store with the viewer; the store refuses what the
viewer's role or unit does not allow, and its Chinese message is shown as is.
The logic is in the plain functions below, the callbacks only wire them.
"""

from __future__ import annotations

import re

from dash import ALL, ClientsideFunction, Input, Output, State, ctx, html, no_update

from dashboard.services import current_viewer, get_store
from dashboard.ui import ids
from dashboard.ui.figures import empty_figure
from dashboard.ui.proactive import ACTIONS, NO_RUN, empty, hotspot_legend, item_rows, run_text
from dashboard.ui.proactive_figures import forecast_figure, hotspots_view, item_view
from dashboard.view.analysis import category_arg, current_run, status_arg
from dashboard.view.guards import keep_on_outage, view_state
from dashboard.view.state import ViewState
from geo.access import Viewer
from geo.analysis import proactive
from geo.analysis.forecast import METHOD_LABELS
from geo.analysis.hotspots import ALL as ALL_CATEGORIES
from geo.domain import CATEGORY_LABELS
from geo.scope import InvalidQuery, Scope
from geo.store.errors import Conflict, Forbidden, NotFound
from layers import hotspots as hotspot_layer

#: What a browser may send as an item id or a grid code (anything else is forged).
ITEM_ID = re.compile(r"[0-9]{1,18}")
GRID_CODE = re.compile(r"[0-9]{15}")
#: Rows the panel lists at most (the store's own limit is higher).
LIST_LIMIT = 100
NOT_FOUND = "未找到该事项"


# -- the layer --------------------------------------------------------------------------


def layer_style(store, state: ViewState, viewer: Viewer, dark: bool = False) -> tuple[dict, dict | None]:
    """The hotspot layer's hideout for the view (no hot grid when the layer is off or nothing has run) and the run.

    The view's category filter applies: with categories chosen, only their hotspots show (not the all-categories one).
    """
    run = current_run(store)
    if "hotspots" not in state.layers or run is None:
        return hotspot_layer.hideout([], dark), run
    found = store.hotspots(state.scope, viewer, None, run["id"])
    chosen = set(state.filters.category or ())
    if chosen:
        found = [h for h in found if h["category"] in chosen]
    return hotspot_layer.hideout(found, dark), run


# -- the list ---------------------------------------------------------------------------


def list_scope(scope: Scope) -> Scope:
    """Whose lists the panel shows: the scope's; a grid has none of its own, so its community's."""
    return Scope("community", scope.code[:12]) if scope.level == "grid" else scope


def filter_args(status, category) -> tuple[str | None, str | None]:
    """The list's filters as the store takes them; a forged value raises InvalidQuery."""
    if status is not None and not (isinstance(status, list) and all(isinstance(s, str) for s in status)):
        raise InvalidQuery("事项状态取值无效")
    if category is not None and not isinstance(category, str):
        raise InvalidQuery("诉求类别取值无效")
    return status_arg(",".join(status or [])), category_arg(category)


def list_view(store, state: ViewState, viewer: Viewer, status, category) -> tuple[str, list]:
    """(the run line, the rows) of the scope's items, filtered; forged filter values get a notice, not a crash."""
    run = current_run(store)
    if run is None:
        return NO_RUN, [empty(NO_RUN)]
    try:
        statuses, chosen = filter_args(status, category)
    except InvalidQuery as exc:
        return run_text(run), [empty(str(exc))]
    items = store.proactive_items(list_scope(state.scope), viewer, status=statuses, category=chosen,
                                  limit=LIST_LIMIT + 1)
    note = run_text(run)
    if len(items) > LIST_LIMIT:
        note += f"；仅列出前 {LIST_LIMIT} 项，可按状态或类别筛选"
    return note, item_rows(items[:LIST_LIMIT])


# -- what is selected -------------------------------------------------------------------


def row_selection(triggered_id, clicks) -> dict | None:
    """A clicked row → ``{"item": id}``; a row just drawn (no click) or a forged id → None."""
    raw = triggered_id.get("item") if isinstance(triggered_id, dict) else None
    if not isinstance(clicks, int) or clicks < 1 or not isinstance(raw, str) or not ITEM_ID.fullmatch(raw):
        return None
    return {"item": int(raw)}


def click_selection(click) -> dict | None:
    """A click on a hot grid → ``{"grid": code}``; anything else → None."""
    props = click.get("properties") if isinstance(click, dict) else None
    code = props.get("code") if isinstance(props, dict) else None
    return {"grid": code} if isinstance(code, str) and GRID_CODE.fullmatch(code) else None


def hotspot_item(store, viewer: Viewer, grid_code: str) -> tuple[int | None, list[dict]]:
    """The list item of the hotspot at a grid (the most significant one, on a list the viewer sees) and the
    run's hotspots there."""
    run = current_run(store)
    if run is None:
        return None, []
    grid = Scope("grid", grid_code)
    found = [h for h in store.hotspots(grid, viewer, None, run["id"]) if grid_code in h["grid_codes"]]
    street = Scope("street", grid_code[:9])
    where = street if viewer.sees(street) else viewer.scope
    for h in found:
        if h["category"] == ALL_CATEGORIES:
            continue
        for item in store.proactive_items(where, viewer, category=h["category"]):
            if item["kind"] == "hotspot" and grid_code in (item["evidence"].get("grids") or []):
                return int(item["id"]), found
    return None, found


def allowed_moves(viewer: Viewer, item: dict) -> list[str]:
    """The statuses the viewer may move the item to now (the store checks again when asked: the UI is no guard)."""
    out = []
    for status in ACTIONS:
        try:
            proactive.check_transition(viewer, item, status, "理由")
        except proactive.TransitionRefused:
            continue
        out.append(status)
    return out


def detail_view(store, viewer: Viewer, selected) -> tuple[bool, object, list[str]]:
    """(hidden, body, the moves offered) of the evidence panel for a selection; unknown or foreign → a notice."""
    if not isinstance(selected, dict):
        return True, None, []
    if "grid" in selected:
        code = selected["grid"]
        if not isinstance(code, str) or not GRID_CODE.fullmatch(code):
            return False, empty(NOT_FOUND), []
        try:
            item_id, found = hotspot_item(store, viewer, code)
        except (NotFound, Forbidden):
            return False, empty(NOT_FOUND), []
        if item_id is None:
            return False, hotspots_view(store.unit_names("grid", viewer).get(code, code), found), []
        selected = {"item": item_id}
    raw = selected.get("item")
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 < raw < 2**62:
        return False, empty(NOT_FOUND), []
    try:
        item = store.proactive_item(raw, viewer)
    except NotFound:
        return False, empty(NOT_FOUND), []
    except Forbidden as exc:
        return False, empty(str(exc)), []
    return False, item_view(item), allowed_moves(viewer, item)


def selected_item(store, viewer: Viewer, selected) -> int | None:
    """The item id a selection stands for (a hot grid's item), or None."""
    if isinstance(selected, dict) and isinstance(selected.get("grid"), str) and GRID_CODE.fullmatch(selected["grid"]):
        try:
            return hotspot_item(store, viewer, selected["grid"])[0]
        except (NotFound, Forbidden):
            return None
    raw = selected.get("item") if isinstance(selected, dict) else None
    return raw if isinstance(raw, int) and not isinstance(raw, bool) and 0 < raw < 2**62 else None


# -- moving an item on ------------------------------------------------------------------


def apply_action(store, viewer: Viewer, selected, to_status, reason) -> tuple[str, bool]:
    """Asks the store to move the selected item to ``to_status``; (the message to show, whether it moved).

    The store checks role, unit and the transition; its refusal is shown in its own words.
    """
    if to_status not in ACTIONS:
        return "未知的操作", False
    item_id = selected_item(store, viewer, selected)
    if item_id is None:
        return NOT_FOUND, False
    text = reason.strip() if isinstance(reason, str) else ""
    try:
        item = store.change_proactive_item(item_id, viewer, to_status, text or None)
    except (NotFound, Forbidden, Conflict) as exc:
        return f"未能修改：{exc}", False
    return f"已改为「{item['status_label']}」", True


# -- the forecast -----------------------------------------------------------------------


def forecast_scope(scope: Scope, viewer: Viewer) -> Scope | None:
    """The unit whose forecast the panel shows: the district or the scope's street (if the viewer sees it)."""
    if scope.level in ("district", "street"):
        return scope
    street = Scope("street", scope.code[:9])
    return street if viewer.sees(street) else None


def default_category(rows: list[dict]) -> str | None:
    """The category a fresh chart opens with: the one forecast busiest next week."""
    ahead = [r for r in rows if r.get("mean") is not None]
    if not ahead:
        return None
    first = min(r["week"] for r in ahead)
    return max((r for r in ahead if r["week"] == first), key=lambda r: (r["mean"], r["category"]))["category"]


def forecast_view(store, state: ViewState, viewer: Viewer, category) -> tuple[dict, str, str | None]:
    """(figure, note, the category shown) of the forecast panel."""
    run = current_run(store)
    if run is None:
        return empty_figure(NO_RUN), "", None
    unit = forecast_scope(state.scope, viewer)
    if unit is None:
        return empty_figure("预测按街道与全区计算，本账号不可查看"), "", None
    chosen = category if isinstance(category, str) and category in CATEGORY_LABELS else None
    rows = store.forecasts(unit, viewer, None, run["id"])
    chosen = chosen or default_category(rows)
    series = [r for r in rows if r["category"] == chosen]
    place = "全区" if unit.level == "district" else "当前街道"
    if not series:
        return empty_figure("暂无该类别的预测"), place, chosen
    method = next((r["method"] for r in series if r.get("method")), "")
    label = METHOD_LABELS.get(method, "统计模型") if method else ""
    return forecast_figure(series), f"{place}{'，' + label if label else ''}", chosen


# -- wiring -----------------------------------------------------------------------------


def register(app, providers: dict) -> None:
    app.clientside_callback(
        ClientsideFunction(namespace="zhizhi", function_name="hotspotInfo"),
        Output(ids.MAP_INFO, "children", allow_duplicate=True),
        Output(ids.MAP_INFO, "hidden", allow_duplicate=True),
        Input(ids.HOTSPOT_LAYER, "hoverData"),
        State(ids.HOTSPOT_LAYER, "hideout"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output(ids.HOTSPOT_LAYER, "hideout"),
        Output(ids.HOTSPOT_LEGEND, "children"),
        Input(ids.URL, "search"),
        Input(ids.REFRESH, "n_intervals"),
        Input(ids.PROACTIVE_CHANGED, "data"),
    )
    @keep_on_outage
    def update_layer(search, _tick, _changed):
        store, viewer = get_store(), current_viewer()
        state = view_state(search, store, viewer)
        provider = providers.get(state.basemap) or next(iter(providers.values()))
        style, run = layer_style(store, state, viewer, provider.dark)
        return style, hotspot_legend(style, run, "hotspots" in state.layers)

    @app.callback(
        Output(ids.PROACTIVE_RUN, "children"),
        Output(ids.PROACTIVE_LIST, "children"),
        Input(ids.URL, "search"),
        Input(ids.REFRESH, "n_intervals"),
        Input(ids.PROACTIVE_STATUS, "value"),
        Input(ids.PROACTIVE_CATEGORY, "value"),
        Input(ids.PROACTIVE_CHANGED, "data"),
    )
    @keep_on_outage
    def update_list(search, _tick, status, category, _changed):
        store, viewer = get_store(), current_viewer()
        return list_view(store, view_state(search, store, viewer), viewer, status, category)

    @app.callback(
        Output(ids.PROACTIVE_SELECTED, "data"),
        Input(ids.proactive_row_id(ALL), "n_clicks"),
        Input(ids.HOTSPOT_LAYER, "clickData"),
        Input(ids.PROACTIVE_CLOSE, "n_clicks"),
        Input(ids.URL, "search"),
        prevent_initial_call=True,
    )
    def choose(_rows, click, _close, _search):
        trigger = ctx.triggered_id
        if trigger == ids.HOTSPOT_LAYER:
            return click_selection(click) or no_update
        if isinstance(trigger, dict):
            picked = row_selection(trigger, ctx.triggered[0]["value"] if ctx.triggered else None)
            return picked or no_update
        return None  # closed, or another view

    @app.callback(
        Output(ids.PROACTIVE_DETAIL, "hidden"),
        Output(ids.PROACTIVE_BODY, "children"),
        Output(ids.PROACTIVE_ACTIONS, "hidden"),
        Output(ids.proactive_action_id(ALL), "hidden"),
        Output(ids.PROACTIVE_MESSAGE, "children"),
        Input(ids.PROACTIVE_SELECTED, "data"),
        Input(ids.PROACTIVE_CHANGED, "data"),
    )
    @keep_on_outage
    def show_detail(selected, _changed):
        hidden, body, moves = detail_view(get_store(), current_viewer(), selected)
        message = no_update if ctx.triggered_id == ids.PROACTIVE_CHANGED else ""
        return hidden, body, not moves, [status not in moves for status in ACTIONS], message

    @app.callback(
        Output(ids.PROACTIVE_MESSAGE, "children", allow_duplicate=True),
        Output(ids.PROACTIVE_CHANGED, "data"),
        Output(ids.PROACTIVE_REASON, "value"),
        Input(ids.proactive_action_id(ALL), "n_clicks"),
        State(ids.PROACTIVE_SELECTED, "data"),
        State(ids.PROACTIVE_REASON, "value"),
        State(ids.PROACTIVE_CHANGED, "data"),
        prevent_initial_call=True,
    )
    @keep_on_outage
    def act(_clicks, selected, reason, changed):
        trigger = ctx.triggered_id
        clicks = ctx.triggered[0]["value"] if ctx.triggered else None
        if not isinstance(trigger, dict) or not isinstance(clicks, int) or clicks < 1:
            return no_update, no_update, no_update
        message, moved = apply_action(get_store(), current_viewer(), selected, trigger.get("to"), reason)
        if not moved:
            return html.Span(message, className="refused"), no_update, no_update
        return html.Span(message, className="moved"), (changed if isinstance(changed, int) else 0) + 1, ""

    @app.callback(
        Output(ids.FORECAST_CHART, "figure"),
        Output(ids.FORECAST_NOTE, "children"),
        Output(ids.FORECAST_CATEGORY, "value"),
        Input(ids.URL, "search"),
        Input(ids.REFRESH, "n_intervals"),
        Input(ids.FORECAST_CATEGORY, "value"),
    )
    @keep_on_outage
    def update_forecast(search, _tick, category):
        store, viewer = get_store(), current_viewer()
        figure, note, chosen = forecast_view(store, view_state(search, store, viewer), viewer, category)
        return figure, note, chosen if chosen != category else no_update

