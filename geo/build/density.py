"""A synthetic population-density surface: it decides where cells come out small (city) or large (hills)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from scipy.spatial import cKDTree

from geo.build.helpers import Projection, lattice, polylines_metric, rng_for

#: A unit's edge within this distance (°) of a neighbour district is a land border, not coast.
BORDER_BUFFER_DEG = 0.003

# Density surface (people per km², before any scaling). Coordinates are lon/lat.
JUFENG = (120.609, 36.164)  # 巨峰, the main peak of 崂山
URBAN_EDGE_LON = 120.495  # the built-up city (中韩, 金家岭) lies west of this ...
URBAN_EDGE_LAT = 36.165  # ... and south of this
#: City centres (金家岭 CBD, 中韩) on top of the urban plateau: lon, lat, peak, σ in m.
CENTRES = ((120.452, 36.100, 5_000.0, 1_400.0), (120.425, 36.122, 3_000.0, 1_200.0))
#: The rural streets' towns (沙子口, 王哥庄, 北宅), same layout; damped by the mountain like villages.
TOWNS = (
    (120.545, 36.120, 2_500.0, 900.0),
    (120.655, 36.255, 2_500.0, 900.0),
    (120.515, 36.215, 2_000.0, 800.0),
)
#: Valley floors (approximate polylines, lon/lat) where inland villages line up.
VALLEYS = (
    ((120.480, 36.205), (120.510, 36.215), (120.545, 36.222), (120.575, 36.226), (120.605, 36.222)),  # 九水
    ((120.520, 36.250), (120.555, 36.246), (120.580, 36.252)),  # 北宅 north
    ((120.545, 36.118), (120.548, 36.130), (120.560, 36.155), (120.570, 36.180)),  # 沙子口 – 大河东
    ((120.675, 36.255), (120.650, 36.262), (120.625, 36.275), (120.600, 36.300)),  # 王哥庄 inland
)
#: Village blobs drawn near the coast and valleys, so rural cells cluster as real villages do.
VILLAGE_COUNT = 70


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


@dataclass(frozen=True)
class Density:
    """A synthetic population-density surface, people per km², on metre coordinates.

    Only its shape matters (where people live relative to each other): it steers seeds and
    the number of grids per community, not any published figure.
    """

    proj: Projection
    coast: cKDTree
    valleys: cKDTree
    villages: np.ndarray  # rows: x, y, peak, sigma
    peak_xy: tuple[float, float]

    @classmethod
    def create(cls, land: shapely.Geometry, coast: shapely.Geometry, proj: Projection, seed: int) -> Density:
        """Places the coast, valleys and villages; villages are drawn with the seed."""
        coast_xy = shapely.get_coordinates(shapely.segmentize(proj.to_metric(coast), 50.0))
        valley_xy = polylines_metric(VALLEYS, proj, 50.0)
        px, py = proj.xy(np.array([JUFENG[0]]), np.array([JUFENG[1]]))
        bare = cls(
            proj, cKDTree(coast_xy), cKDTree(valley_xy), np.empty((0, 4)), (float(px[0]), float(py[0]))
        )
        return cls(bare.proj, bare.coast, bare.valleys, bare._place_villages(land, seed), bare.peak_xy)

    def _place_villages(self, land: shapely.Geometry, seed: int) -> np.ndarray:
        """Villages sit near the coast and valleys, away from the city and the peak, ≥ 900 m apart."""
        rng = rng_for(seed, 1)
        x, y = lattice(self.proj.to_metric(land), 200.0, rng)
        lon, lat = self.proj.lonlat(x, y)
        near = np.exp(-self.coast.query(np.column_stack([x, y]))[0] / 500.0)
        near += 0.8 * np.exp(-self.valleys.query(np.column_stack([x, y]))[0] / 500.0)
        weight = near * self._mountain(x, y) * (1.0 - self._urban(lon, lat))
        chosen: list[int] = []
        order = rng.choice(
            len(x), size=min(len(x), 20 * VILLAGE_COUNT), replace=False, p=weight / weight.sum()
        )
        for i in order:
            if len(chosen) == VILLAGE_COUNT:
                break
            if all((x[i] - x[j]) ** 2 + (y[i] - y[j]) ** 2 >= 900.0**2 for j in chosen):
                chosen.append(int(i))
        idx = np.array(chosen)
        peak = rng.uniform(2_000.0, 6_000.0, len(idx))
        sigma = rng.uniform(200.0, 450.0, len(idx))
        return np.column_stack([x[idx], y[idx], peak, sigma])

    def _mountain(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        r2 = (x - self.peak_xy[0]) ** 2 + (y - self.peak_xy[1]) ** 2
        return 1.0 - 0.93 * np.exp(-r2 / 5_500.0**2)

    @staticmethod
    def _urban(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        return _sigmoid((URBAN_EDGE_LON - lon) / 0.007) * _sigmoid((URBAN_EDGE_LAT - lat) / 0.006)

    def __call__(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Density at metre coordinates."""
        lon, lat = self.proj.lonlat(x, y)
        xy = np.column_stack([x, y])
        urban = 8_000.0 * self._urban(lon, lat)
        for c_lon, c_lat, peak, sigma in CENTRES:
            cx, cy = self.proj.xy(np.array([c_lon]), np.array([c_lat]))
            urban += peak * np.exp(-((x - cx[0]) ** 2 + (y - cy[0]) ** 2) / (2 * sigma**2))
        rural = 60.0 + 1_200.0 * np.exp(-self.coast.query(xy)[0] / 700.0)
        rural += 900.0 * np.exp(-self.valleys.query(xy)[0] / 600.0)
        for t_lon, t_lat, peak, sigma in TOWNS:
            tx, ty = self.proj.xy(np.array([t_lon]), np.array([t_lat]))
            rural += peak * np.exp(-((x - tx[0]) ** 2 + (y - ty[0]) ** 2) / (2 * sigma**2))
        for vx, vy, peak, sigma in self.villages:
            rural += peak * np.exp(-((x - vx) ** 2 + (y - vy) ** 2) / (2 * sigma**2))
        return urban + rural * self._mountain(x, y)


def coastline(land: shapely.Geometry, neighbours: Sequence[shapely.Geometry]) -> shapely.Geometry:
    """The land boundary that faces the sea: the part not shared with a neighbouring district."""
    border = shapely.union_all(list(neighbours)).buffer(BORDER_BUFFER_DEG)
    return shapely.difference(shapely.boundary(land), border)
