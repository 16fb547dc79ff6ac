"""The two cutting passes (streets → communities → 863 grids) and the parents rebuilt from the grids."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from geo.build.cells import (
    Adjacency,
    label_faces,
    merge_fragments,
    nearest_seed,
    planar_faces,
    seeds_for,
    union_faces,
    voronoi_edges,
)
from geo.build.density import Density
from geo.build.helpers import allocate, lattice, rng_for
from geo.build.inputs import Street

#: Published number of basic grids in 崂山区.
GRID_COUNT = 863

#: Sampling and k-means settings per level: lattice points per seed, weight exponent.
#: Exponent 2 gives cells of about equal population; 1.5 lets rural communities grow larger.
COMMUNITY_SAMPLING = (250, 1.5)
GRID_SAMPLING = (60, 2.0)


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
        seeds.append(seeds_for(geom, k, density, sampling, rng_for(seed, stream, n)))
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
                Community(code, name, street.code, mine[c], _mass(mine[c], density, rng_for(seed, 3, n, c)))
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
    counts = [int(k) for k in allocate(np.array([c.mass for c in communities]), GRID_COUNT)]
    cells = partition([c.geom for c in communities], counts, density, GRID_SAMPLING, seed, stream=4)

    grids = []
    for n, (community, (mine, west_to_east)) in enumerate(zip(communities, by_parent(cells, counts), strict=True)):
        rng = rng_for(seed, 5, n)
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
