"""Small helpers every stage shares: seeded streams, the metric projection, rounding, sampling."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Transformer

#: Coordinates are stored with 6 decimals (about 0.1 m), so all geometry is built on that grid.
DECIMALS = 6
PRECISION = 10.0**-DECIMALS
#: Metric CRS for distances, k-means and areas: UTM 51N covers 120°E–126°E.
METRIC_CRS = "EPSG:32651"


def rng_for(seed: int, *keys: int) -> np.random.Generator:
    """One independent stream per stage and unit, so changing one unit leaves the others alone."""
    return np.random.default_rng([seed, *keys])


@dataclass(frozen=True)
class Projection:
    """Lon/lat ↔ UTM 51N, for work that needs metres."""

    forward: Transformer
    inverse: Transformer

    @classmethod
    def create(cls) -> Projection:
        """Builds both transformers with lon/lat axis order."""
        return cls(
            Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True),
            Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True),
        )

    def to_metric(self, geom):
        """Projects a geometry (or array of them) to metres."""
        return shapely.transform(geom, lambda c: np.column_stack(self.forward.transform(c[:, 0], c[:, 1])))

    def to_lonlat(self, geom):
        """Projects a geometry (or array of them) back to lon/lat."""
        return shapely.transform(geom, lambda c: np.column_stack(self.inverse.transform(c[:, 0], c[:, 1])))

    def xy(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Projects coordinate arrays to metres."""
        return self.forward.transform(lon, lat)

    def lonlat(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Projects metre arrays back to lon/lat."""
        return self.inverse.transform(x, y)

    def area_km2(self, geom) -> np.ndarray:
        """True-ish area, since degrees² are not equal-area."""
        return shapely.area(self.to_metric(geom)) / 1e6


def round_coords(geom):
    """Rounds to the stored precision; identical inputs stay identical, so shared edges stay shared."""
    return shapely.transform(geom, lambda c: np.round(c, DECIMALS))


def allocate(quota: np.ndarray, total: int, cap: np.ndarray | None = None) -> np.ndarray:
    """Largest-remainder rounding of ``quota`` to integers ≥ 1 that sum to exactly ``total``."""
    quota = quota * (total / quota.sum())
    cap = np.full(len(quota), total) if cap is None else cap
    counts = np.clip(np.floor(quota).astype(int), 1, cap)
    while counts.sum() < total:
        room = np.where(counts < cap, quota - counts, -np.inf)
        counts[int(np.argmax(room))] += 1
    while counts.sum() > total:
        room = np.where(counts > 1, quota - counts, np.inf)
        counts[int(np.argmin(room))] -= 1
    return counts


def polylines_metric(lines: Sequence[Sequence[tuple[float, float]]], proj: Projection, step: float):
    """Densified vertices of lon/lat polylines, in metres, for nearest-distance look-ups."""
    geoms = proj.to_metric(np.array([shapely.LineString(line) for line in lines], dtype=object))
    return shapely.get_coordinates(shapely.segmentize(geoms, step))


def lattice(
    area_m: shapely.Geometry, spacing: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """A jittered square lattice inside a metric polygon: an even, seedable sample of it."""
    x0, y0, x1, y1 = shapely.bounds(area_m)
    gx, gy = np.meshgrid(np.arange(x0, x1 + spacing, spacing), np.arange(y0, y1 + spacing, spacing))
    x = gx.ravel() + rng.uniform(-0.45, 0.45, gx.size) * spacing
    y = gy.ravel() + rng.uniform(-0.45, 0.45, gy.size) * spacing
    inside = shapely.contains_xy(area_m, x, y)
    return x[inside], y[inside]
