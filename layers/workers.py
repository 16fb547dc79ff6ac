"""Grid-worker positions: icons by type and status, clustered at low zoom."""

from __future__ import annotations

import dash_leaflet as dl

from geo.domain import WORKER_STATUSES, WORKER_TYPES

TYPE_COLORS = {"full_time": "#1f6feb", "industry": "#8250df", "window": "#1a7f37"}
STATUS_COLORS = {"patrolling": "#2da44e", "handling": "#d4a72c", "standby": "#8c959f", "offline": "#cf222e"}
#: The wall draws workers by status only, in colour and shape both (read from across the room, and by the
#: colour-blind): bright colours for its dark base. assets/screen.js draws the shapes, screen.css the legend's.
WALL_STATUS_STYLE = {
    "patrolling": {"color": "#3ee08f", "shape": "circle"},
    "handling": {"color": "#ffb020", "shape": "diamond"},
    "standby": {"color": "#5cb8ff", "shape": "square"},
    "offline": {"color": "#a3adb8", "shape": "triangle"},
}


def feature_collection(items: list[dict], names: bool = True) -> dict:
    """Worker items as GeoJSON points with tooltips; the store has already masked them for the viewer.

    ``names=False`` leaves out the tooltip (the only property naming a person): public screens get positions
    only (and a wall's viewer gets no names from the store in the first place).
    """
    features = []
    for w in items:
        if w["lon"] is None:
            continue
        properties = {"type": w["type"], "status": w["status"]}
        if names and w.get("name"):
            properties["tooltip"] = tooltip(w["name"], w["type"], w["status"])
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [w["lon"], w["lat"]]},
                "properties": properties,
            }
        )
    return {"type": "FeatureCollection", "features": features}


EMPTY = {"type": "FeatureCollection", "features": []}


def tooltip(name: str, kind: str, status: str) -> str:
    return f"{name} · {WORKER_TYPES[kind]} · {WORKER_STATUSES.get(status, status)}"


def placed_keys(items: list[dict]) -> list[str]:
    """The store's worker keys in the order of :func:`feature_collection`'s features (workers without a fix
    are left out): ids for viewers who may follow workers, the wall's opaque keys otherwise."""
    return [w["key"] for w in items if w["lon"] is not None]


def position_patch(patch, placed: list[str], rows: list[dict], names: bool = True) -> int:
    """Moves the changed workers inside the browser's FeatureCollection (a Dash ``Patch``): only
    their coordinates, status and tooltip travel, never the whole layer. Returns how many moved."""
    index = {key: i for i, key in enumerate(placed)}
    moved = 0
    for row in rows:
        i = index.get(row["key"])
        if i is None:
            continue
        feature = patch["features"][i]
        feature["geometry"]["coordinates"] = [row["lon"], row["lat"]]
        feature["properties"]["status"] = row["status"]
        if names and row.get("name"):
            feature["properties"]["tooltip"] = tooltip(row["name"], row["type"], row["status"])
        moved += 1
    return moved


def workers_layer(layer_id: str) -> dl.GeoJSON:
    """Clustered worker points; the map callback sends the data and live updates patch it."""
    return dl.GeoJSON(
        id=layer_id,
        data=EMPTY,
        cluster=True,
        zoomToBoundsOnClick=True,
        superClusterOptions={"radius": 60, "maxZoom": 14},
        hideout={"typeColors": TYPE_COLORS, "statusColors": STATUS_COLORS},
        pointToLayer={"variable": "zhizhi.map.workerMarker"},
        style={"variable": "zhizhi.map.workerStyle"},
    )
