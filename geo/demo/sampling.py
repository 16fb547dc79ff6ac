"""Seeded random streams, and turning uniform draws into indices, categories, durations and points.

Every draw in the generator goes through these, so one seed reproduces everything.
"""

from __future__ import annotations

import numpy as np
import shapely


def rng_for(seed: int, *keys: int) -> np.random.Generator:
    """A generator for one purpose, so streams never interfere."""
    return np.random.default_rng(np.random.SeedSequence([int(seed) % 2**63, *keys]))


def lognormal(z: np.ndarray, median: np.ndarray | float, sigma: float | np.ndarray) -> np.ndarray:
    """Durations are right-skewed: most quick, a few very slow."""
    return np.exp(np.log(median) + sigma * z)


def pick(u: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Uniform index in [0, counts) from a uniform draw."""
    return np.minimum((u * counts).astype(np.int64), np.maximum(counts - 1, 0))


def choose(p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Row-wise categorical draw from unnormalised weights ``p`` and one uniform per row."""
    cdf = np.cumsum(p, axis=1)
    return np.minimum((cdf < u[:, None] * cdf[:, -1:]).sum(axis=1), p.shape[1] - 1)


def sample_in_polygons(
    geoms: np.ndarray, bounds: np.ndarray, owner: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """One point strictly inside ``geoms[owner[i]]`` per entry, by vectorized rejection sampling."""
    n = len(owner)
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    todo = np.arange(n)
    for _ in range(60):
        if len(todo) == 0:
            break
        rep = np.repeat(todo, 4)
        gr = owner[rep]
        b = bounds[gr]
        cx = b[:, 0] + rng.random(len(rep)) * (b[:, 2] - b[:, 0])
        cy = b[:, 1] + rng.random(len(rep)) * (b[:, 3] - b[:, 1])
        inside = shapely.contains_xy(geoms[gr], cx, cy)
        # First accepted candidate per entry.
        hit = np.flatnonzero(inside)
        first = hit[np.unique(rep[hit], return_index=True)[1]]
        x[rep[first]] = cx[first]
        y[rep[first]] = cy[first]
        todo = todo[~np.isfinite(x[todo])]
    if len(todo):  # slivers: fall back to a point guaranteed inside
        pts = shapely.point_on_surface(geoms[owner[todo]])
        x[todo] = shapely.get_x(pts)
        y[todo] = shapely.get_y(pts)
    return x, y
