"""对比: the picker writes ``compare=`` into the URL; the URL draws the panel (logic in dashboard/view/compare.py)."""

from __future__ import annotations

from dataclasses import replace

from dash import Input, Output, State, ctx, no_update

from dashboard.services import current_viewer, get_cache, get_store
from dashboard.ui import ids
from dashboard.ui.compare import compare_hint, level_options
from dashboard.ui.compare_figures import compare_body
from dashboard.view.compare import compare
from dashboard.view.data import child_level
from dashboard.view.guards import keep_on_outage, view_state
from dashboard.view.state import COMPARE_MAX, COMPARE_MIN, ViewState
from geo import clock
from geo.access import Viewer
from geo.domain import LEVELS
from geo.scope import LEVEL_BY_LENGTH, InvalidQuery, Scope
from geo.store.store import Store

PICK_HINT = f"请选择 {COMPARE_MIN}–{COMPARE_MAX} 个同级单位"


def visible_levels(viewer: Viewer) -> list[str]:
    """Levels below the viewer's own unit: those it has two or more units of."""
    return [level for level in ("street", "community", "grid") if LEVELS.index(level) > LEVELS.index(viewer.scope.level)]


def default_level(state: ViewState, viewer: Viewer) -> str:
    """The level a fresh picker offers: the compared units', else the one below the view (as the ranking)."""
    levels = visible_levels(viewer)
    if state.compare:
        return state.compare_scopes()[0].level
    level = child_level(state.scope)
    return level if level in levels else levels[0]


def unit_options(store: Store, level: str, viewer: Viewer) -> list[dict]:
    """The units of one level the viewer may see, labelled with their street where that helps tell them apart."""
    streets = store.unit_names("street", viewer)
    names = store.unit_names(level, viewer)
    out = []
    for code, name in sorted(names.items()):
        if not viewer.sees(Scope(level, code)):
            continue
        street = streets.get(code[:9]) if level != "street" else None
        out.append({"label": f"{name}（{street}）" if street else name, "value": code})
    return out


def picked_state(current: ViewState, picked) -> ViewState:
    """The view with the picked units compared (fewer than two: none); a forged value is refused."""
    if picked is None:
        picked = []
    if not isinstance(picked, list) or not all(isinstance(c, str) and len(c) in LEVEL_BY_LENGTH for c in picked):
        raise InvalidQuery("对比单位取值无效")
    codes = tuple(dict.fromkeys(picked))[:COMPARE_MAX]
    if len(codes) < COMPARE_MIN:
        return replace(current, compare=())
    # Round-trip through the URL parser: it checks the codes' shape and that they share one level.
    return ViewState.from_search(replace(current, compare=codes).to_search(), clock.local_today())


def register(app) -> None:
    @app.callback(
        Output(ids.COMPARE_PANEL, "hidden"),
        Output(ids.COMPARE_LEVEL, "options"),
        Output(ids.COMPARE_LEVEL, "value"),
        Output(ids.COMPARE_PICK, "options"),
        Output(ids.COMPARE_PICK, "value"),
        Output(ids.COMPARE_BODY, "children"),
        Input(ids.URL, "search"),
        Input(ids.REFRESH, "n_intervals"),
        Input(ids.COMPARE_OPEN, "n_clicks"),
        Input(ids.COMPARE_CLOSE, "n_clicks"),
        State(ids.COMPARE_PANEL, "hidden"),
        State(ids.COMPARE_PICK, "value"),
    )
    @keep_on_outage
    def show(search, _tick, _open, _close, hidden, picked):
        store, viewer = get_store(), current_viewer()
        state = view_state(search, store, viewer)
        trigger = ctx.triggered_id
        levels = visible_levels(viewer)
        if trigger == ids.COMPARE_CLOSE or not levels:
            return True, no_update, no_update, no_update, no_update, no_update
        level = default_level(state, viewer)
        # Options and value travel together: a value never arrives before the options that hold it.
        choices = unit_options(store, level, viewer)
        if not state.compare:
            # The picker keeps a half-made choice (one unit) until a second unit completes it.
            keep = isinstance(picked, list) and len(picked) < COMPARE_MIN
            return (False if trigger == ids.COMPARE_OPEN else hidden, level_options(levels), level,
                    no_update if keep else choices, no_update if keep else [], compare_hint(PICK_HINT))
        doc = compare(store, state, clock.view_as_of(), viewer, get_cache())
        return False, level_options(levels), level, choices, list(state.compare), compare_body(doc)

    @app.callback(
        Output(ids.COMPARE_PICK, "options", allow_duplicate=True),
        Output(ids.COMPARE_PICK, "value", allow_duplicate=True),
        Input(ids.COMPARE_LEVEL, "value"),
        State(ids.COMPARE_PICK, "value"),
        prevent_initial_call=True,
    )
    @keep_on_outage
    def options(level, picked):
        if not isinstance(level, str) or level not in visible_levels(current_viewer()):
            return [], []
        same_level = isinstance(picked, list) and all(isinstance(c, str) and LEVEL_BY_LENGTH.get(len(c)) == level
                                                      for c in picked)
        return unit_options(get_store(), level, current_viewer()), no_update if same_level else []

    @app.callback(
        Output(ids.URL, "search", allow_duplicate=True),
        Input(ids.COMPARE_PICK, "value"),
        Input(ids.COMPARE_CLOSE, "n_clicks"),
        Input(ids.COMPARE_LEVEL, "value"),
        State(ids.URL, "search"),
        prevent_initial_call=True,
    )
    @keep_on_outage
    def pick(picked, _close, level, search):
        current = view_state(search, get_store(), current_viewer())
        if ctx.triggered_id == ids.COMPARE_CLOSE:
            new = replace(current, compare=())
        elif ctx.triggered_id == ids.COMPARE_LEVEL:
            # Another level: units of the old one no longer compare.
            same = current.compare and current.compare_scopes()[0].level == level
            new = current if same else replace(current, compare=())
        else:
            try:
                new = picked_state(current, picked)
            except InvalidQuery:
                return no_update
        out = new.search_from(current)
        return no_update if out is None else out
