"""Map data by URL: boundaries, base map, worker points and the heat image.

The map loads these with plain GETs, so big geometry never travels through
Dash callbacks; responses carry ETags or versioned URLs so browsers reuse them.
"""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, Response, request

from dashboard.http.params import crs_arg, geojson_response, query_text, scope_arg, single_values
from dashboard.services import current_viewer, get_cache, get_store
from dashboard.view import data as view_data
from dashboard.view import playback
from geo import clock, reference
from geo.scope import InvalidQuery, Window, quoted
from layers import heat as heat_layer
from layers import workers as worker_layer

blueprint = Blueprint("map_api", __name__)
STATIC_LAYERS = {"neighbours": "neighbours", "land": "district"}


@blueprint.get("/api/map/base/<name>.geojson")
def base_layer(name: str):
    """Static base-map shapes from the committed reference data."""
    if name not in STATIC_LAYERS:
        raise InvalidQuery(f"未知的底图图层{quoted(name)}")
    args = single_values(request.args)
    return geojson_response(reference.read_geojson(STATIC_LAYERS[name]), crs_arg(args), max_age=86400)


@blueprint.get("/api/map/workers.geojson")
def workers():
    """Worker positions of a scope as points; names masked by the store."""
    args = single_values(request.args)
    doc = get_store().workers(scope_arg(args, current_viewer()), viewer=current_viewer())
    return geojson_response(worker_layer.feature_collection(doc["items"]), crs_arg(args), max_age=10)


@blueprint.get("/api/map/heat.png")
def heat():
    """The demand heat image of a view (same query parameters as the dashboard URL), plus ``ramp``: the
    colours for a ``light`` (default) or ``dark`` base map; 回放 adds ``peak_from``/``peak_to``."""
    args = single_values(request.args)
    ramp = args.get("ramp") or "light"
    if ramp not in heat_layer.RAMPS:
        raise InvalidQuery(f"参数 ramp 应为 {' 或 '.join(heat_layer.RAMPS)}")
    store = get_store()
    state = view_data.parse_view(query_text(), store, current_viewer())
    peak = None
    if args.get("peak_from") or args.get("peak_to"):  # a 回放 step: the scale of the whole playback
        whole = Window.parse(args.get("peak_from"), args.get("peak_to"), clock.local_today())
        peak = playback.playback_peak(store, replace(state, window=whole), current_viewer(), get_cache())
    image = view_data.heat(store, state, current_viewer(), get_cache(), peak, ramp)
    response = Response(image.png, mimetype="image/png")
    response.cache_control.public = True
    response.cache_control.max_age = 3600 if args.get("v") else 60  # versioned URLs never go stale
    return response
