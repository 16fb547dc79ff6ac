"""GeoJSON writing: 6-decimal MultiPolygons in compact files, re-read so a broken polygon fails the build."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import mapping, shape

from geo.build.helpers import DECIMALS

ATTRIBUTION = (
    "Street outlines © OpenStreetMap contributors (ODbL). Community shapes, grids and all figures "
    "are synthetic."
)


def _coords(value):
    if isinstance(value, (tuple, list)):
        if value and isinstance(value[0], float):
            return [round(v, DECIMALS) for v in value]
        return [_coords(v) for v in value]
    return value


def feature(geom: shapely.Geometry, properties: dict) -> dict:
    """A GeoJSON feature: always a MultiPolygon (the store's column type), rings oriented per RFC 7946."""
    if shapely.get_type_id(geom) == 3:
        geom = shapely.multipolygons([geom])
    m = mapping(shapely.orient_polygons(geom))
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": {"type": m["type"], "coordinates": _coords(m["coordinates"])},
    }


def write_collection(path: Path, features: list[dict]) -> int:
    """Writes compact JSON (one line, UTF-8 names unescaped) and returns its size in bytes."""
    data = {"type": "FeatureCollection", "attribution": ATTRIBUTION, "features": features}
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"
    path.write_text(text, encoding="utf-8")
    return len(text.encode("utf-8"))


def check_written(path: Path, expected: int) -> None:
    """Re-reads a file and fails loudly if rounding left any invalid or empty polygon."""
    data = json.loads(path.read_text(encoding="utf-8"))
    geoms = np.array([shape(f["geometry"]) for f in data["features"]], dtype=object)
    if len(geoms) != expected:
        raise RuntimeError(f"{path.name}: {len(geoms)} features, expected {expected}")
    bad = ~shapely.is_valid(geoms) | shapely.is_empty(geoms)
    if bad.any():
        raise RuntimeError(f"{path.name}: invalid geometry in features {np.flatnonzero(bad).tolist()}")
