"""Validating the hotspot detector on demo histories with planted hotspots: recall, lead time, precision, null rate.

No anchor product is validated on its users' data; this module does it on ours.
It generates a demo history (the same generator that seeds the store, with
:class:`geo.demo.Plant` hotspots of known place, category, start, length and
strength), runs the detector day by day as the server's schedule would, and
compares what it flags with what was planted. The tests and
``python -m tests.benchmarks.validate_analytics`` use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import shapely

from geo import demo, domain, reference
from geo.analysis import hotspots as detection
from geo.domain import LOCAL_TZ
from geo.store.dialects import GridIndex

#: The categories the detector analyses (every category, and all together).
CATEGORIES = tuple(c.code for c in domain.CATEGORIES) + (detection.ALL,)
#: Days a plant may still be flagged after it ended (its last bin reaches the analysis a week later).
GRACE_DAYS = 7


@dataclass(frozen=True)
class History:
    """Demo appeals with their grid and local day, and what was planted in them."""

    appeals: pd.DataFrame
    plants: tuple[demo.Plant, ...]
    graph: detection.Graph
    grids: pd.DataFrame


@dataclass(frozen=True)
class Outcome:
    """How one plant fared: first day flagged (None: missed) and the days from its start to that day."""

    plant: demo.Plant
    first_flagged: date | None

    @property
    def detected(self) -> bool:
        return self.first_flagged is not None

    @property
    def lead_days(self) -> int | None:
        return None if self.first_flagged is None else (self.first_flagged - self.plant.start).days


def reference_grids() -> pd.DataFrame:
    """The committed grids, as the generator and the detector take them."""
    return reference.load()["grid"][["code", "street_code", "community_code", "households", "population", "geometry"]]


def generate(start: date, end: date, plants: Sequence[demo.Plant] = (), seed: int = domain.DEMO_SEED,
             per_day: int = 180, grids: pd.DataFrame | None = None, graph: detection.Graph | None = None) -> History:
    """A demo history from ``start`` to ``end`` (local midnights) at ``per_day`` appeals a day, with plants."""
    grids = reference_grids() if grids is None else grids
    graph = graph or detection.grid_graph(grids["code"], grids["geometry"])
    begin = datetime(start.year, start.month, start.day, tzinfo=LOCAL_TZ)
    finish = datetime(end.year, end.month, end.day, tzinfo=LOCAL_TZ)
    n = per_day * (end - start).days
    parts = [a[["category", "accepted_at", "lon", "lat", "title", "reporter_phone"]]
             for a, _ in demo.generate_appeals(grids, None, n, begin, finish, seed, plants=tuple(plants))]
    frame = pd.concat(parts, ignore_index=True)
    frame["grid_code"] = locate(grids, frame["lon"].to_numpy(), frame["lat"].to_numpy())
    frame["day"] = frame["accepted_at"].dt.tz_convert(LOCAL_TZ).dt.date
    return History(frame, tuple(plants), graph, grids)


def locate(grids: pd.DataFrame, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Grid code of each point by the store's own rule (:class:`geo.store.dialects.GridIndex`; None outside)."""
    frame = grids.sort_values("code")
    index = GridIndex(codes=frame["code"].astype(str).to_numpy(),
                      community_codes=frame["community_code"].astype(str).to_numpy(),
                      street_codes=frame["street_code"].astype(str).to_numpy(),
                      tree=shapely.STRtree(np.asarray(list(frame["geometry"]), dtype=object)))
    found = index.locate(lon, lat)
    out = np.full(len(found), None, dtype=object)
    out[found >= 0] = index.codes[found[found >= 0]]
    return out


def hotspots_on(history: History, day: date) -> list[detection.Hotspot]:
    """The active hotspots the schedule would report on ``day`` (its data up to the day before)."""
    counts = detection.problem_counts(history.appeals, day, detection.CUBE_WEEKS + detection.BASELINE_WEEKS)
    found = detection.find_hotspots(counts, history.graph, day, CATEGORIES)
    return [h for h in found if h.pattern in detection.ACTIVE_PATTERNS]


def planted_area(graph: detection.Graph, plant: demo.Plant) -> frozenset[str]:
    """The planted grids and those within Gi*'s neighbourhood of them (two rings): a hotspot whose core lies
    there was raised by the plant's appeals, so it points at the plant."""
    rows = graph.grids.searchsorted(np.array(plant.grids))
    return frozenset(str(c) for c in graph.grids[graph.weights[rows].indices]) | frozenset(plant.grids)


def matches(hotspot: detection.Hotspot, plant: demo.Plant, area: frozenset[str]) -> bool:
    """A hotspot finds a plant when it is of the plant's category and hot in the planted area."""
    return hotspot.category == plant.category and bool(area.intersection(hotspot.grids))


@dataclass(frozen=True)
class Evaluation:
    """What the detector did over a set of analysis days."""

    outcomes: list[Outcome]
    #: Hotspots of single categories that matched a plant, and those that matched none (each per run it appears in).
    true_positives: int
    false_positives: list[detection.Hotspot]
    runs: int

    @property
    def precision(self) -> float | None:
        flagged = self.true_positives + len(self.false_positives)
        return self.true_positives / flagged if flagged else None


def evaluate(history: History, days: Iterable[date]) -> Evaluation:
    """Runs the detector on each day and compares what it flags with what was planted.

    A plant counts as found on the first day in [start + 1, end + :data:`GRACE_DAYS`] that a
    hotspot matches it. Every hotspot of a single category (not :data:`~geo.analysis.hotspots.ALL`)
    in every run is a true positive if it matches a plant, else a false one.
    """
    first: dict[int, date] = {}
    areas = [planted_area(history.graph, plant) for plant in history.plants]
    true_positives, false_positives, runs = 0, [], 0
    for day in sorted(set(days)):
        runs += 1
        for h in hotspots_on(history, day):
            if h.category == detection.ALL:
                continue
            hit = False
            for i, plant in enumerate(history.plants):
                if matches(h, plant, areas[i]):
                    hit = True
                    if plant.start < day <= plant.end + timedelta(days=GRACE_DAYS) and i not in first:
                        first[i] = day
            true_positives += hit
            if not hit:
                false_positives.append(h)
    outcomes = [Outcome(p, first.get(i)) for i, p in enumerate(history.plants)]
    return Evaluation(outcomes, true_positives, false_positives, runs)


def plant_set(grids: pd.DataFrame, seeds: Sequence[tuple[str, str]], start: date, weeks: int, strength: float,
              size: int) -> tuple[demo.Plant, ...]:
    """Plants of ``size`` adjacent grids around each (seed grid, category)."""
    return tuple(demo.Plant(grids=demo.adjacent_cluster(grids, seed_code, size), category=category, start=start,
                            weeks=weeks, strength=strength) for seed_code, category in seeds)


def weekly_days(first: date, last: date, step: int = 7) -> list[date]:
    """Analysis days from ``first`` to ``last`` every ``step`` days."""
    return [first + timedelta(days=k) for k in range(0, (last - first).days + 1, step)]
