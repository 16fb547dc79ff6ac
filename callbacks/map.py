"""The map follows the URL: viewport, grid colours, drill-down units, heat, workers, overlays."""

from __future__ import annotations

import numpy as np
from dash import ClientsideFunction, Input, Output, State, ctx, html, no_update

from dashboard.services import current_viewer, get_cache, get_store, live_versions
from dashboard.ui import ids
from dashboard.view.data import (
    WORKER_COUNT_LEVELS,
    gather,
    grid_style,
    heat_peak,
    map_frame,
    ranking_from_grids,
    worker_counts,
)
from dashboard.view.guards import keep_on_outage, view_state
from dashboard.view.live import worker_index, worker_layer
from dashboard.view.mapview import fly_to, layer_urls
from dashboard.view.state import ViewState
from dashboard.view.text import percent
from geo import clock
from geo.crs import wgs84_to_gcj02
from geo.domain import WORKER_STATUSES, WORKER_TYPES
from geo.scope import Scope
from layers import choropleth, heat, units, workers
from layers.basemap import base_layers

#: Pixels kept free when the map fits a unit: (x, y) at the top left for the toolbar, at the bottom right for the
#: legend (its width in assets/style.css `.map-legend-box`, plus its margin) and the playback bar along the bottom
#: (`.playback`: 24 px up, about 60 px tall), which hid a tall street's southern tip.
TOOLBAR_ROOM = (24, 64)
LEGEND_ROOM = (250, 96)


def heat_bounds(crs: str) -> list[list[float]]:
    """The heat lattice's corners, moved to GCJ-02 when the tiles are GCJ-02 (a near-uniform shift here)."""
    (south, west), (north, east) = heat.BOUNDS
    if crs != "gcj02":
        return heat.BOUNDS
    lons, lats = wgs84_to_gcj02(np.array([west, east]), np.array([south, north]))
    return [[float(lats[0]), float(lons[0])], [float(lats[1]), float(lons[1])]]


def legend(style: dict, heat_on: bool, peak: float | None, workers_on: bool = False, counts: bool = False) -> list:
    """The legend's rows; ``counts``: the workers show as a count on each unit's label, not as markers."""
    label, unit = choropleth.METRICS[style["metric"]]
    items = [html.Div(f"网格着色：{label}（{unit}）", className="legend-title")]
    items += [html.Div([html.Span(className="swatch", style={"background": color}), text], className="legend-row")
              for color, text in choropleth.legend_items(style)]
    if heat_on:
        items.append(html.Div("诉求热力", className="legend-title"))
        items.append(html.Div(className="heat-ramp", style={"background": heat.css_gradient("light")}))
        items.append(html.Div([html.Span("低"), html.Span(f"高（约 {peak:,.0f} 件/km²）" if peak else "高")],
                              className="heat-scale"))
    if workers_on and counts:
        items.append(html.Div("网格员", className="legend-title"))
        items.append(html.Div("各单位名称下为网格员人数；进入社区后显示位置", className="legend-row legend-note"))
    elif workers_on:
        items.append(html.Div("网格员（圆心：类型；描边：状态）", className="legend-title"))
        items += [html.Div([html.Span(className="dot", style={"background": color}), WORKER_TYPES[code]],
                           className="legend-row") for code, color in workers.TYPE_COLORS.items()]
        items.append(html.Div([html.Span([html.Span(className="ring", style={"borderColor": color}), WORKER_STATUSES[code]],
                                         className="legend-inline") for code, color in workers.STATUS_COLORS.items()],
                              className="legend-row wrap"))
    return items


def hover_figures(store, state: ViewState, as_of, viewer, cache) -> dict[str, str]:
    """Key figures of each clickable unit, shown on hover: the same numbers as the ranking."""
    parent = state if state.scope.level != "grid" else state.with_scope(Scope("community", state.scope.code[:12]))
    rows = ranking_from_grids(store, parent, as_of, viewer, cache)
    return {
        r["code"]: f"受理 {r['accepted']:,} 件 · 办结率 {percent(r['closure_rate'])} · 超期 {r['overdue_open']} 件"
        for r in rows
    }


