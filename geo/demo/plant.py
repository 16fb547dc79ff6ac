"""Planted hotspots: known extra appeals, so a hotspot detector can be checked against the truth.

A plant asks for one category to run ``strength`` times its usual rate in a
few adjacent grids for a few weeks. The generator keeps its own appeals as
they are and adds, per local day, a Poisson number of extra appeals whose
mean is ``(strength - 1) × λ(d)``, where λ(d) is what it would produce there
anyway; so in expectation the planted cell holds ``strength × λ(d)``. Each
plant and day draws from its own stream, so adding a plant moves no other
appeal, and the extras then go through the same address, text and workflow
steps as every other appeal: nothing marks them.

This module knows plants and arrays only; :mod:`geo.demo.appeals` supplies
the category probabilities it needs and splices the extras into its blocks.
"""

from __future__ import annotations

import datetime
import math
import numbers
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from geo import domain
from geo.demo.calendar import Plan
from geo.demo.sampling import choose, rng_for
from geo.demo.tables import CATEGORY_CODES, KIND_CODES, TAG_PLANT

#: Local hour from which an appeal counts as an evening one (the generator's seasonal factors differ).
EVENING_HOUR = 18.0


@dataclass(frozen=True)
class Plant:
    """A hotspot to plant: ``category`` at ``strength`` × its usual rate in ``grids`` for ``weeks`` from ``start``.

    Attributes:
        grids: Grid codes; :func:`adjacent_cluster` makes a connected set.
        category: A category code from :data:`geo.domain.CATEGORIES`.
        start: First local (Asia/Shanghai) day of the hotspot.
        weeks: Duration in whole weeks, as the detector counts by week.
        strength: Multiplier over the baseline (1.5, 2, 3 …); must be above 1.
    """

    grids: tuple[str, ...]
    category: str
    start: datetime.date
    weeks: int
    strength: float

    def __post_init__(self) -> None:
        if isinstance(self.grids, str):
            raise ValueError(f"grids must be a sequence of grid codes, not one string: {self.grids!r}")
        # Accept any sequence of codes but keep the frozen value hashable and ordered.
        object.__setattr__(self, "grids", tuple(str(code) for code in self.grids))
        if self.category not in domain.CATEGORY_BY_CODE:
            known = ", ".join(domain.CATEGORY_BY_CODE)
            raise ValueError(f"unknown category {self.category!r}; expected one of: {known}")
        if not self.grids:
            raise ValueError("a plant needs at least one grid code")
        if len(set(self.grids)) != len(self.grids):
            raise ValueError(f"grid codes must be distinct, got {self.grids}")
        if isinstance(self.start, datetime.datetime) or not isinstance(self.start, datetime.date):
            raise ValueError(f"start must be a local calendar date (datetime.date), got {self.start!r}")
        if isinstance(self.weeks, bool) or not isinstance(self.weeks, numbers.Integral) or self.weeks < 1:
            raise ValueError(f"weeks must be a whole number >= 1, got {self.weeks!r}")
        if isinstance(self.strength, bool) or not isinstance(self.strength, numbers.Real) \
                or not math.isfinite(self.strength) or self.strength <= 1:
            raise ValueError(f"strength must be a finite multiplier above 1, got {self.strength!r}")

    @property
    def end(self) -> datetime.date:
        """First local day after the hotspot (exclusive), so [start, end) is whole weeks."""
        return self.start + datetime.timedelta(days=7 * int(self.weeks))


def adjacent_cluster(grids: pd.DataFrame, seed_code: str, size: int) -> tuple[str, ...]:
    """``size`` grid codes that form one connected patch around ``seed_code``, for a realistic hotspot.

    Grids are adjacent when their polygons touch or overlap (a shared corner
    counts). The patch grows breadth-first from ``seed_code``, ring by ring,
    taking codes in sorted order within a ring, so it is the same every time.

    Args:
        grids: One row per grid with ``code`` and shapely ``geometry``.
        seed_code: The grid the patch starts from.
        size: How many grids the patch holds.

    Returns:
        The codes in the order they were reached (``seed_code`` first).

    Raises:
        ValueError: ``size`` is below 1, ``seed_code`` is unknown, or its connected component is
            smaller than ``size``.
    """
    if size < 1:
        raise ValueError(f"size must be >= 1, got {size}")
    codes = grids["code"].astype(str).to_numpy()
    if seed_code not in set(codes):
        raise ValueError(f"unknown grid code {seed_code!r}")
    geoms = np.array(list(grids["geometry"]), dtype=object)
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    neighbours: dict[str, set[str]] = {}
    for a, b in zip(codes[left], codes[right], strict=True):
        if a != b:
            neighbours.setdefault(a, set()).add(b)
    taken = [seed_code]
    seen = {seed_code}
    queue = deque([seed_code])
    while queue and len(taken) < size:
        for code in sorted(neighbours.get(queue.popleft(), ())):
            if code not in seen:
                seen.add(code)
                taken.append(code)
                queue.append(code)
    if len(taken) < size:
        raise ValueError(f"grid {seed_code!r} is connected to only {len(taken)} grids, fewer than {size}")
    return tuple(taken[:size])


