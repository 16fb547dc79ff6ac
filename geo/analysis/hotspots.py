"""Emerging hotspots: Getis-Ord Gi* per grid and week on the grid adjacency graph, FDR, trend, pattern.

The method follows ArcGIS Pro's *Emerging Hot Spot Analysis*, with one change
that makes it fit appeals: Gi* does not look at raw counts (busy grids are
always "hot") but at how far each grid's count sits above **its own expected
count**. The expectation knows the season and the weekday: a grid's share of a
category over the year before the cube, times the district's count of that
category in the same 7-day bin. Heating appeals that rise everywhere in
November raise every grid's expectation with them and are no hotspot; heating
appeals that rise in one community far above its share of the district's
November are.

Steps, per category (and for all categories together, :data:`ALL`):

1. **Cube:** distinct problems (reporter and title) in 7-day bins ending the day
   before the analysis day (so a weekday never moves between bins), :data:`CUBE_WEEKS`
   of them; the :data:`BASELINE_WEEKS` before give each grid's share, shrunk towards
   its community's when a category is sparse (:func:`baseline_shares`).
2. **Gi\\*:** on the stabilised residual ``(O − E) / sqrt(E + 1)`` with binary
   weights of second-order queen contiguity (a grid, its neighbours and theirs:
   about 17 grids, a community's size), the grid itself included.
3. **Significance:** Gi*'s normal p-values fail on counts this sparse, so a bin is
   hot when the exact Poisson tail of its neighbourhood's count over the last 1–3
   bins (:data:`WINDOWS`), for Gi*'s neighbourhood and a wide one (:data:`WIDE_ORDER`),
   survives Benjamini–Hochberg FDR at :data:`FDR_Q` (every test of every grid of the
   bin and category in one family, as EHSA corrects each time step), and the
   neighbourhood holds at least :data:`MIN_EXCESS` problems more than expected, so a
   few stray appeals in empty fields are never a hotspot.
4. **Trend:** Mann–Kendall on each grid's Gi* z-scores over the bins.
5. **Pattern:** EHSA's eight hot-spot patterns (:data:`PATTERNS`).
6. **Hotspots:** grids that are hot in the last bin, joined into connected sets
   by first-order adjacency within a street, per category; each named by its core
   grids (those above their own expectation).

esda's ``G_Local`` is the reference for step 2; :func:`gi_star` computes the same
z-scores for every category and bin in one sparse product (a test keeps them
equal), since one ``G_Local`` call per category and bin costs ~60 ms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats
from statsmodels.stats.multitest import multipletests

#: Category code of the analysis over all categories together.
ALL = "all"
#: Days per bin of the space-time cube.
BIN_DAYS = 7
#: Bins of the cube: about a season, long enough for a trend and the 90 % rules of the patterns.
CUBE_WEEKS = 12
#: Weeks before the cube that give each grid its share of a category.
BASELINE_WEEKS = 52
#: Weeks of the baseline that must hold appeals before grids' shares mean anything (else no detection).
MIN_BASELINE_WEEKS = 26
#: Pseudo-appeals per unit in the shrinkage of a grid's share of a category (:func:`baseline_shares`). A prior of
#: 20 appeals in all was tried first: grids with no heating appeals last winter made "hotspots" of three in
#: November; shrinking straight to the grid's share of all appeals then understated business districts'
#: enterprise appeals.
SHARE_PRIOR_PER_GRID = 2.0
#: False discovery rate of the hot and cold bins of one category and week. EHSA uses 5 %; with 27 analyses a
#: week that let about one false hotspot a week onto the list, so 1 % (see docs/analytics.md).
FDR_Q = 0.01
#: Queen-contiguity order of the wide neighbourhoods tested beside Gi*'s (about 50 grids: a few communities).
WIDE_ORDER = 4
#: Windows (in bins, ending with the bin tested) over which a neighbourhood's excess is tested.
WINDOWS = (1, 2, 3)
#: A hot bin's neighbourhood holds at least this many appeals more than expected.
MIN_EXCESS = 5.0
#: Significance of the Mann–Kendall trend that makes a hotspot intensifying or diminishing.
TREND_ALPHA = 0.05
#: Share of bins that makes a hotspot persistent (EHSA's 90 %).
PERSISTENT_SHARE = 0.9

#: EHSA's hot-spot patterns, most urgent first, with their Chinese names.
PATTERNS: dict[str, str] = {
    "new": "新增热点",
    "intensifying": "加剧热点",
    "consecutive": "连续热点",
    "persistent": "持续热点",
    "sporadic": "零星热点",
    "oscillating": "振荡热点",
    "diminishing": "减弱热点",
    "historical": "历史热点",
}
#: Patterns of a hotspot that is hot in the latest bin: these go on the 未诉先办 list.
ACTIVE_PATTERNS = ("new", "intensifying", "consecutive", "persistent", "sporadic", "oscillating", "diminishing")


@dataclass(frozen=True)
class Cube:
    """Observed and expected appeals per category, bin and grid (arrays shaped (C, T, G))."""

    grids: np.ndarray
    categories: tuple[str, ...]
    bin_starts: tuple[date, ...]
    observed: np.ndarray
    expected: np.ndarray

    @property
    def end(self) -> date:
        """The day after the last bin (exclusive)."""
        return self.bin_starts[-1] + timedelta(days=BIN_DAYS)


@dataclass(frozen=True)
class Hotspot:
    """A connected set of grids hot in the latest bin for one category."""

    category: str
    pattern: str
    grids: tuple[str, ...]
    #: Highest Gi* z-score among the grids in the latest bin.
    score: float
    #: Problems observed and expected in its core grids since ``start``.
    observed: int
    expected: float
    #: Smallest FDR-adjusted p-value (q-value) among the grids in the latest bin.
    significance: float
    #: First day of the current hot run (or of the longest test window, if that reaches further back).
    start: date
    #: Per hot grid: core (``hot``) or edge, pattern, latest z-score, and its own observed and expected counts.
    grid_details: tuple[dict, ...] = field(default=(), compare=False)
    #: Per bin of the cube: the core's observed and expected counts (the evidence chart), and whether it is in the run.
    series: tuple[dict, ...] = field(default=(), compare=False)


def bin_starts(end: date, weeks: int) -> tuple[date, ...]:
    """The first days of ``weeks`` 7-day bins that end the day before ``end``, oldest first."""
    return tuple(end - timedelta(days=BIN_DAYS * (weeks - i)) for i in range(weeks))


def weeks_back(days: pd.Series | np.ndarray, end: date) -> np.ndarray:
    """For local days before ``end``: 0 for the last 7 days, 1 for the 7 before, and so on."""
    ordinal = np.array([d.toordinal() for d in days], dtype=np.int64)
    return (end.toordinal() - 1 - ordinal) // BIN_DAYS


def problem_counts(appeals: pd.DataFrame, end: date, weeks: int) -> pd.DataFrame:
    """Distinct problems per grid, category and bin from appeal rows (``grid_code, category, day, title,
    reporter_phone``).

    A problem is a distinct (reporter, title) in a grid and bin: a citizen reporting the same thing
    four times that week is one problem (repeats have their own list), not a hotspot, while ten
    neighbours reporting it are ten. The store computes the same in SQL
    (:meth:`geo.store.analysis.AnalysisMixin.problem_counts`).
    """
    back = weeks_back(appeals["day"], end)
    key = appeals["reporter_phone"].fillna("").astype(str) + "|" + appeals["title"].astype(str)
    frame = appeals.assign(weeks_back=back, problem=key)
    frame = frame[(frame["weeks_back"] >= 0) & (frame["weeks_back"] < weeks)]
    return frame.groupby(["grid_code", "category", "weeks_back"])["problem"].nunique().rename("count").reset_index()


def build_cube(
    counts: pd.DataFrame,
    grids: Sequence[str],
    end: date,
    categories: Sequence[str],
    weeks: int = CUBE_WEEKS,
    baseline_weeks: int = BASELINE_WEEKS,
) -> Cube:
    """Problems per grid, category and bin, and what each would be if the grid kept its usual share.

    Args:
        counts: Problems per ``grid_code``, ``category`` and ``weeks_back`` (0: the 7 days before
            ``end``), column ``count`` (:func:`problem_counts`, or the store's same query); rows
            beyond the baseline are ignored.
        grids: Every grid code of the analysis (grids without appeals count as zeros).
        end: The day after the cube's last bin (the analysis day: its own appeals are not yet complete).
        categories: Category codes to analyse; :data:`ALL` adds all categories together.
        weeks: Bins in the cube.
        baseline_weeks: Bins before the cube from which each grid's share is taken.
    """
    grid_codes = np.array(sorted(grids))
    cats = tuple(categories)
    total_bins = baseline_weeks + weeks
    frame = counts[(counts["weeks_back"] >= 0) & (counts["weeks_back"] < total_bins)]
    gi = pd.Index(grid_codes).get_indexer(frame["grid_code"])
    frame, gi = frame[gi >= 0], gi[gi >= 0]
    position = total_bins - 1 - frame["weeks_back"].to_numpy(dtype=np.int64)  # oldest bin first
    values = frame["count"].to_numpy(dtype=float)
    category = frame["category"].to_numpy()
    cube = np.zeros((len(cats), total_bins, len(grid_codes)))
    for ci, code in enumerate(cats):
        sel = slice(None) if code == ALL else category == code
        np.add.at(cube[ci], (position[sel], gi[sel]), values[sel])
    all_counts = np.zeros((total_bins, len(grid_codes)))
    np.add.at(all_counts, (position, gi), values)

    baseline, observed = cube[:, :baseline_weeks], cube[:, baseline_weeks:]
    share = baseline_shares(baseline.sum(axis=1), all_counts[:baseline_weeks].sum(axis=0), grid_codes)
    district = observed.sum(axis=2, keepdims=True)  # (C, T, 1): the season and the weekdays, as they came
    expected = district * share[:, None, :]
    return Cube(grid_codes, cats, bin_starts(end, weeks), observed, expected)


def baseline_shares(by_category: np.ndarray, by_grid: np.ndarray, grid_codes: np.ndarray) -> np.ndarray:
    """Each grid's expected share of each category, from a year of counts (``by_category`` (C, G), ``by_grid`` (G)).

    Shrunk in two steps, with :data:`SHARE_PRIOR_PER_GRID` pseudo-appeals per unit: a grid's share towards its
    community's share of the category (spread over the community's grids by their share of all appeals), and the
    community's towards its share of all appeals. A grid with no heating appeals last winter by chance keeps its
    community's share of heating; a business district keeps its own share of enterprise appeals, which the
    district-wide mix of all appeals would understate.
    """
    grids = len(grid_codes)
    share_all = (by_grid + 1.0) / (by_grid.sum() + grids)  # one pseudo-appeal: an empty grid is never impossible
    community = pd.factorize(np.array([code[:12] for code in grid_codes]))[0]
    communities = community.max() + 1
    community_all = np.bincount(community, share_all, minlength=communities)
    by_community = np.stack([np.bincount(community, row, minlength=communities) for row in by_category])
    totals = by_category.sum(axis=1, keepdims=True)
    community_prior = SHARE_PRIOR_PER_GRID * communities
    community_share = (by_community + community_prior * community_all) / (totals + community_prior)
    target = community_share[:, community] * (share_all / community_all[community])
    grid_prior = SHARE_PRIOR_PER_GRID * grids
    return (by_category + grid_prior * target) / (totals + grid_prior)


def residuals(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """How far counts sit above expectation, on a scale where one stray appeal in an empty grid stays small.

    Pearson's ``(O − E)/sqrt(E)`` would make a single appeal where 0.01 was expected worth 10
    standard deviations; adding one to the variance keeps sparse grids from faking hotspots
    while busy grids keep their Pearson scale.
    """
    return (observed - expected) / np.sqrt(expected + 1.0)


def adjacency(grid_codes: Sequence[str], geometries: Sequence, order: int = 2) -> sp.csr_matrix:
    """Binary weights of queen contiguity up to ``order``, the grid itself included (Gi*'s "star")."""
    import geopandas as gpd
    from libpysal.weights import Queen, higher_order

    frame = gpd.GeoDataFrame({"code": list(grid_codes)}, geometry=list(geometries))
    queen = Queen.from_dataframe(frame, use_index=False, silence_warnings=True)
    weights = higher_order(queen, k=order, lower_order=True, silence_warnings=True) if order > 1 else queen
    matrix = weights.sparse.tocsr().astype(float) + sp.identity(len(frame), format="csr")
    matrix.data[:] = 1.0
    return matrix


@dataclass(frozen=True)
class Graph:
    """The grid adjacency graph the detection runs on, built once per run (or per validation)."""

    #: Grid codes, sorted: the rows and columns of both matrices.
    grids: np.ndarray
    #: Gi*'s neighbourhoods: second-order queen contiguity, the grid itself included.
    weights: sp.csr_matrix
    #: First-order contiguity within a street: joins hot grids into hotspots, which never cross a street.
    neighbours: sp.csr_matrix
    #: Wider neighbourhoods (fourth order, about 50 grids) for rises too broad and faint for Gi*'s.
    wide: sp.csr_matrix | None = None


def grid_graph(codes: Sequence[str], geometries: Sequence) -> Graph:
    """The graph of the grids (codes start with their 9-digit street code)."""
    codes = np.asarray([str(c) for c in codes])
    order = np.argsort(codes)
    codes, geoms = codes[order], np.asarray(list(geometries), dtype=object)[order]
    weights = adjacency(codes, geoms, order=2)
    first = adjacency(codes, geoms, order=1).tocoo()
    streets = np.array([c[:9] for c in codes])
    keep = streets[first.row] == streets[first.col]
    neighbours = sp.csr_matrix((first.data[keep], (first.row[keep], first.col[keep])), shape=first.shape)
    return Graph(codes, weights, neighbours, adjacency(codes, geoms, order=WIDE_ORDER))


def find_hotspots(counts: pd.DataFrame, graph: Graph, end: date, categories: Sequence[str]) -> list[Hotspot]:
    """Every hotspot of the cube that ends the day before ``end`` (see the module's steps).

    None while the history is shorter than :data:`MIN_BASELINE_WEEKS` of baseline: without a
    year of each grid's usual share, every busy grid would look hot.
    """
    if baseline_weeks_with_data(counts) < MIN_BASELINE_WEEKS:
        return []
    return detect(build_cube(counts, graph.grids, end, categories), graph.weights, graph.neighbours, graph.wide)


def baseline_weeks_with_data(counts: pd.DataFrame, weeks: int = CUBE_WEEKS) -> int:
    """How many bins before the cube hold any appeal."""
    back = counts.loc[counts["count"] > 0, "weeks_back"]
    return int(back[back >= weeks].nunique())


def gi_star(weights: sp.csr_matrix, values: np.ndarray) -> np.ndarray:
    """Getis-Ord Gi* z-scores of every column of ``values`` (shape (G, K)), as esda's ``G_Local(star=True)``.

    The standard form: ``(Σ_j w_ij x_j − x̄ W_i) / (s sqrt((n S1_i − W_i²)/(n − 1)))``.
    """
    n = values.shape[0]
    mean = values.mean(axis=0)
    sd = values.std(axis=0)
    w_sum = np.asarray(weights.sum(axis=1)).ravel()
    w_sq = np.asarray(weights.multiply(weights).sum(axis=1)).ravel()
    spread = np.sqrt((n * w_sq - w_sum**2) / (n - 1))
    lagged = weights @ values
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (lagged - w_sum[:, None] * mean[None, :]) / (spread[:, None] * sd[None, :])
    return np.where(np.isfinite(z), z, 0.0)


def mann_kendall(series: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mann–Kendall trend over the last axis: (S statistic's z-score, two-sided p-value).

    Vectorised over the leading axes; ties (equal z-scores) count as no change, and
    the variance is the no-ties one (Gi* z-scores are continuous).
    """
    t = series.shape[-1]
    i, j = np.triu_indices(t, k=1)
    s = np.sign(series[..., j] - series[..., i]).sum(axis=-1)
    var = t * (t - 1) * (2 * t + 5) / 18.0
    z = np.where(s > 0, s - 1, np.where(s < 0, s + 1, 0)) / np.sqrt(var)
    return z, 2 * stats.norm.sf(np.abs(z))


def classify(hot: np.ndarray, cold: np.ndarray, trend_z: np.ndarray, trend_p: np.ndarray) -> np.ndarray:
    """EHSA's hot-spot pattern per location from its hot and cold bins (last axis) and trend; "" for none.

    - new: hot in the last bin only;
    - consecutive: one run of hot bins ending with the last, never hot before, under 90 % of bins;
    - intensifying / persistent / diminishing: hot in at least 90 % of bins and in the last, with a
      rising, no, or falling trend of the z-scores;
    - sporadic: hot in the last bin, on and off before, never cold;
    - oscillating: hot in the last bin, cold at some earlier bin;
    - historical: not hot in the last bin, but in at least 90 % of bins.
    """
    t = hot.shape[-1]
    last = hot[..., -1]
    n_hot = hot.sum(axis=-1)
    share = n_hot / t
    run = _final_run(hot)
    ever_cold = cold.any(axis=-1)
    rising = (trend_p < TREND_ALPHA) & (trend_z > 0)
    falling = (trend_p < TREND_ALPHA) & (trend_z < 0)
    mostly = share >= PERSISTENT_SHARE
    out = np.full(hot.shape[:-1], "", dtype=object)
    out[~last & mostly] = "historical"
    active = last
    out[active & mostly & rising] = "intensifying"
    out[active & mostly & falling] = "diminishing"
    out[active & mostly & ~rising & ~falling] = "persistent"
    few = active & ~mostly
    out[few & (n_hot == 1)] = "new"
    out[few & (n_hot > 1) & (run == n_hot)] = "consecutive"
    before = few & (n_hot > run)
    out[before & ever_cold] = "oscillating"
    out[before & ~ever_cold] = "sporadic"
    return out


def detect(cube: Cube, weights: sp.csr_matrix, neighbours: sp.csr_matrix,
           wide: sp.csr_matrix | None = None) -> list[Hotspot]:
    """Hotspots of every category in the cube, strongest first.

    Args:
        cube: From :func:`build_cube`.
        weights: Gi*'s neighbourhoods (:func:`adjacency`, second order), rows in ``cube.grids`` order.
        neighbours: First-order adjacency (:func:`adjacency` with ``order=1``), which joins hot grids
            into one hotspot; drop edges (e.g. across streets) to keep hotspots apart.
        wide: Wider neighbourhoods, tested too (in the same FDR family), or None.
    """
    c, t, g = cube.observed.shape
    x = residuals(cube.observed, cube.expected).reshape(c * t, g).T
    z = gi_star(weights, x).T.reshape(c, t, g)
    # Every test of every grid: its neighbourhood's excess over the last 1-3 bins, for Gi*'s neighbourhoods
    # and the wide ones (hot), and a deficit in the bin alone (cold). One Benjamini-Hochberg family per
    # category and bin holds them all, so a rise seen by several windows and scales relaxes the threshold
    # as it should, and nothing seen by none of them gets through.
    scales = [weights] + ([wide] if wide is not None else [])
    sums = [((m @ cube.observed.reshape(c * t, g).T).T.reshape(c, t, g),
             (m @ cube.expected.reshape(c * t, g).T).T.reshape(c, t, g)) for m in scales]
    hot_p, hot_excess = [], []
    for obs_s, exp_s in sums:
        for p_w, excess_w in _window_tests(obs_s, exp_s):
            hot_p.append(p_w)
            hot_excess.append(excess_w)
    obs_n, exp_n = sums[0]  # Gi*'s own neighbourhoods
    p_cold = stats.poisson.cdf(obs_n, np.maximum(exp_n, 1e-9))
    family = np.stack([*hot_p, p_cold])  # (K + 1, C, T, G)
    q = np.ones_like(family)
    for ci in range(c):
        for ti in range(t):
            q[:, ci, ti] = multipletests(family[:, ci, ti].ravel(), alpha=FDR_Q, method="fdr_bh")[1].reshape(-1, g)
    q_hot = np.where(np.stack(hot_excess) >= MIN_EXCESS, q[:-1], 1.0).min(axis=0)
    hot = q_hot < FDR_Q
    cold = (q[-1] < FDR_Q) & ~hot
    q = np.where(hot, q_hot, q[-1])
    hot_t = np.moveaxis(hot, 1, -1)  # (C, G, T)
    trend_z, trend_p = mann_kendall(np.moveaxis(z, 1, -1))
    patterns = classify(hot_t, np.moveaxis(cold, 1, -1), trend_z, trend_p)
    run = _final_run(hot_t)
    hotspots = []
    for ci, category in enumerate(cube.categories):
        active = np.flatnonzero(hot[ci, -1])
        for members in _components(neighbours, active):
            hotspot = _hotspot(cube, ci, category, members, z, q, patterns, run)
            if hotspot is not None:
                hotspots.append(hotspot)
    hotspots.sort(key=lambda h: (-h.score, h.category, h.grids))
    return hotspots


def _window_tests(observed: np.ndarray, expected: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per window of :data:`WINDOWS`: the Poisson tail of the counts summed over the window's bins ending at each
    bin, and their excess over expectation (a prospective window, as SaTScan's)."""
    out = []
    o_sum = np.zeros_like(observed)
    e_sum = np.zeros_like(expected)
    for width in range(1, max(WINDOWS) + 1):
        o_sum[:, width - 1:] += observed[:, : observed.shape[1] - width + 1]
        e_sum[:, width - 1:] += expected[:, : expected.shape[1] - width + 1]
        if width in WINDOWS:
            out.append((stats.poisson.sf(o_sum - 1, np.maximum(e_sum, 1e-9)), o_sum - e_sum))
    return out


def _final_run(hot: np.ndarray) -> np.ndarray:
    """Length of the run of hot bins that ends with the last bin, per location."""
    run = np.zeros(hot.shape[:-1], dtype=int)
    running = np.ones(hot.shape[:-1], dtype=bool)
    for k in range(hot.shape[-1] - 1, -1, -1):
        running &= hot[..., k]
        run += running
    return run


def _components(neighbours: sp.csr_matrix, members: np.ndarray) -> list[np.ndarray]:
    """Connected sets of ``members`` under ``neighbours``, each sorted, in order of their first member."""
    if len(members) == 0:
        return []
    sub = neighbours[members][:, members]
    _, labels = sp.csgraph.connected_components(sub, directed=False)
    return [members[labels == k] for k in range(labels.max() + 1)]


def _hotspot(cube: Cube, ci: int, category: str, members: np.ndarray, z: np.ndarray, q: np.ndarray,
             patterns: np.ndarray, run: np.ndarray) -> Hotspot | None:
    """One hotspot: its core grids (hot, and above their own expectation over the run) and their counts.

    Gi* flags a grid when its neighbourhood is high, so grids at the edge of a rise are hot too
    while their own counts are ordinary; the hotspot names and counts the core, and keeps the
    edge grids in its details (``hot`` false). Counts and the start cover the run of hot bins, or
    the longest test window if that is longer.
    """
    t = len(cube.bin_starts)
    latest_z = z[ci, -1, members]
    # The rise is judged over the longest test window (a new hotspot may have built up over three weeks).
    longest = min(t, max(int(run[ci, members].max()), max(WINDOWS)))
    window = slice(t - longest, t)
    own_observed = cube.observed[ci, window][:, members].sum(axis=0)
    own_expected = cube.expected[ci, window][:, members].sum(axis=0)
    core = members[own_observed > own_expected]
    if len(core) == 0:
        return None  # the excess lies around these grids, not in them: their neighbours' own Gi* will say
    in_core = set(core.tolist())
    details = tuple(
        {
            "grid_code": str(cube.grids[m]),
            "hot": m in in_core,
            "pattern": str(patterns[ci, m]),
            "z": float(z[ci, -1, m]),
            "observed": int(round(o)),
            "expected": float(e),
        }
        for m, o, e in zip(members, own_observed, own_expected, strict=True)
    )
    observed = cube.observed[ci][:, core]
    expected = cube.expected[ci][:, core]
    series = tuple(
        {"week": start.isoformat(), "observed": int(round(o)), "expected": round(float(e), 2), "hot": k >= t - longest}
        for k, (start, o, e) in enumerate(zip(cube.bin_starts, observed.sum(axis=1), expected.sum(axis=1), strict=True))
    )
    strongest = members[int(np.argmax(latest_z))]
    return Hotspot(
        category=category,
        pattern=str(patterns[ci, strongest]),
        grids=tuple(str(code) for code in cube.grids[core]),
        score=float(latest_z.max()),
        observed=int(round(observed[window].sum())),
        expected=float(expected[window].sum()),
        significance=float(q[ci, -1, members].min()),
        start=cube.bin_starts[t - longest],
        grid_details=details,
        series=series,
    )