def register(app, providers: dict) -> None:
    app.clientside_callback(
        ClientsideFunction(namespace="zhizhi", function_name="hoverInfo"),
        Output(ids.MAP_INFO, "children"),
        Output(ids.MAP_INFO, "hidden"),
        Input(ids.UNIT_LAYER, "hoverData"),
        State(ids.UNIT_LAYER, "hideout"),
    )

    # The layers' geometry is fetched in the browser, not through dash-leaflet's GeoJSON ``url``: that ignores
    # a new URL, and any new hideout, while it is still fetching the last one, so on a cold server a link's
    # units could stay the page's first (district) ones. The loader keeps only the newest view's answer.
    app.clientside_callback(
        ClientsideFunction(namespace="zhizhi", function_name="loadLayers"),
        Output(ids.GRID_LAYER, "data"),
        Output(ids.HOTSPOT_LAYER, "data"),
        Output(ids.UNIT_LAYER, "data"),
        Output(ids.OUTLINE_LAYER, "data"),
        Input(ids.LAYER_SOURCES, "data"),
        prevent_initial_call=True,
    )

    app.clientside_callback(
        ClientsideFunction(namespace="zhizhi", function_name="unitLabels"),
        Input(ids.UNIT_LAYER, "hideout"),
        State(ids.MAP, "id"),
    )

    @app.callback(
        Output(ids.MAP, "viewport"),
        Output(ids.BASE_PANE, "children"),
        Output(ids.GRID_LAYER, "hideout"),
        Output(ids.LAYER_SOURCES, "data"),
        Output(ids.UNIT_LAYER, "hideout"),
        Output(ids.HEAT_LAYER, "url"),
        Output(ids.HEAT_LAYER, "opacity"),
        Output(ids.HEAT_LAYER, "bounds"),
        Output(ids.WORKER_POINTS, "data"),
        Output(ids.WORKER_INDEX, "data"),
        Output(ids.PROFESSIONAL_LAYER, "children"),
        Output(ids.MAP_LEGEND, "children"),
        # On the panel: Leaflet sets the map container's class once, so a later className would never show.
        Output(ids.MAP_PANEL, "className"),
        Input(ids.URL, "search"),
        Input(ids.REFRESH, "n_intervals"),
    )
    @keep_on_outage
    def update_map(search, _tick):
        store, cache, viewer = get_store(), get_cache(), current_viewer()
        state = view_state(search, store, viewer)
        # The URL's base map (the navigation callback has refused one this page does not offer), else the default.
        provider = providers.get(state.basemap) or next(iter(providers.values()))
        as_of = clock.view_as_of()
        heat_on = "heat" in state.layers
        workers_on = "workers" in state.layers
        counted = state.scope.level in WORKER_COUNT_LEVELS
        points_on = workers_on and not counted
        version, style, frame, peak, hover, (worker_points, index), counts = gather(
            lambda: live_versions()["data"],
            lambda: grid_style(store, state, as_of, viewer, cache),
            lambda: map_frame(store, state, viewer, cache),
            lambda: heat_peak(store, state, viewer, cache) if heat_on else None,
            lambda: hover_figures(store, state, as_of, viewer, cache),
            lambda: (worker_layer(store, state.scope, viewer, provider.crs) if points_on
                     else (workers.EMPTY, worker_index(state.scope, {"items": []}, provider.crs))),
            lambda: worker_counts(store, state.scope, viewer) if workers_on and counted else {},
        )
        urls = layer_urls(state, provider.crs, version)
        # Room for the toolbar above and the open legend on the right: neither covers the scope's shape.
        viewport = fly_to(frame["bounds"], padding=24, duration=0.6, max_zoom=16,
                          top_left=TOOLBAR_ROOM, bottom_right=LEGEND_ROOM)
        # The live poll keeps positions current with small patches; a view change sends the whole set once.
        professional = ([units.professional_layer("layer-professional-lines", urls["professional"], state.professional)]
                        if state.professional else [])
        unit_hideout = {"selected": state.scope.code if state.scope.level == "grid" else "",
                        "visible": "boundaries" in state.layers,
                        "figures": hover,
                        "workers": counts}
        # The minute refresh recolours in place: it must not move a map the user has panned.
        refresh = ctx.triggered_id == ids.REFRESH
        return (
            no_update if refresh else viewport,
            no_update if refresh else base_layers(provider, urls["neighbours"], urls["land"]),
            style,
            {name: urls[name] for name in ("grids", "units", "outline")},
            unit_hideout,
            urls["heat"],
            0.8 if heat_on else 0.0,
            heat_bounds(provider.crs),
            no_update if refresh else worker_points,
            no_update if refresh else index,
            professional,
            legend(style, heat_on, peak, workers_on, counted),
            "map-panel" + ("" if "boundaries" in state.layers else " hide-labels") + (" dark" if provider.dark else ""),
        )
