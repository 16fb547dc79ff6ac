"""Planted hotspots: the generator adds known extra appeals, and nothing else moves.

A hotspot detector is validated against these plants, so they must be exactly
where and what they claim (category, grids, days), as strong as asked, and
invisible otherwise: the appeals the generator would have made anyway stay
as they were. Runs on 20 synthetic squares that tile the map (5 × 4, edges
shared), so adjacency is well defined and every point lies in exactly one grid.
"""

from __future__ import annotations

import datetime
from collections import Counter

import numpy as np
import pandas as pd
import pytest
import shapely

from geo import demo
from tests.test_demo import END, START, grid_of, make_grids

N = 60_000  # one year; the plant's cell then expects ~900 appeals without it
N_SMALL = 20_000  # for what needs no statistics: determinism, chunking, a second plant
SEED = 11
LOCAL = "Asia/Shanghai"
#: Columns that number appeals rather than describe them: extras shift them for every later appeal.
NUMBERING = ("idx", "source_ref")


@pytest.fixture(scope="module")
def grids() -> pd.DataFrame:
    return make_grids(cols=5, rows=4, size=0.03)


@pytest.fixture(scope="module")
def codes(grids) -> list[str]:
    return sorted(grids["code"])


@pytest.fixture(scope="module")
def plant(grids, codes) -> demo.Plant:
    return demo.Plant(demo.adjacent_cluster(grids, codes[9], 4), "property_management",
                      datetime.date(2022, 11, 7), weeks=40, strength=3.0)


@pytest.fixture(scope="module")
def workers(grids) -> pd.DataFrame:
    return demo.generate_workers(grids, seed=SEED)


def run(grids, workers, plants=(), n=N, **kwargs) -> tuple[pd.DataFrame, pd.DataFrame]:
    chunks = list(demo.generate_appeals(grids, workers, n, START, END, SEED, plants=plants, **kwargs))
    return (pd.concat([a for a, _ in chunks], ignore_index=True),
            pd.concat([e for _, e in chunks], ignore_index=True))


@pytest.fixture(scope="module")
def unplanted(grids, workers):
    return run(grids, workers)


@pytest.fixture(scope="module")
def planted(grids, workers, plant):
    return run(grids, workers, (plant,))


def content_keys(appeals: pd.DataFrame) -> pd.Series:
    """One hash per appeal of everything but its numbering, so runs can be compared as multisets."""
    return pd.util.hash_pandas_object(appeals.drop(columns=list(NUMBERING)), index=False)


def extras_of(planted: pd.DataFrame, unplanted: pd.DataFrame) -> pd.DataFrame:
    """The planted run's appeals beyond the unplanted run's; fails if any unplanted appeal changed."""
    keys = content_keys(planted)
    before = Counter(content_keys(unplanted))
    missing = before - Counter(keys)
    assert not missing, f"{sum(missing.values())} appeals of the unplanted run changed or vanished"
    return planted[~keys.isin(before)]


def same_frames(a: tuple[pd.DataFrame, pd.DataFrame], b: tuple[pd.DataFrame, pd.DataFrame]) -> bool:
    return a[0].equals(b[0]) and a[1].equals(b[1])


def in_cell(appeals: pd.DataFrame, grids: pd.DataFrame, plant: demo.Plant) -> np.ndarray:
    """Appeals of the plant's category, in its grids, on its local days."""
    grid = grid_of(appeals["lon"].to_numpy(), appeals["lat"].to_numpy(), grids)
    in_grids = np.isin(grid, np.flatnonzero(grids["code"].isin(plant.grids)))
    day = appeals["accepted_at"].dt.tz_convert(LOCAL).dt.date
    return (in_grids & (appeals["category"] == plant.category) & (day >= plant.start) & (day < plant.end)).to_numpy()


# --------------------------------------------------------------------------- no plant, no change
def test_no_plants_is_the_plain_run(grids, workers):
    plain = list(demo.generate_appeals(grids, workers, N_SMALL, START, END, SEED))
    joined = (pd.concat([a for a, _ in plain], ignore_index=True), pd.concat([e for _, e in plain], ignore_index=True))
    assert same_frames(joined, run(grids, workers, (), N_SMALL))


