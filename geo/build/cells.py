"""Seeds and cells: density-weighted seeds, their Voronoi edges, and the noded faces every unit is a union of.

Noding once and building every unit from shared faces is what makes the tiling exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from geo.build.density import Density
from geo.build.helpers import PRECISION, Projection, lattice, round_coords

#: A detached part under this share of its unit is given to the neighbour it shares most edge with.
FRAGMENT_SHARE = 0.05


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
    faces = round_coords(faces)
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
