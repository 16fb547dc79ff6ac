"""Builds the synthetic grid geography of 崂山区: district → street → community → grid.

Run ``python -m geo.build [--seed 20221020]``. It reads the shared reference data
(``shared/data/geo``) and writes the GeoJSON files under ``geo/data/`` that the app loads.
The same seed gives byte-identical files.

What is real and what is made up:

* Street (街道) outlines are OpenStreetMap data (© OpenStreetMap contributors, ODbL) with
  the NBS 2023 codes. They are accurate to a few hundred metres only (see the CRS caveat in
  the shared README) and are treated as WGS-84.
* Community (社区) names and 12-digit codes are real (NBS 2021). No public source gives
  where they are, so community SHAPES AND PLACEMENT ARE SYNTHETIC. Each street is cut into
  as many cells as it has communities, and the names go to the cells in code order, from
  west to east.
* The 863 basic grids (网格) are synthetic; 863 is the published count. Every figure on
  them (households, population, buildings, key population, ...) is synthetic too.
* The professional grids (专业网格) are synthetic unions of basic grids. Each stays inside
  one street (every street has its own 派出所, 执法中队, ...), so basic grids, communities'
  grids and street boundaries all nest in them.

How the cells are cut: a made-up population-density surface samples a jittered lattice.
The surface is dense in the urban west, nearly empty on the 崂山 massif around 巨峰, and
has villages along the coast and a few valleys. Weighted k-means on the samples gives the
seeds, and the Voronoi cells of the seeds, clipped to the parent, are the children. So
urban units come out small and mountain units large.

Why the tiling is exact: the boundaries of a level are noded together once, with snap
rounding on the 1e-6° grid that the files are written at, and polygonized into faces.
Every unit at every level is the coverage union of its faces, so each parent is rebuilt
from its children. A parent's edge moves at most a micro-degree from the OSM source, and
rounding the output to 6 decimals changes nothing.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np
import shapely
from pyproj import Transformer
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree
from shapely.geometry import mapping, shape

from geo.domain import DISTRICT_CODE, DISTRICT_NAME, KEY_POPULATION_TYPES, PROFESSIONAL_TYPES, STREETS

DEFAULT_SEED = 20221020
#: Published number of basic grids in 崂山区.
GRID_COUNT = 863
#: Published number of key-population people (重点人群) in the district, roughly.
KEY_POPULATION_TOTAL = 19_000
#: Coordinates are stored with 6 decimals (about 0.1 m), so all geometry is built on that grid.
DECIMALS = 6
PRECISION = 10.0**-DECIMALS
#: Metric CRS for distances, k-means and areas: UTM 51N covers 120°E–126°E.
METRIC_CRS = "EPSG:32651"
DEFAULT_SOURCE = Path(__file__).resolve().parents[3] / "shared" / "data" / "geo"
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "data"
ATTRIBUTION = (
    "Street outlines © OpenStreetMap contributors (ODbL). Community shapes, grids and all figures "
    "are synthetic."
)

#: OSM street outlines carry a few slivers of tens of m²; parts below this are dropped.
MIN_PART_M2 = 1_000.0
#: Street outlines are coverage-simplified by this much (°, about 10 m) before anything else.
SIMPLIFY_DEG = 1e-4
#: A detached part under this share of its unit is given to the neighbour it shares most edge with.
FRAGMENT_SHARE = 0.05
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

#: Sampling and k-means settings per level: lattice points per seed, weight exponent.
#: Exponent 2 gives cells of about equal population; 1.5 lets rural communities grow larger.
COMMUNITY_SAMPLING = (250, 1.5)
GRID_SAMPLING = (60, 2.0)

#: Key-population types: share of the district total, and how much more common in villages.
KEY_POPULATION_MIX = MappingProxyType(
    {
        "disabled": (0.33, 1.3),
        "elderly_80plus": (0.28, 1.8),
        "elderly_alone": (0.10, 2.0),
        "low_income": (0.11, 1.8),
        "extreme_poverty": (0.02, 2.2),
        "children_in_need": (0.015, 1.5),
        "veterans_priority": (0.08, 1.2),
        "mental_health": (0.065, 1.2),
    }
)

#: Professional grids per type: (number of units, what sizes them, name suffix).
#: ``population`` gives equal-population units (police, market), ``area`` equal-area units
#: (forest fire, ecology), ``mixed`` something in between.
PROFESSIONAL_PLAN = MappingProxyType(
    {
        "police": (12, "population", "警务网格"),
        "emergency": (25, "mixed", "应急网格"),
        "law_enforcement": (10, "mixed", "执法网格"),
        "market_supervision": (15, "population", "市场监管网格"),
        "fire": (18, "mixed", "消防网格"),
        "environment": (14, "area", "生态环境网格"),
        "transport": (20, "mixed", "交通网格"),
        "health": (40, "population", "卫生健康网格"),
    }
)
PROFESSIONAL_WEIGHT_MIX = MappingProxyType({"population": 1.0, "mixed": 0.5, "area": 0.0})


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _rng(seed: int, *keys: int) -> np.random.Generator:
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


def _round_coords(geom):
    """Rounds to the stored precision; identical inputs stay identical, so shared edges stay shared."""
    return shapely.transform(geom, lambda c: np.round(c, DECIMALS))


def _allocate(quota: np.ndarray, total: int, cap: np.ndarray | None = None) -> np.ndarray:
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


def _polylines_metric(lines: Sequence[Sequence[tuple[float, float]]], proj: Projection, step: float):
    """Densified vertices of lon/lat polylines, in metres, for nearest-distance look-ups."""
    geoms = proj.to_metric(np.array([shapely.LineString(line) for line in lines], dtype=object))
    return shapely.get_coordinates(shapely.segmentize(geoms, step))


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Street:
    """One 街道 from OSM, with its NBS code."""

    code: str
    name: str
    geom: shapely.Geometry


def load_streets(source: Path, proj: Projection) -> list[Street]:
    """Reads the five streets and drops OSM slivers too small to hold a community."""
    data = json.loads((source / "laoshan_subdistricts_osm_wgs84.geojson").read_text(encoding="utf-8"))
    streets = []
    for feature in data["features"]:
        code = feature["properties"]["stats_code_2023"]
        parts = shapely.get_parts(shape(feature["geometry"]))
        parts = parts[proj.area_km2(parts) * 1e6 >= MIN_PART_M2]
        streets.append(Street(code, STREETS[code], shapely.multipolygons(parts)))
    streets.sort(key=lambda s: s.code)
    # Coverage simplification moves shared edges together, so the streets still tile; ~10 m is far
    # below the few hundred metres the outlines are good to, and it keeps the files small.
    simple = shapely.coverage_simplify(np.array([s.geom for s in streets], dtype=object), SIMPLIFY_DEG)
    streets = [Street(s.code, s.name, g) for s, g in zip(streets, simple, strict=True)]
    if [s.code for s in streets] != sorted(STREETS):
        raise ValueError(f"expected the streets {sorted(STREETS)}, got {[s.code for s in streets]}")
    return streets


def load_neighbours(source: Path) -> list[tuple[str, shapely.Geometry]]:
    """The other districts of 青岛 (admin level 6), for the coast and the base map."""
    data = json.loads((source / "qingdao_admin_osm_wgs84.geojson").read_text(encoding="utf-8"))
    out = [
        (f["properties"]["name"], shape(f["geometry"]))
        for f in data["features"]
        if f["properties"].get("admin_level") == "6" and f["properties"].get("name") != DISTRICT_NAME
    ]
    return sorted(out, key=lambda item: item[0])


def load_communities(source: Path) -> dict[str, list[tuple[str, str]]]:
    """(code, name) of each street's communities, in code order."""
    out: dict[str, list[tuple[str, str]]] = {code: [] for code in sorted(STREETS)}
    with (source / "laoshan_communities.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if not row["community_code"].startswith(row["street_code"]):
                raise ValueError(f"community {row['community_code']} is not under {row['street_code']}")
            out[row["street_code"]].append((row["community_code"], row["community_name"]))
    return {code: sorted(rows) for code, rows in out.items()}


# --------------------------------------------------------------------------------------------
# Density surface
# --------------------------------------------------------------------------------------------


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
        valley_xy = _polylines_metric(VALLEYS, proj, 50.0)
        px, py = proj.xy(np.array([JUFENG[0]]), np.array([JUFENG[1]]))
        bare = cls(
            proj, cKDTree(coast_xy), cKDTree(valley_xy), np.empty((0, 4)), (float(px[0]), float(py[0]))
        )
        return cls(bare.proj, bare.coast, bare.valleys, bare._place_villages(land, seed), bare.peak_xy)

    def _place_villages(self, land: shapely.Geometry, seed: int) -> np.ndarray:
        """Villages sit near the coast and valleys, away from the city and the peak, ≥ 900 m apart."""
        rng = _rng(seed, 1)
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


# --------------------------------------------------------------------------------------------
# Seeds and cells
# --------------------------------------------------------------------------------------------


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


def kmeans(xy: np.ndarray, weight: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Weighted k-means (k-means++ start, Lloyd steps); seeds crowd where the weight is high."""
    if len(xy) < k:
        raise ValueError(f"{len(xy)} samples cannot seed {k} cells")
    centres = np.empty((k, 2))
    d2 = np.full(len(xy), np.inf)
    score = weight
    for c in range(k):
        centres[c] = xy[rng.choice(len(xy), p=score / score.sum())]
        d2 = np.minimum(d2, ((xy - centres[c]) ** 2).sum(axis=1))
        score = weight * d2
    for _ in range(60):
        d2, label = cKDTree(centres).query(xy)
        mass = np.bincount(label, weight, k)
        moved = centres.copy()
        for axis in (0, 1):
            moved[:, axis] = np.bincount(label, weight * xy[:, axis], k) / np.where(mass > 0, mass, 1.0)
        for empty in np.flatnonzero(mass == 0):
            far = int(np.argmax(weight * d2**2))
            moved[empty] = xy[far]
            d2[far] = 0.0
        shift = np.abs(moved - centres).max()
        centres = moved
        if shift < 0.5:
            break
    return centres


def seeds_for(
    parent: shapely.Geometry, k: int, density: Density, sampling: tuple[int, float], rng: np.random.Generator
) -> np.ndarray:
    """k seeds (metres) inside a lon/lat parent, denser where the density is."""
    per_seed, exponent = sampling
    parent_m = density.proj.to_metric(parent)
    if k == 1:
        return np.array(shapely.get_coordinates(shapely.point_on_surface(parent_m)))
    spacing = float(np.sqrt(shapely.area(parent_m) / max(per_seed * k, 400)))
    x, y = lattice(parent_m, spacing, rng)
    while len(x) < 20 * k:  # thin or tiny parent: sample finer
        spacing /= 2.0
        x, y = lattice(parent_m, spacing, rng)
    return kmeans(np.column_stack([x, y]), density(x, y) ** exponent, k, rng)


def voronoi_edges(seeds_m: np.ndarray, parent: shapely.Geometry, proj: Projection) -> shapely.Geometry | None:
    """Voronoi edges of metric seeds, back in lon/lat and clipped to the parent."""
    if len(seeds_m) < 2:
        return None
    x0, y0, x1, y1 = shapely.bounds(proj.to_metric(parent))
    frame = shapely.box(x0 - 5_000, y0 - 5_000, x1 + 5_000, y1 + 5_000)
    edges = shapely.voronoi_polygons(shapely.multipoints(seeds_m), extend_to=frame, only_edges=True)
    return shapely.intersection(proj.to_lonlat(edges), parent)


def planar_faces(lines: Sequence[shapely.Geometry]) -> np.ndarray:
    """Nodes all linework once on the storage grid and returns the faces it encloses.

    Snap rounding puts every vertex and crossing on the 1e-6° grid, so neighbouring faces
    share identical edges and stay a perfect tiling once written with 6 decimals.
    """
    noded = shapely.union_all(
        np.array([g for g in lines if g is not None], dtype=object), grid_size=PRECISION
    )
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    faces = _round_coords(faces)
    return faces[~shapely.is_empty(faces) & (shapely.area(faces) > 0)]


@dataclass(frozen=True)
class Adjacency:
    """Which faces share an edge, and how long it is (degrees; only compared, never reported)."""

    i: np.ndarray
    j: np.ndarray
    length: np.ndarray

    @classmethod
    def of(cls, faces: np.ndarray) -> Adjacency:
        """Pairs found with an STRtree, kept when the shared boundary has length."""
        tree = shapely.STRtree(faces)
        i, j = tree.query(faces, predicate="intersects")
        keep = i < j
        i, j = i[keep], j[keep]
        boundaries = shapely.boundary(faces)
        length = shapely.length(shapely.intersection(boundaries[i], boundaries[j]))
        keep = length > 0
        return cls(i[keep], j[keep], length[keep])


def label_faces(faces: np.ndarray, parents: Sequence[shapely.Geometry]) -> np.ndarray:
    """Index of the parent each face lies in; -1 for faces outside all of them (dropped)."""
    points = shapely.point_on_surface(faces)
    tree = shapely.STRtree(np.array(parents, dtype=object))
    label = np.full(len(faces), -1)
    pi, ti = tree.query(points, predicate="within")
    label[pi] = ti  # parents do not overlap, so a point lies within at most one
    lost = np.flatnonzero(label < 0)
    if len(lost):  # micro-faces bent outside by snap rounding: take the nearest parent
        pi, ti = tree.query_nearest(points[lost], max_distance=10 * PRECISION)
        label[lost[pi]] = ti
    return label


def nearest_seed(faces: np.ndarray, seeds_m: np.ndarray, proj: Projection) -> np.ndarray:
    """The Voronoi cell each face belongs to, i.e. its nearest seed."""
    xy = shapely.get_coordinates(proj.to_metric(shapely.point_on_surface(faces)))
    return cKDTree(seeds_m).query(xy)[1]


def merge_fragments(label: np.ndarray, group: np.ndarray, area: np.ndarray, adj: Adjacency) -> np.ndarray:
    """Gives tiny detached parts of a unit to the same-group neighbour they share most edge with.

    A Voronoi cell clipped by a non-convex parent can fall apart; a part under
    ``FRAGMENT_SHARE`` of its unit's area reads as an error on a map. Islands (no
    neighbour in the group) stay. Only faces move, so the tiling is untouched.
    """
    label = label.copy()
    for _ in range(3):
        same = label[adj.i] == label[adj.j]
        n = len(label)
        graph = coo_matrix((np.ones(same.sum()), (adj.i[same], adj.j[same])), shape=(n, n))
        _, component = connected_components(graph, directed=False)
        comp_area = np.bincount(component, area)
        unit_area = np.bincount(label[label >= 0], area[label >= 0])
        comp_label = np.full(comp_area.size, -1)
        comp_label[component] = label
        biggest = np.zeros(comp_area.size, dtype=bool)
        for unit in np.unique(comp_label[comp_label >= 0]):
            members = np.flatnonzero(comp_label == unit)
            biggest[members[np.argmax(comp_area[members])]] = True
        changed = False
        for comp in np.flatnonzero(~biggest & (comp_label >= 0)):
            unit = comp_label[comp]
            if comp_area[comp] >= FRAGMENT_SHARE * unit_area[unit]:
                continue
            inside_i = component[adj.i] == comp
            inside_j = component[adj.j] == comp
            border = inside_i ^ inside_j
            other = np.where(inside_i, adj.j, adj.i)[border]
            mine = np.where(inside_i, adj.i, adj.j)[border]
            ok = (label[other] >= 0) & (label[other] != unit) & (group[other] == group[mine])
            if not ok.any():
                continue
            shared: dict[int, float] = {}
            for nb, length in zip(label[other][ok], adj.length[border][ok], strict=True):
                shared[int(nb)] = shared.get(int(nb), 0.0) + float(length)
            target = max(sorted(shared), key=lambda k: shared[k])
            label[component == comp] = target
            changed = True
        if not changed:
            break
    return label


def union_faces(faces: np.ndarray, label: np.ndarray, units: int) -> list[shapely.Geometry]:
    """Each unit as the coverage union of its faces (exact: faces share identical edges)."""
    order = np.argsort(label, kind="stable")
    bounds = np.searchsorted(label[order], np.arange(units + 1))
    out = []
    for u in range(units):
        members = faces[order[bounds[u] : bounds[u + 1]]]
        if len(members) == 0:
            raise RuntimeError(f"unit {u} has no faces left")
        out.append(shapely.coverage_union_all(members))
    return out


# --------------------------------------------------------------------------------------------
# Levels
# --------------------------------------------------------------------------------------------


def partition(
    parents: list[shapely.Geometry], counts: list[int], density: Density, sampling, seed: int, stream: int
) -> np.ndarray:
    """Cuts each parent into ``counts[n]`` cells that tile it exactly; cells come back parent by parent.

    Seeds follow the density; the Voronoi edges of every parent are noded together
    with all parent boundaries, so children rebuild their parents face for face.
    """
    proj = density.proj
    lines: list[shapely.Geometry] = [shapely.boundary(g) for g in parents]
    seeds: list[np.ndarray] = []
    for n, (geom, k) in enumerate(zip(parents, counts, strict=True)):
        seeds.append(seeds_for(geom, k, density, sampling, _rng(seed, stream, n)))
        lines.append(voronoi_edges(seeds[-1], geom, proj))
    faces = planar_faces(lines)
    parent_of = label_faces(faces, parents)
    offsets = np.cumsum([0] + [len(s) for s in seeds])
    label = np.full(len(faces), -1)
    for n in range(len(parents)):
        mine = np.flatnonzero(parent_of == n)
        label[mine] = offsets[n] + nearest_seed(faces[mine], seeds[n], proj)
    label = merge_fragments(label, parent_of, shapely.area(faces), Adjacency.of(faces))
    keep = label >= 0
    return union_faces(faces[keep], label[keep], int(offsets[-1]))


def by_parent(cells: np.ndarray, counts: list[int]):
    """Each parent's cells, with their indexes ordered west → east (how names and numbers are given)."""
    offsets = np.cumsum([0] + counts)
    for n in range(len(counts)):
        mine = cells[offsets[n] : offsets[n + 1]]
        yield mine, sorted(range(len(mine)), key=lambda c: shapely.get_x(shapely.centroid(mine[c])))


@dataclass(frozen=True)
class Community:
    """A synthetic community cell with its real name and code."""

    code: str
    name: str
    street: str
    geom: shapely.Geometry
    mass: float


def build_communities(
    streets: list[Street], rows: dict[str, list[tuple[str, str]]], density: Density, seed: int
) -> list[Community]:
    """Cuts each street into its CSV communities (pass 1), then names the cells west → east."""
    counts = [len(rows[street.code]) for street in streets]
    cells = partition([s.geom for s in streets], counts, density, COMMUNITY_SAMPLING, seed, stream=2)

    out = []
    for n, (street, (mine, west_to_east)) in enumerate(zip(streets, by_parent(cells, counts), strict=True)):
        for (code, name), c in zip(rows[street.code], west_to_east, strict=True):
            out.append(
                Community(code, name, street.code, mine[c], _mass(mine[c], density, _rng(seed, 3, n, c)))
            )
    return out


def _mass(geom: shapely.Geometry, density: Density, rng: np.random.Generator) -> float:
    """Integrated density (≈ people), from about 2,000 lattice samples."""
    geom_m = density.proj.to_metric(geom)
    area = shapely.area(geom_m)
    x, y = lattice(geom_m, float(np.sqrt(area / 2_000)), rng)
    return float(density(x, y).mean() * area / 1e6) if len(x) else 0.0


@dataclass(frozen=True)
class Grid:
    """A basic grid cell before attributes."""

    community: Community
    seq: int
    geom: shapely.Geometry
    density: float

    @property
    def code(self) -> str:
        """Community code + 3-digit sequence, so prefix tests find the parent."""
        return f"{self.community.code}{self.seq:03d}"


def build_grids(communities: list[Community], density: Density, seed: int) -> list[Grid]:
    """Allocates 863 grids by population mass and cuts each community into its share (pass 2)."""
    counts = [int(k) for k in _allocate(np.array([c.mass for c in communities]), GRID_COUNT)]
    cells = partition([c.geom for c in communities], counts, density, GRID_SAMPLING, seed, stream=4)

    grids = []
    for n, (community, (mine, west_to_east)) in enumerate(zip(communities, by_parent(cells, counts), strict=True)):
        rng = _rng(seed, 5, n)
        for seq, c in enumerate(west_to_east, start=1):
            grids.append(Grid(community, seq, mine[c], _mean_density(mine[c], density, rng)))
    return grids


def _mean_density(geom: shapely.Geometry, density: Density, rng: np.random.Generator) -> float:
    """Mean density over a grid, which decides how urban its figures look."""
    geom_m = density.proj.to_metric(geom)
    x, y = lattice(geom_m, float(np.sqrt(shapely.area(geom_m) / 200)), rng)
    if len(x) == 0:
        x, y = (np.array([v]) for v in shapely.get_coordinates(shapely.point_on_surface(geom_m))[0])
    return float(density(x, y).mean())


def rebuild_parents(grids: list[Grid]) -> tuple[dict[str, shapely.Geometry], dict[str, shapely.Geometry]]:
    """Communities and streets as exact unions of their grids (pass 2 moved edges by ≤ 1e-6°)."""
    by_community: dict[str, list[shapely.Geometry]] = {}
    for g in grids:
        by_community.setdefault(g.community.code, []).append(g.geom)
    communities = {code: shapely.coverage_union_all(geoms) for code, geoms in sorted(by_community.items())}
    by_street: dict[str, list[shapely.Geometry]] = {}
    for code, geom in communities.items():
        by_street.setdefault(code[:9], []).append(geom)
    streets = {code: shapely.coverage_union_all(geoms) for code, geoms in sorted(by_street.items())}
    return communities, streets


# --------------------------------------------------------------------------------------------
# Attributes
# --------------------------------------------------------------------------------------------


def urbanity(density: float) -> float:
    """0 for a village, 1 for the city, on a log scale of density."""
    return float(
        np.clip((np.log10(max(density, 1.0)) - np.log10(400.0)) / np.log10(6_000.0 / 400.0), 0.0, 1.0)
    )


def grid_attributes(grids: list[Grid], seed: int) -> list[dict]:
    """Per-grid figures: households 300–500 and the rest scaled to how urban the grid is."""
    rows = []
    for n, g in enumerate(grids):
        rng = _rng(seed, 6, n)
        u = urbanity(g.density)
        households = int(np.clip(round(rng.normal(380.0, 45.0)), 300, 500))
        per_household = float(np.clip(rng.normal(1.82 - 0.17 * u, 0.05), 1.5, 1.9))
        buildings = round(u * rng.integers(8, 31) + (1 - u) * rng.integers(60, 201))
        extra = u * rng.integers(5, 40) + (1 - u) * buildings * rng.uniform(0.0, 0.2)
        business = 1.35 if g.community.street == "370212005" else 1.0  # 金家岭: the CBD
        legal = u * business * rng.integers(30, 90) + (1 - u) * rng.integers(5, 30)
        rows.append(
            {
                "households": households,
                "population": int(
                    np.clip(round(households * per_household), np.ceil(1.5 * households), 1.9 * households)
                ),
                "buildings": int(buildings),
                "house_numbers": int(buildings + round(extra)),
                "legal_persons": int(np.clip(round(legal), 5, 120)),
                "_u": u,
            }
        )
    _key_population(rows, seed)
    return rows


def _key_population(rows: list[dict], seed: int) -> None:
    """Poisson counts per type, calibrated so the expected district total is ``KEY_POPULATION_TOTAL``."""
    population = np.array([r["population"] for r in rows], dtype=float)
    rural = 1.0 - np.array([r["_u"] for r in rows])
    counts = {}
    rng = _rng(seed, 7)
    for kind in KEY_POPULATION_TYPES:
        share, factor = KEY_POPULATION_MIX[kind]
        raw = population * (1.0 + (factor - 1.0) * rural)
        counts[kind] = rng.poisson(raw * (share * KEY_POPULATION_TOTAL / raw.sum()))
    for n, r in enumerate(rows):
        r["key_population_by_type"] = {kind: int(counts[kind][n]) for kind in KEY_POPULATION_TYPES}
        r["key_population"] = sum(r["key_population_by_type"].values())
        del r["_u"]


# --------------------------------------------------------------------------------------------
# Professional grids
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProfessionalGrid:
    """One unit of a professional partition: a connected set of basic grids in one street."""

    code: str
    name: str
    type: str
    street: str
    members: tuple[int, ...]


def grid_graph(geoms: list[shapely.Geometry], centres: np.ndarray) -> csr_matrix:
    """Grids that share an edge, weighted by centre distance, for growing connected regions."""
    adj = Adjacency.of(np.array(geoms, dtype=object))
    dist = np.hypot(*(centres[adj.i] - centres[adj.j]).T) + 1.0
    n = len(geoms)
    return coo_matrix((dist, (adj.i, adj.j)), shape=(n, n)).tocsr()


def professional_grids(
    grids: list[Grid], attrs: list[dict], proj: Projection, seed: int
) -> list[ProfessionalGrid]:
    """Each type partitions all 863 grids into its own number of connected regions.

    Regions stay inside one street, because each street has its own 派出所, 执法中队 and
    市场监管所; that also keeps the names meaningful. A type's units go to the streets by
    population or area share (see ``PROFESSIONAL_PLAN``) and are grown over the graph of
    grids that share an edge (see ``_grow_regions``).
    """
    geoms = [g.geom for g in grids]
    centres = shapely.get_coordinates(proj.to_metric(shapely.point_on_surface(np.array(geoms, dtype=object))))
    graph = grid_graph(geoms, centres)
    area = proj.area_km2(np.array(geoms, dtype=object))
    population = np.array([a["population"] for a in attrs], dtype=float)
    street_of = np.array([g.community.street for g in grids])
    street_codes = sorted(STREETS)
    out: list[ProfessionalGrid] = []
    for t, kind in enumerate(PROFESSIONAL_TYPES):
        total, sizing, suffix = PROFESSIONAL_PLAN[kind]
        mix = PROFESSIONAL_WEIGHT_MIX[sizing]
        share = np.array(
            [
                mix * population[street_of == s].sum() / population.sum()
                + (1 - mix) * area[street_of == s].sum() / area.sum()
                for s in street_codes
            ]
        )
        cap = np.array([(street_of == s).sum() for s in street_codes])
        per_street = _allocate(share, total, cap)
        units: list[tuple[str, float, tuple[int, ...]]] = []
        for s, street in enumerate(street_codes):
            idx = np.flatnonzero(street_of == street)
            weight = population[idx] ** mix * area[idx] ** (1 - mix)
            regions = _grow_regions(idx, centres, weight, int(per_street[s]), graph, _rng(seed, 8, t, s))
            units.extend((street, float(centres[list(r), 0].mean()), r) for r in regions)
        units.sort(key=lambda u: (u[0], u[1]))
        per_street_seq: dict[str, int] = {}
        for n, (street, _, members) in enumerate(units, start=1):
            per_street_seq[street] = per_street_seq.get(street, 0) + 1
            short = STREETS[street].removesuffix("街道")
            name = f"{short}第{per_street_seq[street]}{suffix}"
            out.append(ProfessionalGrid(f"{kind}-{n:02d}", name, kind, street, members))
    return out


def _grow_regions(
    idx: np.ndarray,
    centres: np.ndarray,
    weight: np.ndarray,
    k: int,
    graph: csr_matrix,
    rng: np.random.Generator,
) -> list[tuple[int, ...]]:
    """k connected, roughly equal-weight regions of the grids ``idx``.

    Seeds come from weighted k-means; each grid goes to the seed with the least graph
    distance plus a per-seed offset. Raising the offset of an overweight region shrinks it
    (an additively weighted graph Voronoi), and such regions stay connected, because every
    grid's shortest-path predecessor has the same owner. Grids no edge reaches (islands)
    join the nearest seed. The most even assignment that still keeps every seed is kept.
    """
    xy = centres[idx]
    if k == 1:
        return [tuple(int(i) for i in idx)]
    target = kmeans(xy, weight / weight.sum(), k, rng)
    seeds: list[int] = []
    for c in target:  # the grid nearest each centre, each grid used once
        order = np.argsort(((xy - c) ** 2).sum(axis=1), kind="stable")
        seeds.append(int(next(o for o in order if o not in seeds)))
    dist = dijkstra(graph[idx][:, idx], directed=False, indices=seeds)
    reachable = np.isfinite(dist).any(axis=0)
    fair = weight.sum() / k
    scale = float(np.median(dist[np.isfinite(dist)]))
    offset = np.zeros(k)
    best, best_spread = None, np.inf
    for _ in range(60):
        owner = np.argmin(dist + offset[:, None], axis=0)
        owner[~reachable] = cKDTree(xy[seeds]).query(xy[~reachable])[1]  # islands: nearest seed
        load = np.bincount(owner, weight, k) / fair
        if (owner[seeds] == np.arange(k)).all() and load.max() < best_spread:
            best, best_spread = owner.copy(), load.max()
        offset += 0.15 * scale * (load - 1.0)
    return [tuple(int(i) for i in idx[best == r]) for r in range(k)]


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def build(source: Path = DEFAULT_SOURCE, out: Path = DEFAULT_OUT, seed: int = DEFAULT_SEED) -> dict:
    """Builds every level and writes the files; returns a summary for the caller to print."""
    started = time.perf_counter()
    proj = Projection.create()
    streets = load_streets(source, proj)
    neighbours = load_neighbours(source)
    rows = load_communities(source)
    land = shapely.union_all([s.geom for s in streets])
    density = Density.create(land, coastline(land, [g for _, g in neighbours]), proj, seed)

    communities = build_communities(streets, rows, density, seed)
    grids = build_grids(communities, density, seed)
    attrs = grid_attributes(grids, seed)
    professional = professional_grids(grids, attrs, proj, seed)
    community_geom, street_geom = rebuild_parents(grids)
    # The OSM district outline includes sea, so the district is the union of its (land) streets.
    district = shapely.coverage_union_all(list(street_geom.values()))

    prof_of: dict[int, dict[str, str]] = {n: {} for n in range(len(grids))}
    for unit in professional:
        for m in unit.members:
            prof_of[m][unit.type] = unit.code
    grid_features = []
    totals: dict[str, dict[str, int]] = {}
    for n, (g, a) in enumerate(zip(grids, attrs, strict=True)):
        props = {
            "code": g.code,
            "name": f"{g.community.name}第{g.seq}网格",
            "parent_code": g.community.code,
            "street_code": g.community.street,
            **a,
            "professional": {kind: prof_of[n][kind] for kind in PROFESSIONAL_TYPES},
        }
        grid_features.append(feature(g.geom, props))
        t = totals.setdefault(g.community.code, {"households": 0, "population": 0})
        t["households"] += a["households"]
        t["population"] += a["population"]
    community_features = [
        feature(
            community_geom[c.code],
            {"code": c.code, "name": c.name, "parent_code": c.street, **totals[c.code]},
        )
        for c in communities
    ]
    street_features = [
        feature(street_geom[s.code], {"code": s.code, "name": s.name, "parent_code": DISTRICT_CODE})
        for s in streets
    ]
    district_features = [
        feature(district, {"code": DISTRICT_CODE, "name": DISTRICT_NAME, "parent_code": None})
    ]
    professional_features = [
        feature(
            shapely.coverage_union_all([grids[m].geom for m in unit.members]),
            {
                "code": unit.code,
                "name": unit.name,
                "parent_code": DISTRICT_CODE,
                "street_code": unit.street,
                "type": unit.type,
                "type_name": PROFESSIONAL_TYPES[unit.type],
                "grid_count": len(unit.members),
            },
        )
        for unit in professional
    ]
    neighbour_features = [
        feature(shapely.set_precision(g.simplify(0.001, preserve_topology=True), PRECISION), {"name": name})
        for name, g in neighbours
    ]

    out.mkdir(parents=True, exist_ok=True)
    outputs = {
        "district.geojson": district_features,
        "streets.geojson": street_features,
        "communities.geojson": community_features,
        "grids.geojson": grid_features,
        "professional_grids.geojson": professional_features,
        "neighbours.geojson": neighbour_features,
    }
    sizes = {}
    for name, features in outputs.items():
        sizes[name] = write_collection(out / name, features)
        check_written(out / name, len(features))
    return {
        "sizes": sizes,
        "seconds": time.perf_counter() - started,
        "grids": grids,
        "attrs": attrs,
        "communities": communities,
        "professional": professional,
        "proj": proj,
    }


def _report(summary: dict) -> str:
    """Per-street counts, grid sizes and totals, to eyeball a build."""
    proj: Projection = summary["proj"]
    grids: list[Grid] = summary["grids"]
    attrs: list[dict] = summary["attrs"]
    area = proj.area_km2(np.array([g.geom for g in grids], dtype=object))
    lines = [f"{name:28s} {size / 1024:8.1f} KiB" for name, size in summary["sizes"].items()]
    lines.append(f"{'total':28s} {sum(summary['sizes'].values()) / 1024:8.1f} KiB")
    for code, name in sorted(STREETS.items()):
        mine = np.array([g.community.street == code for g in grids])
        n_comm = sum(c.street == code for c in summary["communities"])
        a = area[mine]
        pop = sum(attrs[i]["population"] for i in np.flatnonzero(mine))
        lines.append(
            f"{code} {name}: {n_comm:3d} communities {mine.sum():4d} grids  population {pop:7d}  grid km² "
            f"min {a.min():.3f} median {np.median(a):.3f} max {a.max():.3f}"
        )
    total = {key: sum(a[key] for a in attrs) for key in ("households", "population", "key_population")}
    lines.append(
        f"households {total['households']}  population {total['population']}  "
        f"key population {total['key_population']}  build {summary['seconds']:.1f} s"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """CLI: ``python -m geo.build [--seed N] [--source DIR] [--out DIR]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="shared/data/geo")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    print(_report(build(args.source, args.out, args.seed)))


if __name__ == "__main__":
    main()
