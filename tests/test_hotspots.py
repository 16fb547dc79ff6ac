"""Emerging-hotspot detection on synthetic lattices: Gi* as esda computes it, trend, patterns, season-aware baseline."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from esda import G_Local
from libpysal.weights import W
from scipy import stats
from shapely.geometry import box

from geo.analysis import hotspots as h

END = date(2026, 11, 30)
SIDE = 20  # a 20 × 20 lattice of square grids: 400 grids, four "streets" of 100


def lattice() -> pd.DataFrame:
    """Square grids named like real ones: street (9 digits) + community (3) + grid (3); a street per quadrant."""
    rows = []
    for i in range(SIDE):
        for j in range(SIDE):
            street = f"37021200{1 + (i >= SIDE // 2) * 2 + (j >= SIDE // 2)}"
            community = f"{(i % 10) // 2:03d}"[-3:]
            code = f"{street}{community}{i * SIDE + j:03d}"[:15]
            rows.append({"code": code, "geometry": box(j, i, j + 1, i + 1), "row": i, "col": j})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def grids() -> pd.DataFrame:
    return lattice()


@pytest.fixture(scope="module")
def graph(grids) -> h.Graph:
    return h.grid_graph(grids["code"], grids["geometry"])


def poisson_counts(grids: pd.DataFrame, rate, weeks: int, seed: int, categories=("noise",)) -> pd.DataFrame:
    """Problems per grid, category and weeks_back, Poisson with ``rate(grid_row, weeks_back, category)``."""
    rng = np.random.default_rng(seed)
    out = []
    for category in categories:
        for back in range(weeks):
            for _, g in grids.iterrows():
                n = rng.poisson(rate(g, back, category))
                if n:
                    out.append((g["code"], category, back, n))
    return pd.DataFrame(out, columns=["grid_code", "category", "weeks_back", "count"])


TOTAL = h.CUBE_WEEKS + h.BASELINE_WEEKS


def test_gi_star_equals_esda(grids, graph):
    rng = np.random.default_rng(3)
    values = rng.gamma(1.0, 1.0, size=(len(grids), 3))
    ours = h.gi_star(graph.weights, values)
    matrix = graph.weights.tolil()
    neighbours = {i: [j for j in matrix.rows[i] if j != i] for i in range(len(grids))}
    w = W(neighbours, silence_warnings=True)
    for k in range(values.shape[1]):
        theirs = G_Local(values[:, k], w, transform="B", star=True, permutations=0)
        assert np.allclose(ours[:, k], theirs.Zs, atol=1e-9)


def test_mann_kendall_agrees_with_kendalls_tau():
    rng = np.random.default_rng(5)
    series = np.vstack([np.arange(12) + rng.normal(0, 2, 12), -np.arange(12) * 0.5 + rng.normal(0, 1, 12),
                        rng.normal(0, 1, 12)])
    z, p = h.mann_kendall(series)
    for k in range(3):
        tau = stats.kendalltau(np.arange(12), series[k], method="asymptotic")
        assert np.sign(z[k]) == np.sign(tau.statistic)
        assert abs(p[k] - tau.pvalue) < 0.05
    assert p[0] < 0.01 and z[0] > 0 and p[1] < 0.01 and z[1] < 0 and p[2] > 0.05


@pytest.mark.parametrize(("hot", "cold", "trend", "pattern"), [
    ("000000000001", "000000000000", 0, "new"),
    ("000000000111", "000000000000", 0, "consecutive"),
    ("111111111111", "000000000000", 3, "intensifying"),
    ("111111111111", "000000000000", 0, "persistent"),
    ("111111111111", "000000000000", -3, "diminishing"),
    ("010010000011", "000000000000", 0, "sporadic"),
    ("000100000011", "010000000000", 0, "oscillating"),
    ("111111111110", "000000000000", 0, "historical"),
    ("011011000000", "000000000000", 0, ""),
])
def test_the_eight_patterns(hot, cold, trend, pattern):
    as_bool = lambda text: np.array([[c == "1" for c in text]])  # noqa: E731
    z = np.array([float(trend)])
    p = np.array([0.001 if trend else 0.5])
    assert h.classify(as_bool(hot), as_bool(cold), z, p)[0] == pattern


def test_expected_counts_keep_each_weeks_district_total(grids):
    counts = poisson_counts(grids, lambda g, back, c: 0.5 + 0.1 * (g["row"] % 3), TOTAL, seed=1)
    cube = h.build_cube(counts, grids["code"], END, ["noise", h.ALL])
    assert cube.observed.shape == (2, h.CUBE_WEEKS, len(grids))
    assert np.allclose(cube.observed.sum(axis=2), cube.expected.sum(axis=2))
    assert cube.bin_starts[-1] == END - timedelta(days=7) and cube.end == END


def test_a_seasonal_rise_everywhere_is_no_hotspot_but_one_place_rising_is(grids, graph):
    """Heating appeals ×6 in the last four weeks everywhere: expected. ×3 more in one corner: a hotspot."""
    corner = lambda g: 2 <= g["row"] <= 5 and 2 <= g["col"] <= 5  # noqa: E731
    season = lambda back: 6.0 if back < 4 else 1.0  # noqa: E731
    everywhere = poisson_counts(grids, lambda g, back, c: 0.3 * season(back), TOTAL, seed=2, categories=("heating",))
    assert h.find_hotspots(everywhere, graph, END, ["heating"]) == []
    local = poisson_counts(grids, lambda g, back, c: 0.3 * season(back) * (3.0 if corner(g) and back < 3 else 1.0),
                           TOTAL, seed=2, categories=("heating",))
    found = h.find_hotspots(local, graph, END, ["heating"])
    assert len(found) >= 1
    top = found[0]
    inside = set(grids.loc[grids.apply(corner, axis=1), "code"])
    assert set(top.grids) & inside and top.category == "heating"
    assert top.pattern in ("new", "consecutive") and top.observed > 2 * top.expected
    assert top.significance < h.FDR_Q and top.start >= END - timedelta(days=7 * 3)
    assert [point["week"] for point in top.series] == [d.isoformat() for d in h.bin_starts(END, h.CUBE_WEEKS)]


def test_hotspots_never_cross_a_street(grids, graph):
    """A rise straddling two streets' border is two hotspots, one per street."""
    border = lambda g: 7 <= g["row"] <= 12 and 6 <= g["col"] <= 9  # noqa: E731
    counts = poisson_counts(grids, lambda g, back, c: 0.4 * (4.0 if border(g) and back < 2 else 1.0), TOTAL, seed=4)
    found = h.find_hotspots(counts, graph, END, ["noise"])
    assert len(found) >= 2
    for hotspot in found:
        assert len({code[:9] for code in hotspot.grids}) == 1


