"""Where a view's map layers come from and where the map looks: layer URLs and the fly-to viewport.

The dashboard and the wall share these, so both load the same geometry by URL
and fly to a unit the same way.
"""

from __future__ import annotations

from urllib.parse import urlencode

from dashboard.view.data import child_level
from dashboard.view.state import ViewState


def _url(path: str, **params) -> str:
    params = {k: v for k, v in params.items() if v}
    return path + ("?" + urlencode(params, safe=",") if params else "")


def layer_urls(state: ViewState, crs: str, data_version: str) -> dict[str, str]:
    """URLs of every layer of a view; the heat URL is versioned so browsers cache it until the data changes."""
    scope = state.scope
    gcj = "gcj02" if crs == "gcj02" else None
    parent = scope.code if scope.level != "grid" else scope.code[:12]
    search = state.data_search()
    return {
        "grids": _url("/api/geo/grid.geojson", crs=gcj),
        "units": _url(f"/api/geo/{child_level(scope)}.geojson", parent=parent, crs=gcj),
        "outline": _url(f"/api/geo/{scope.level}.geojson", parent=scope.code, crs=gcj),
        "heat": f"/api/map/heat.png{search}{'&' if search else '?'}v={data_version}",
        "professional": _url("/api/geo/professional.geojson", crs=gcj),
        "neighbours": _url("/api/map/base/neighbours.geojson", crs=gcj),
        "land": _url("/api/map/base/land.geojson", crs=gcj),
    }


def fly_to(bounds: tuple[float, float, float, float], padding: int, duration: float, max_zoom: int,
           top_left: tuple[int, int] | None = None, bottom_right: tuple[int, int] | None = None) -> dict:
    """A dash-leaflet viewport that flies to (min lon, min lat, max lon, max lat); ``top_left`` and
    ``bottom_right`` (pixels) keep room for what floats over the map there, instead of ``padding``."""
    minx, miny, maxx, maxy = bounds
    options = {"duration": duration, "maxZoom": max_zoom}
    if top_left or bottom_right:
        options.update(paddingTopLeft=list(top_left or (padding, padding)),
                       paddingBottomRight=list(bottom_right or (padding, padding)))
    else:
        options["padding"] = [padding, padding]
    return {"bounds": [[miny, minx], [maxy, maxx]], "transition": "flyToBounds", "options": options}
