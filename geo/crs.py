"""WGS-84 ↔ GCJ-02 conversion.

Amap/Tencent tiles and many phone apps use GCJ-02, an obfuscated datum that
shifts Laoshan by about 420 m east. The forward formula is public; the inverse
has no closed form, so it is solved by fixed-point iteration to well under 1 mm.
CGCS2000 differs from WGS-84 by centimetres and is treated as WGS-84.
Works on floats and on numpy arrays alike.
"""

from __future__ import annotations

import json

import numpy as np
import shapely
import shapely.geometry

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE = 0.00669342162296594323
#: Kilometres per degree, for a local equirectangular plane: of latitude, and of longitude at the
#: equator (times cos(lat), see km_per_deg_lon). 110.57 is the equator's value of a latitude degree; at
#: Laoshan's 36°N it is 110.96, 0.35% more. That is well inside what the areas, distances and margins
#: here need, and keeping it keeps every stored density and the demo data as they were.
KM_PER_DEG_LAT = 110.57
KM_PER_DEG_LON_EQUATOR = 111.32


def km_per_deg_lon(lat):
    """Kilometres per degree of longitude at latitude ``lat`` (degrees; a float or an array)."""
    return KM_PER_DEG_LON_EQUATOR * np.cos(np.radians(lat))


def _outside_china(lon, lat):
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _delta(lon, lat):
    x, y = lon - 105.0, lat - 35.0
    dlat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )
    dlon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    rad_lat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon, lat):
    """(lon, lat) in WGS-84 → GCJ-02; points outside China are returned unchanged."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlon, dlat = _delta(lon, lat)
    outside = _outside_china(lon, lat)
    out_lon = np.where(outside, lon, lon + dlon)
    out_lat = np.where(outside, lat, lat + dlat)
    return _unwrap(out_lon), _unwrap(out_lat)


def gcj02_to_wgs84(lon, lat, tolerance_deg: float = 1e-10, max_iterations: int = 30):
    """GCJ-02 → WGS-84 by iterating the forward transform (converges in a few steps)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    wlon, wlat = lon.copy(), lat.copy()
    for _ in range(max_iterations):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        elon, elat = np.asarray(glon) - lon, np.asarray(glat) - lat
        wlon, wlat = wlon - elon, wlat - elat
        if np.all(np.abs(elon) < tolerance_deg) and np.all(np.abs(elat) < tolerance_deg):
            break
    return _unwrap(wlon), _unwrap(wlat)


def _unwrap(a: np.ndarray):
    return float(a) if a.ndim == 0 else a


def geojson_to_gcj02(collection: dict) -> dict:
    """A FeatureCollection with every coordinate moved to GCJ-02, for overlays on GCJ-02 tiles."""

    def move(coords):
        lon, lat = wgs84_to_gcj02(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    features = []
    for feature in collection["features"]:
        geom = shapely.transform(shapely.geometry.shape(feature["geometry"]), move)
        features.append({**feature, "geometry": json.loads(shapely.to_geojson(geom))})
    return {**collection, "features": features}