def test_same_seed_and_plants_same_frames_however_chunked(grids, workers, plant):
    once = run(grids, workers, (plant,), N_SMALL)
    assert len(once[0]) > N_SMALL
    assert same_frames(once, run(grids, workers, (plant,), N_SMALL))
    assert same_frames(once, run(grids, workers, (plant,), N_SMALL, chunk_size=1_500))


# --------------------------------------------------------------------------- the extras
def test_extras_fall_only_in_the_plants_cell_and_leave_the_rest_alone(grids, plant, planted, unplanted):
    extras = extras_of(planted[0], unplanted[0])  # asserts every unplanted appeal is still there
    assert len(extras) == len(planted[0]) - len(unplanted[0]) > 0
    assert in_cell(extras, grids, plant).all()
    outside = ~in_cell(planted[0], grids, plant)
    assert Counter(content_keys(planted[0][outside])) == Counter(content_keys(unplanted[0][~in_cell(
        unplanted[0], grids, plant)]))


def test_extras_are_ordinary_appeals(planted, unplanted):
    """Same columns and types, numbered in the same sequences, each with its workflow events."""
    appeals, events = planted
    assert list(appeals.columns) == list(unplanted[0].columns)
    assert (appeals.dtypes == unplanted[0].dtypes).all()
    assert list(events.columns) == list(unplanted[1].columns)
    assert appeals["idx"].tolist() == list(range(len(appeals)))
    assert appeals["accepted_at"].is_monotonic_increasing
    assert not appeals.duplicated(["source", "source_ref"]).any()
    assert set(events["idx"]) == set(appeals["idx"])
    assert (events.loc[events["seq"] == 0, "to_status"] == "accepted").all()


def test_unplanted_events_are_unchanged(planted, unplanted):
    """Events keyed by their appeal's content, not number; notes follow the number, so they are left out."""

    def keyed(appeals: pd.DataFrame, events: pd.DataFrame) -> Counter:
        key = pd.Series(content_keys(appeals).to_numpy(), index=appeals["idx"])
        rows = events.drop(columns=["idx", "note"]).assign(appeal=key.loc[events["idx"]].to_numpy())
        return Counter(pd.util.hash_pandas_object(rows, index=False))

    assert not keyed(*unplanted) - keyed(*planted)


def test_a_second_plant_leaves_the_first_ones_extras_alone(grids, workers, codes, plant):
    other = demo.Plant(demo.adjacent_cluster(grids, codes[-1], 2), "noise", datetime.date(2023, 6, 5), 6, 2.0)
    first = run(grids, workers, (plant,), N_SMALL)
    both = run(grids, workers, (plant, other), N_SMALL)
    extras = extras_of(both[0], first[0])
    assert len(extras) > 0
    assert in_cell(extras, grids, other).all()


def test_a_times_3_plant_triples_the_cell(grids, plant, planted, unplanted):
    """The cell's count with the plant is ~3× without it.

    Extras are Poisson with mean 2Λ (Λ: the cell's expected baseline, ~900),
    the baseline count is about Poisson(Λ) (repeats widen it by ≤ 30%,
    measured over seeds), so the ratio 1 + E/B has a standard deviation of
    about 2·√(1/2Λ + 1/Λ)·1.3 ≈ 0.11; ±0.45 is four of those, while an
    ignored strength gives 1 and a strength off by one gives 2 or 4.
    """
    base = int(in_cell(unplanted[0], grids, plant).sum())
    with_plant = int(in_cell(planted[0], grids, plant).sum())
    assert base > 600
    assert with_plant / base == pytest.approx(3.0, abs=0.45)


def test_extras_match_their_expectation(grids, plant, planted, unplanted):
    """The number of extras is Poisson((strength − 1)·Λ): within 4 standard deviations of it."""
    baseline = demo.expected_baseline(grids, N, START, END, SEED, plant).sum()
    extras = len(planted[0]) - len(unplanted[0])
    expected = (plant.strength - 1) * baseline
    assert abs(extras - expected) < 4 * np.sqrt(expected)


