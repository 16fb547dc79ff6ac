"""Synthetic per-grid figures (households, population, buildings, key population), scaled by urbanity."""

from __future__ import annotations

from types import MappingProxyType

import numpy as np

from geo.build.helpers import rng_for
from geo.build.levels import Grid
from geo.domain import KEY_POPULATION_TYPES

#: Published number of key-population people (重点人群) in the district, roughly.
KEY_POPULATION_TOTAL = 19_000
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


def urbanity(density: float) -> float:
    """0 for a village, 1 for the city, on a log scale of density."""
    return float(
        np.clip((np.log10(max(density, 1.0)) - np.log10(400.0)) / np.log10(6_000.0 / 400.0), 0.0, 1.0)
    )


def grid_attributes(grids: list[Grid], seed: int) -> list[dict]:
    """Per-grid figures: households 300–500 and the rest scaled to how urban the grid is."""
    rows = []
    for n, g in enumerate(grids):
        rng = rng_for(seed, 6, n)
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
    rng = rng_for(seed, 7)
    for kind in KEY_POPULATION_TYPES:
        share, factor = KEY_POPULATION_MIX[kind]
        raw = population * (1.0 + (factor - 1.0) * rural)
        counts[kind] = rng.poisson(raw * (share * KEY_POPULATION_TOTAL / raw.sum()))
    for n, r in enumerate(rows):
        r["key_population_by_type"] = {kind: int(counts[kind][n]) for kind in KEY_POPULATION_TYPES}
        r["key_population"] = sum(r["key_population_by_type"].values())
        del r["_u"]