def grid_weight_group(cat: np.ndarray) -> np.ndarray:
    """Which grid weights place an appeal of each category: 0 general, 1 development, 2 scenic.

    Scenic complaints follow the scenic streets and development appeals the
    urban business areas; everything else follows population.
    """
    kind = np.array([KIND_CODES.index(c.kind) for c in domain.CATEGORIES])[cat]
    return np.where(cat == CATEGORY_CODES.index("scenic_area"), 2, np.where(kind == 1, 1, 0))


def evening_share(hour_cdf: np.ndarray, h0: np.ndarray, h1: np.ndarray) -> np.ndarray:
    """(D, S) share of each source's appeals of a day that come at or after 18:00.

    Daytime and evening appeals pick categories with different seasonal
    factors, so the expected rate of a category mixes the two by this share.
    """
    hours = np.arange(25.0)
    cover = []
    for cdf in hour_cdf:
        lo, hi = np.interp(h0, hours, cdf), np.interp(h1, hours, cdf)
        evening = np.clip(hi - np.interp(np.maximum(h0, EVENING_HOUR), hours, cdf), 0.0, None)
        cover.append(np.where(hi > lo, evening / np.where(hi > lo, hi - lo, 1.0), 0.0))
    return np.stack(cover, axis=1)


@dataclass(frozen=True)
class PlantedRates:
    """A plant resolved against one run: its grids, its days and what to expect there.

    Attributes:
        plant: The plant as asked for.
        index: Its position among the run's plants, which keys its random streams.
        category: Its category's position in the generator's category order.
        grids: Positions of its grids in the run's grids (sorted by code).
        grid_weight: Their weights within the category's group (unnormalised).
        days: Positions of its local days in the run's plan.
        baseline: λ(d), the expected appeals of the category in its grids on each of those days
            without the plant.
        channel: (len(days), S, 2) weight of each (source, daytime/evening) among the
            category's appeals of the day.
    """

    plant: Plant
    index: int
    category: int
    grids: np.ndarray
    grid_weight: np.ndarray
    days: np.ndarray
    baseline: np.ndarray
    channel: np.ndarray

    @property
    def extra(self) -> np.ndarray:
        """Expected extra appeals per day, so the day's total is ``strength`` × baseline."""
        return (self.plant.strength - 1.0) * self.baseline


def plant_days(plant: Plant, plan: Plan) -> np.ndarray:
    """Positions of the plant's local days among the run's days; refuses a plant outside the run."""
    first = np.datetime64(plant.start, "D")
    days = np.flatnonzero((plan.days >= first) & (plan.days < np.datetime64(plant.end, "D")))
    if len(days) == 0:
        raise ValueError(
            f"plant {plant.start}..{plant.end} lies outside the run's days {plan.days[0]}..{plan.days[-1]}"
        )
    return days