# --------------------------------------------------------------------------- the expected baseline
@pytest.mark.parametrize("category, everywhere", [("property_management", False), ("noise", True)])
def test_expected_baseline_matches_the_unplanted_run(grids, codes, unplanted, category, everywhere):
    """λ summed over a cell is what the unplanted run put there, within 4 widened Poisson deviations.

    The plant's three grids check the grid shares; every grid for a whole year
    checks the category chances (noise: evenings weigh differently) with ~4,000.
    """
    cell = tuple(codes) if everywhere else demo.adjacent_cluster(grids, codes[0], 3)
    probe = demo.Plant(cell, category, datetime.date(2022, 10, 20), weeks=52, strength=2.0)
    expected = demo.expected_baseline(grids, N, START, END, SEED, probe)
    assert expected.index[0] == probe.start
    assert expected.index[-1] < probe.end
    assert (expected >= 0).all()
    observed = int(in_cell(unplanted[0], grids, probe).sum())
    lam = expected.sum()
    assert abs(observed - lam) < 4 * 1.3 * np.sqrt(lam)


# --------------------------------------------------------------------------- validation
def test_plant_end_is_whole_weeks_later(plant):
    assert plant.end == datetime.date(2022, 11, 7) + datetime.timedelta(weeks=40)
    assert demo.Plant(["a", "b"], "noise", datetime.date(2023, 1, 2), 1, 1.5).grids == ("a", "b")


@pytest.mark.parametrize("change, message", [
    ({"category": "littering"}, "unknown category"),
    ({"grids": ()}, "at least one grid"),
    ({"grids": ("a", "a")}, "distinct"),
    ({"grids": "370212001000001"}, "not one string"),
    ({"weeks": 0}, "weeks"),
    ({"weeks": 1.5}, "weeks"),
    ({"strength": 1.0}, "strength"),
    ({"strength": 0.5}, "strength"),
    ({"strength": float("nan")}, "strength"),
    ({"start": datetime.datetime(2023, 1, 2, tzinfo=datetime.UTC)}, "date"),
])
def test_plant_rejects_bad_values(change, message):
    good = {"grids": ("a",), "category": "noise", "start": datetime.date(2023, 1, 2), "weeks": 2, "strength": 2.0}
    with pytest.raises(ValueError, match=message):
        demo.Plant(**{**good, **change})


@pytest.mark.parametrize("change, message", [
    ({"grids": ("370212999999001",)}, "not among the run's grids"),
    ({"start": datetime.date(2030, 1, 7)}, "outside the run"),
    ({"category": "scenic_area"}, "never lands"),  # an urban grid: no scenic appeals to multiply
])
def test_generate_refuses_a_plant_that_cannot_apply(grids, workers, codes, change, message):
    good = {"grids": (codes[0],), "category": "noise", "start": datetime.date(2023, 1, 2), "weeks": 2,
            "strength": 2.0}
    with pytest.raises(ValueError, match=message):
        next(demo.generate_appeals(grids, workers, 100, START, END, SEED, plants=(demo.Plant(**{**good, **change}),)))


# --------------------------------------------------------------------------- adjacent clusters
def test_adjacent_cluster_is_connected_and_deterministic(grids, codes):
    geometry = dict(zip(grids["code"], grids["geometry"], strict=True))
    for size in (1, 4, 9, 20):
        cluster = demo.adjacent_cluster(grids, codes[7], size)
        assert cluster == demo.adjacent_cluster(grids.iloc[::-1], codes[7], size)
        assert cluster[0] == codes[7]
        assert len(set(cluster)) == len(cluster) == size
        reached, todo = {cluster[0]}, [cluster[0]]
        while todo:
            here = geometry[todo.pop()]
            near = {c for c in cluster if c not in reached and shapely.intersects(here, geometry[c])}
            reached |= near
            todo += near
        assert reached == set(cluster)


def test_adjacent_cluster_grows_ring_by_ring(grids, codes):
    """A corner grid's 3 neighbours (two edges, one corner) come before anything farther away."""
    geometry = dict(zip(grids["code"], grids["geometry"], strict=True))
    corner = codes[0]
    cluster = demo.adjacent_cluster(grids, corner, 4)
    assert all(shapely.intersects(geometry[corner], geometry[c]) for c in cluster)


def test_adjacent_cluster_refuses_what_it_cannot_give(grids, codes):
    with pytest.raises(ValueError, match="fewer than 21"):
        demo.adjacent_cluster(grids, codes[0], 21)
    with pytest.raises(ValueError, match="fewer than 2"):
        demo.adjacent_cluster(make_grids(), sorted(make_grids()["code"])[0], 2)  # gaps between the squares
    with pytest.raises(ValueError, match="unknown grid"):
        demo.adjacent_cluster(grids, "nope", 2)
    with pytest.raises(ValueError, match="size"):
        demo.adjacent_cluster(grids, codes[0], 0)
