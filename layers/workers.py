"""Grid-worker positions: icons by type and status, clustered at low zoom."""

from __future__ import annotations

import dash_leaflet as dl

from geo.domain import WORKER_STATUSES, WORKER_TYPES

TYPE_COLORS = {"full_time": "#1f6feb", "industry": "#8250df", "window": "#1a7f37"}
STATUS_COLORS = {"patrolling": "#2da44e", "handling": "#d4a72c", "standby": "#8c959f", "offline": "#cf222e"}


def feature_collection(items: list[dict]) -> dict:
    """Worker items as GeoJSON points with tooltips; the store has already masked the names."""
    features = []
    for w in items:
        if w["lon"] is None:
            continue
        tooltip = f"{w['name']} · {WORKER_TYPES[w['type']]} · {WORKER_STATUSES.get(w['status'], w['status'])}"
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [w["lon"], w["lat"]]},
                "properties": {"type": w["type"], "status": w["status"], "grid_code": w["grid_code"], "tooltip": tooltip},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def workers_layer(layer_id: str, url: str) -> dl.GeoJSON:
    return dl.GeoJSON(
        id=layer_id,
        url=url,
        cluster=True,
        zoomToBoundsOnClick=True,
        superClusterOptions={"radius": 60, "maxZoom": 14},
        hideout={"typeColors": TYPE_COLORS, "statusColors": STATUS_COLORS},
        pointToLayer={"variable": "zhizhi.map.workerMarker"},
    )