def test_no_hotspots_without_enough_history(grids, graph):
    short = poisson_counts(grids, lambda g, back, c: 1.0 if g["row"] < 3 else 0.1, h.CUBE_WEEKS + 10, seed=6)
    assert h.baseline_weeks_with_data(short) == 10
    assert h.find_hotspots(short, graph, END, ["noise"]) == []


def test_stray_appeals_in_quiet_grids_are_no_hotspot(grids, graph):
    """Three appeals in a quiet corner: chance, not a hotspot (the minimum excess)."""
    counts = poisson_counts(grids, lambda g, back, c: 0.002, TOTAL, seed=7)
    counts = pd.concat([counts, pd.DataFrame([(grids["code"][45], "noise", 0, 3)], columns=counts.columns)])
    assert h.find_hotspots(counts, graph, END, ["noise"]) == []


def test_problem_counts_count_one_reporters_repeats_once():
    appeals = pd.DataFrame({
        "grid_code": ["g1"] * 4 + ["g2"],
        "category": ["noise"] * 5,
        "day": [END - timedelta(days=1)] * 3 + [END - timedelta(days=9), END - timedelta(days=2)],
        "title": ["工地夜间施工", "工地夜间施工", "广场舞音响", "工地夜间施工", "工地夜间施工"],
        "reporter_phone": ["13900001111", "13900001111", "13900001111", "13900001111", "13900002222"],
    })
    counts = h.problem_counts(appeals, END, 4).sort_values(["grid_code", "weeks_back"]).to_dict("records")
    assert counts == [
        {"grid_code": "g1", "category": "noise", "weeks_back": 0, "count": 2},
        {"grid_code": "g1", "category": "noise", "weeks_back": 1, "count": 1},
        {"grid_code": "g2", "category": "noise", "weeks_back": 0, "count": 1},
    ]
