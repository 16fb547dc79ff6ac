"""The grids as arrays, and the pools of fixed addresses appeals come from.

Grids arrive as DataFrames or dicts with shapely, WKT or GeoJSON geometry;
everything downstream wants parallel NumPy arrays sorted by code, so input
order never changes the output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely
import shapely.geometry

from geo.crs import KM_PER_DEG_LAT, km_per_deg_lon
from geo.demo.sampling import pick, rng_for, sample_in_polygons
from geo.demo.tables import RURAL_STREETS, TAG_ADDRESSES, TAG_GRIDS, URBAN_STREETS
from geo.demo.text import STREET_PLACES


@dataclass(frozen=True)
class Grids:
    """Grid attributes as parallel arrays, sorted by code so input order never matters."""

    code: np.ndarray
    street: np.ndarray
    community: np.ndarray
    households: np.ndarray
    population: np.ndarray
    geoms: np.ndarray
    bounds: np.ndarray  # (G, 4)
    area_km2: np.ndarray
    density: np.ndarray
    rural: np.ndarray

    def __len__(self) -> int:
        return len(self.code)


def _geometry(value: Any) -> Any:
    """Accept shapely geometries, WKT or GeoJSON mappings, as grid files come in all three."""
    if isinstance(value, shapely.Geometry):
        return value
    if isinstance(value, str):
        return shapely.from_wkt(value)
    return shapely.geometry.shape(value)


def prepare_grids(grids: Any) -> Grids:
    """Normalise the grids input (DataFrame or sequence of dicts) into arrays."""
    df = grids if isinstance(grids, pd.DataFrame) else pd.DataFrame(list(grids))
    if len(df) == 0:
        raise ValueError("grids must not be empty")
    if "community_code" not in df.columns and "parent_code" in df.columns:
        df = df.assign(community_code=df["parent_code"])
    df = df.sort_values("code", kind="stable").reset_index(drop=True)
    geoms = np.array([_geometry(g) for g in df["geometry"]], dtype=object)
    shapely.prepare(geoms)
    bounds = shapely.bounds(geoms)
    lat = (bounds[:, 1] + bounds[:, 3]) / 2
    area = shapely.area(geoms) * km_per_deg_lon(lat) * KM_PER_DEG_LAT
    area = np.maximum(area, 1e-4)
    households = pd.to_numeric(df.get("households"), errors="coerce") if "households" in df else None
    population = pd.to_numeric(df.get("population"), errors="coerce") if "population" in df else None
    hh = np.asarray(households, dtype=float) if households is not None else np.full(len(df), np.nan)
    pop = np.asarray(population, dtype=float) if population is not None else np.full(len(df), np.nan)
    pop = np.where(np.isfinite(pop) & (pop > 0), pop, np.where(np.isfinite(hh) & (hh > 0), hh * 2.6, 1000.0))
    hh = np.where(np.isfinite(hh) & (hh > 0), hh, pop / 2.6)
    street = df["street_code"].astype(str).to_numpy(dtype=object)
    community = df["community_code"].astype(str).to_numpy(dtype=object) if "community_code" in df else street
    density = pop / area
    rural = np.isin(street, RURAL_STREETS) & (density < 3000)
    return Grids(
        code=df["code"].astype(str).to_numpy(dtype=object),
        street=street,
        community=community,
        households=hh,
        population=pop,
        geoms=geoms,
        bounds=bounds,
        area_km2=area,
        density=density,
        rural=rural,
    )


def grid_factors(g: Grids, seed: int) -> np.ndarray:
    """Persistent hotspot factor per grid: lognormal, with ~5% of grids 3–6× busier."""
    rng = rng_for(seed, TAG_GRIDS)
    n = len(g)
    factor = rng.lognormal(0.0, 0.35, n)
    hot = rng.random(n) < 0.05
    factor[hot] *= rng.uniform(3.0, 6.0, n)[hot]
    return factor


@dataclass(frozen=True)
class Addresses:
    """A pool of fixed points per grid, so the same doorway can appeal twice."""

    start: np.ndarray  # (G,) first address of each grid
    count: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    place: np.ndarray  # index into the place-word table
    cum: np.ndarray  # cumulative weight over all addresses
    cum_before: np.ndarray  # (G,) cumulative weight before each grid's first address
    total: np.ndarray  # (G,) weight of each grid's addresses


def place_words() -> tuple[np.ndarray, np.ndarray, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """All place words, whether each is a village, and the indices each street draws from."""
    words: list[str] = []
    village: list[bool] = []
    by_street: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for street, roads, villages in STREET_PLACES:
        ri = np.arange(len(words), len(words) + len(roads))
        words += roads
        village += [False] * len(roads)
        vi = np.arange(len(words), len(words) + len(villages))
        words += villages
        village += [True] * len(villages)
        by_street[street] = (ri, vi)
    return np.array(words), np.array(village), by_street


def addresses(g: Grids, seed: int) -> Addresses:
    """Sample each grid's address pool and tie every address to a local place word."""
    rng = rng_for(seed, TAG_ADDRESSES)
    n_grid = len(g)
    count = np.clip(np.round(g.households / 8), 20, 200).astype(np.int64)
    start = np.concatenate([[0], np.cumsum(count)[:-1]])
    owner = np.repeat(np.arange(n_grid), count)
    lon, lat = sample_in_polygons(g.geoms, g.bounds, owner, rng)
    _, _, by_street = place_words()
    urban_fallback = np.concatenate([by_street[s][0] for s in URBAN_STREETS])
    # Each grid gets 1-3 place words; villages mostly name themselves.
    grid_places: list[np.ndarray] = []
    for i in range(n_grid):
        roads, villages = by_street.get(g.street[i], (urban_fallback, np.array([], dtype=np.int64)))
        if g.rural[i] and len(villages):
            chosen = [villages[rng.integers(len(villages))]]
            if rng.random() < 0.3:
                chosen.append(roads[rng.integers(len(roads))])
        else:
            k = min(len(roads), 3)
            chosen = list(rng.choice(roads, size=k, replace=False))
        grid_places.append(np.array(chosen, dtype=np.int64))
    n_places = np.array([len(p) for p in grid_places])
    flat = np.concatenate(grid_places)
    flat_start = np.concatenate([[0], np.cumsum(n_places)[:-1]])
    # First place word of a grid is its main one.
    u = rng.random(len(owner))
    main = u < 0.6
    other = pick((u - 0.6) / 0.4, n_places[owner])
    place = flat[flat_start[owner] + np.where(main, 0, other)]
    weight = rng.lognormal(0.0, 0.8, len(owner))
    cum = np.cumsum(weight)
    total = np.add.reduceat(weight, start)
    cum_before = cum[start] - weight[start]
    return Addresses(start, count, lon, lat, place, cum, cum_before, total)
