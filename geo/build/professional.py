"""Professional grids (专业网格): per type, connected unions of basic grids that stay inside one street."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import shapely
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from geo.build.cells import Adjacency, kmeans
from geo.build.helpers import Projection, allocate, rng_for
from geo.build.levels import Grid
from geo.domain import PROFESSIONAL_TYPES, STREETS

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
        per_street = allocate(share, total, cap)
        units: list[tuple[str, float, tuple[int, ...]]] = []
        for s, street in enumerate(street_codes):
            idx = np.flatnonzero(street_of == street)
            weight = population[idx] ** mix * area[idx] ** (1 - mix)
            regions = _grow_regions(idx, centres, weight, int(per_street[s]), graph, rng_for(seed, 8, t, s))
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
