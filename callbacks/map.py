"""The map follows the URL: viewport, grid colours, drill-down units, heat, workers, overlays."""

from __future__ import annotations

from urllib.parse import urlencode

from dash import Input, Output, State, html

from dashboard import ids
from dashboard.api import get_cache, get_store
from dashboard.state import METRICS, ViewState
from dashboard.views import child_level, grid_counts, map_frame, now, view_state
from dashboard.views import heat as heat_view
from layers import choropleth, units, workers
from layers.basemap import base_layers


def _url(path: str, **params) -> str:
    params = {k: v for k, v in params.items() if v}
    return path + ("?" + urlencode(params, safe=",") if params else "")


def layer_urls(state: ViewState, crs: str, data_version: str) -> dict[str, str]:
    """URLs of every layer of a view; the heat URL is versioned so browsers cache it until the data changes."""
    scope = state.scope
    gcj = "gcj02" if crs == "gcj02" else None
    parent = scope.code if scope.level != "grid" else scope.code[:12]
    search = state.to_search()
    return {
        "grids": _url("/api/geo/grid.geojson", crs=gcj),
        "units": _url(f"/api/geo/{child_level(scope)}.geojson", parent=parent, crs=gcj),
        "outline": _url(f"/api/geo/{scope.level}.geojson", parent=scope.code, crs=gcj),
        "heat": f"/api/map/heat.png{search}{'&' if search else '?'}v={data_version}",
        "workers": _url("/api/map/workers.geojson", scope=scope.level, id=scope.code, crs=gcj),
        "professional": _url("/api/geo/professional.geojson", crs=gcj),
        "neighbours": _url("/api/map/base/neighbours.geojson", crs=gcj),
        "land": _url("/api/map/base/land.geojson", crs=gcj),
    }


def legend(style: dict, heat_on: bool, peak: float | None) -> list:
    label, unit = METRICS[style["metric"]]
    items = [html.Div(f"网格着色：{label}（{unit}）", className="legend-title")]
    items += [html.Div([html.Span(className="swatch", style={"background": color}), text], className="legend-row")
              for color, text in choropleth.legend_items(style)]
    if heat_on:
        items.append(html.Div("诉求热力", className="legend-title"))
        items.append(html.Div(className="heat-ramp"))
        items.append(html.Div([html.Span("低"), html.Span(f"高（约 {peak:,.0f} 件/km²）" if peak else "高")],
                              className="heat-scale"))
    return items


def register(app, providers: dict) -> None:
    @app.callback(
        Output(ids.MAP, "viewport"),
        Output(ids.BASE_PANE, "children"),
        Output(ids.GRID_LAYER, "hideout"),
        Output(ids.GRID_LAYER, "url"),
        Output(ids.UNIT_LAYER, "url"),
        Output(ids.UNIT_LAYER, "hideout"),
        Output(ids.OUTLINE_LAYER, "url"),
        Output(ids.HEAT_LAYER, "url"),
        Output(ids.HEAT_LAYER, "opacity"),
        Output(ids.WORKER_LAYER, "children"),
        Output(ids.PROFESSIONAL_LAYER, "children"),
        Output(ids.MAP_LEGEND, "children"),
        Output(ids.MAP, "className"),
        Input(ids.URL, "search"),
        Input(ids.BASEMAP, "value"),
        State(ids.MAP, "viewport"),
    )
    def update_map(search, basemap, _viewport):
        store, cache = get_store(), get_cache()
        state = view_state(search)
        provider = providers.get(basemap) or next(iter(providers.values()))
        as_of = now()
        urls = layer_urls(state, provider.crs, store.data_version())
        values = choropleth.metric_values(state.metric, grid_counts(store, state, as_of, cache), store.grid_areas())
        style = choropleth.hideout(state.metric, values, state.scope.code[:12] if state.scope.level == "grid"
                                   else state.scope.code, state.scope.code if state.scope.level == "grid" else "")
        style["visible"] = "grids" in state.layers
        minx, miny, maxx, maxy = map_frame(store, state, cache)["bounds"]
        viewport = {"bounds": [[miny, minx], [maxy, maxx]], "transition": "flyToBounds",
                    "options": {"padding": [24, 24], "duration": 0.6}}
        heat_on = "heat" in state.layers
        peak = None
        if heat_on:
            peak = heat_view(store, state, cache).peak_per_km2
        worker_children = [workers.workers_layer("layer-workers-points", urls["workers"])] if "workers" in state.layers else []
        professional = ([units.professional_layer("layer-professional-lines", urls["professional"], state.professional)]
                        if state.professional else [])
        unit_hideout = {"selected": state.scope.code if state.scope.level == "grid" else "",
                        "visible": "boundaries" in state.layers}
        return (
            viewport,
            base_layers(provider, urls["neighbours"], urls["land"]),
            style,
            urls["grids"],
            urls["units"],
            unit_hideout,
            urls["outline"],
            urls["heat"],
            0.8 if heat_on else 0.0,
            worker_children,
            professional,
            legend(style, heat_on, peak),
            "map" + ("" if "boundaries" in state.layers else " hide-labels") + (" dark" if provider.dark else ""),
        )