def resolve(plant: Plant, index: int, *, codes: np.ndarray, grid_cdf: np.ndarray, plan: Plan,
            hour_cdf: np.ndarray, category_given_source: Callable[[np.ndarray, int], np.ndarray]
            ) -> PlantedRates:
    """Turn a plant into grid positions, days and expected counts for one run.

    Args:
        plant: The plant.
        index: Its position among the run's plants.
        codes: The run's grid codes, sorted.
        grid_cdf: (3, G) cumulative grid weights per group (general, development, scenic), normalised.
        plan: The run's day plan.
        hour_cdf: (S, 25) cumulative hour profile per source.
        category_given_source: ``(days, category) -> (len(days), S, 2)``: the probability that an
            appeal of that day, source and daytime (0) / evening (1) is of that category.

    Raises:
        ValueError: A grid code is not in the run, the plant's days are outside it, or the category
            never lands in these grids (a plant there would add nothing).
    """
    position = {code: i for i, code in enumerate(codes)}
    unknown = [code for code in plant.grids if code not in position]
    if unknown:
        raise ValueError(f"plant grids not among the run's grids: {unknown}")
    grids = np.array([position[code] for code in plant.grids], dtype=np.int64)
    category = CATEGORY_CODES.index(plant.category)
    cdf = grid_cdf[int(grid_weight_group(np.array([category]))[0])]
    weight = np.diff(cdf, prepend=0.0)[grids]
    if weight.sum() <= 0:
        raise ValueError(f"category {plant.category!r} never lands in grids {plant.grids}")
    days = plant_days(plant, plan)
    source_share = plan.source_weight[days] / np.maximum(plan.source_weight[days].sum(axis=1, keepdims=True),
                                                          1e-300)
    evening = evening_share(hour_cdf, plan.h0[days], plan.h1[days])
    time_share = np.stack([1.0 - evening, evening], axis=2)
    channel = source_share[:, :, None] * time_share * category_given_source(days, category)
    baseline = plan.counts[days] * channel.sum(axis=(1, 2)) * weight.sum()
    return PlantedRates(plant, index, category, grids, weight, days, baseline, channel)


@dataclass(frozen=True)
class Extras:
    """Extra appeals of a block, in the generator's own per-appeal arrays (row i is one appeal)."""

    u: np.ndarray
    z: np.ndarray
    day: np.ndarray
    src: np.ndarray
    hour: np.ndarray
    cat: np.ndarray
    grid: np.ndarray


def draw_extras(planted: Sequence[PlantedRates], plan: Plan, hour_cdf: np.ndarray, seed: int, da: int, db: int,
                n_uniform: int, n_normal: int) -> Extras:
    """The extra appeals of local days [da, db), each plant and day from its own stream.

    Per plant and day: a Poisson count with mean ``extra``, then per appeal a
    row of ``n_uniform`` uniforms and ``n_normal`` normals (the generator's own
    layout, for everything downstream), then the source and part of day
    (∝ how often each brings the category), the hour within that part of the
    source's profile, and a grid among the plant's ∝ its weight.
    """
    us, zs, days, srcs, hours, cats, grids = [], [], [], [], [], [], []
    hour_grid = np.arange(25.0)
    n_src = hour_cdf.shape[0]
    for rates in planted:
        for j in np.flatnonzero((rates.days >= da) & (rates.days < db)):
            d = int(rates.days[j])
            rng = rng_for(seed, TAG_PLANT, rates.index, int(plan.ordinal[d]))
            k = int(rng.poisson(rates.extra[j]))
            if k == 0:
                continue
            us.append(rng.random((k, n_uniform)))
            zs.append(rng.standard_normal((k, n_normal)))
            u_channel, u_hour, u_grid = rng.random((3, k))
            channel = choose(np.broadcast_to(rates.channel[j].ravel(), (k, 2 * n_src)), u_channel)
            src, evening = channel // 2, channel % 2
            lo_h = np.where(evening == 1, max(plan.h0[d], EVENING_HOUR), plan.h0[d])
            hi_h = np.where(evening == 1, plan.h1[d], min(plan.h1[d], EVENING_HOUR))
            hour = np.empty(k)
            for s in np.unique(src):
                sel = src == s
                cdf = hour_cdf[s]
                lo, hi = np.interp(lo_h[sel], hour_grid, cdf), np.interp(hi_h[sel], hour_grid, cdf)
                hour[sel] = np.interp(lo + u_hour[sel] * (hi - lo), cdf, hour_grid)
            days.append(np.full(k, d, dtype=np.int64))
            srcs.append(src)
            hours.append(hour)
            cats.append(np.full(k, rates.category, dtype=np.int64))
            grids.append(rates.grids[choose(np.broadcast_to(rates.grid_weight, (k, len(rates.grids))), u_grid)])
    if not us:
        empty = np.array([], dtype=np.int64)
        return Extras(np.empty((0, n_uniform)), np.empty((0, n_normal)), empty, empty, np.empty(0), empty, empty)
    return Extras(np.concatenate(us), np.concatenate(zs), np.concatenate(days), np.concatenate(srcs),
                  np.concatenate(hours), np.concatenate(cats), np.concatenate(grids))
