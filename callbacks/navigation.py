"""The URL is the state: controls and map clicks write it, and a URL change sets the controls.

One callback does both directions, because Dash forbids a cycle between two.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from urllib.parse import urlencode

from dash import Input, Output, State, ctx, no_update

from dashboard.config import TILE_PROVIDER_CODES
from dashboard.services import current_viewer, get_store
from dashboard.ui import ids
from dashboard.view.data import check_units
from dashboard.view.state import LAYERS, PRESETS, ViewState, preset_window
from geo.clock import local_today
from geo.scope import LEVEL_BY_LENGTH, Filters, InvalidQuery, Scope, Window, parse_date
from geo.store.errors import Forbidden, NotFound, StoreError


def controls_from_state(state: ViewState, day: date, default_basemap: str = TILE_PROVIDER_CODES[0]) -> tuple:
    f = state.filters
    return (
        state.preset or "custom",
        state.window.start.isoformat(),
        (state.window.end - timedelta(days=1)).isoformat(),
        list(f.kind), list(f.category), list(f.source), list(f.status),
        state.metric, list(state.layers), state.professional or None, state.basemap or default_basemap,
    )


def state_from_controls(current: ViewState, trigger: str | None, values: dict, day: date,
                        basemaps: tuple[str, ...] = TILE_PROVIDER_CODES) -> ViewState:
    """A new state after the user touched one control; the others keep their values.

    ``basemaps`` are the offered base maps, the default first (it stays out of the URL)."""
    window, preset = current.window, current.preset
    if trigger == ids.PRESET and _text(values["preset"]) in PRESETS:
        window, preset = preset_window(values["preset"], day), values["preset"]
    elif trigger == ids.DATE_RANGE and values["start"] and values["end"]:
        start = parse_date(_text(values["start"])[:10], "from")
        last = parse_date(_text(values["end"])[:10], "to")
        window, preset = Window.parse(start.isoformat(), (last + timedelta(days=1)).isoformat(), day), ""
    filters = Filters.parse({name: ",".join(_codes(values[name])) for name in ("kind", "category", "source", "status")})
    chosen = set(_codes(values["layers"]))
    # Round-trip through the URL parser: it validates metric, overlay and layer codes.
    base = replace(current, window=window, preset=preset, filters=filters, layers=tuple(x for x in LAYERS if x in chosen),
                   metric="density", professional="", basemap="")
    search = base.to_search()
    basemap = _text(values.get("basemap"))
    extra = {"metric": _text(values["metric"]) or "density", "pro": _text(values["professional"]),
             "basemap": "" if basemap == basemaps[0] else basemap}
    query = search + ("&" if search else "?") + urlencode({k: v for k, v in extra.items() if v})
    return ViewState.from_search(query, day, basemaps=basemaps)


def _text(value) -> str:
    """A control value from the browser that must be a string (else it is forged)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidQuery("控件取值无效")
    return value


def _codes(value) -> list[str]:
    """A multi-select value from the browser: a list of strings, or nothing."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidQuery("筛选取值无效")
    return value


def drill_target(click: dict | None) -> Scope | None:
    """The unit a map click asks to open, from the clicked feature's code."""
    properties = click.get("properties") if isinstance(click, dict) else None
    if not isinstance(properties, dict) or not isinstance(properties.get("code"), str):
        return None
    return Scope.from_code(properties["code"]) if len(properties["code"]) in LEVEL_BY_LENGTH else None


def register(app, basemaps: tuple[str, ...]) -> None:
    """``basemaps``: the codes of the base maps the page offers, the default first."""
    @app.callback(
        Output(ids.URL, "search"),
        Output(ids.PRESET, "value"),
        Output(ids.DATE_RANGE, "start_date"),
        Output(ids.DATE_RANGE, "end_date"),
        Output(ids.KIND, "value"),
        Output(ids.CATEGORY, "value"),
        Output(ids.SOURCE, "value"),
        Output(ids.STATUS, "value"),
        Output(ids.METRIC, "value"),
        Output(ids.LAYERS, "value"),
        Output(ids.PROFESSIONAL, "value"),
        Output(ids.BASEMAP, "value"),
        Output(ids.ERROR_BANNER, "children"),
        Output(ids.ERROR_BANNER, "hidden"),
        Input(ids.URL, "search"),
        Input(ids.PRESET, "value"),
        Input(ids.DATE_RANGE, "start_date"),
        Input(ids.DATE_RANGE, "end_date"),
        Input(ids.KIND, "value"),
        Input(ids.CATEGORY, "value"),
        Input(ids.SOURCE, "value"),
        Input(ids.STATUS, "value"),
        Input(ids.METRIC, "value"),
        Input(ids.LAYERS, "value"),
        Input(ids.PROFESSIONAL, "value"),
        Input(ids.BASEMAP, "value"),
        # The click count, not the clicked feature: clicking the same unit again (after going back) must drill too.
        Input(ids.UNIT_LAYER, "n_clicks"),
        State(ids.UNIT_LAYER, "clickData"),
    )
    def sync(search, preset, start, end, kind, category, source, status, metric, layers, professional, basemap,
             _unit_clicks, unit_click):
        day = local_today()
        trigger = ctx.triggered_id
        viewer = current_viewer()
        try:
            current = ViewState.from_search(search, day, viewer.scope, basemaps)
            check_units(get_store(), current, viewer)
        except (InvalidQuery, NotFound, Forbidden) as exc:
            # A forged or stale link: say so and show the default view (the viewer's own unit).
            default = ViewState.from_search("", day, viewer.scope)
            return (default.to_search(), *controls_from_state(default, day, basemaps[0]),
                    f"链接参数有误，已显示默认视图：{exc}", False)
        if trigger in (None, ids.URL):
            return (no_update, *controls_from_state(current, day, basemaps[0]), no_update, True)
        if trigger == ids.PRESET and preset == "custom":
            # 自定义 opens the date picker (assets/filters.js); the window changes once dates are picked.
            return (no_update,) * 13
        try:
            if trigger == ids.UNIT_LAYER:
                target = drill_target(unit_click)
                if target is None:
                    return (no_update,) * 12 + (no_update, True)
                get_store().resolve(target, viewer)
                new = current.with_scope(target)
            else:
                values = {"preset": preset, "start": start, "end": end, "kind": kind, "category": category,
                          "source": source, "status": status, "metric": metric, "layers": layers,
                          "professional": professional, "basemap": basemap}
                new = state_from_controls(current, trigger, values, day, basemaps)
        except (InvalidQuery, StoreError) as exc:
            return (no_update,) * 12 + (str(exc), False)
        search_out = new.search_from(current)
        controls = controls_from_state(new, day, basemaps[0])
        return (no_update if search_out is None else search_out, *controls, no_update, True)
