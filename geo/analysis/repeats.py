"""Repeat appeals: the same problem reported again and again from the same place.

A problem that citizens keep reporting after it was "handled" was not fixed at
its root; such clusters are what 未诉先办 wants in front of a leader. Two appeals
are linked when they have the same category, lie within a radius, were accepted
within a period of each other and read alike; a repeat group is a connected
component of links with at least ``min_size`` appeals.

Text similarity is the cosine of TF-IDF vectors over jieba's words and
character bigrams (without digits, masks and the channel's boilerplate), IDF
taken over the given appeals that have a neighbour (only those can link). It separated repeats from other problems at the
same place better than rapidfuzz's ``token_set_ratio`` on jieba's words, which
the shared place words (小区, 3号楼) push up for any two appeals of one compound;
the price is that a pair's score depends a little on the other appeals passed
in. ``tests/benchmarks/bench_repeats.py`` measures the choice and the defaults.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass

import jieba
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from geo import crs

jieba.setLogLevel(logging.WARNING)

#: A residential block or a stretch of road: what one "place" is to a citizen.
DEFAULT_RADIUS_M = 100.0
#: A month: a report of the same problem within it is a repeat (重复诉求), as in the demo generator's window.
DEFAULT_PERIOD_DAYS = 30.0
#: TF-IDF cosine from which two texts are one problem. Retold reports of one problem score 0.25–0.6 (the
#: planted paraphrases of tests/test_repeats.py come out exactly from 0.32 to 0.38), copies ~1; lower
#: merges other problems of the same place, higher splits retellings. See bench_repeats for the figures.
DEFAULT_MIN_SIMILARITY = 0.35
#: Fewer than three reports is a follow-up, not a pattern.
DEFAULT_MIN_SIZE = 3

#: Words that say who reports and what they ask for, not what the problem is: every channel's lead-in,
#: the request at the end, repeat markers (so 又/再次 do not make a repeat look different) and particles.
_STOP_WORDS_TEXT = (
    "市民 来电 反映 反映过 群众 通过 崂 先办 崂先办 再次 又 再 希望 尽快 请 相关 部门 相关部门 核实 协调 解决 安排 "
    "人员 查看 给予 指导 协助 答复 依法 查处 核查 处理 已 拍照 上报 需 处置 数字 城管 监督员 网格员 巡查 发现 转来 "
    "非警务 警情 企业 服务 专线 联系电话 联系 电话 诉求 问题 的 了 和 与 及 有 是 在 也 都 还 就 被 把 啊 吧 呢"
)
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())
#: Punctuation, whitespace, digits and mask characters (138****5678): none of them says what the problem is.
_NOT_WORDS = re.compile(r"[\W\d_]+")

REQUIRED_COLUMNS = (
    "id", "category", "grid_code", "community_code", "street_code", "lon", "lat", "accepted_at", "title",
    "description",
)


@dataclass(frozen=True)
class RepeatGroup:
    """Appeals that report one problem at one place again and again."""

    ids: tuple
    category: str
    grid_code: str
    community_code: str
    street_code: str
    lon: float
    lat: float
    first_accepted_at: pd.Timestamp
    last_accepted_at: pd.Timestamp
    count: int
    #: The group's most common title (ties: the most central one), what a list shows.
    title: str
    #: Mean text similarity (0–1) over all pairs of the group: how clearly it is one problem.
    mean_similarity: float


def text_tokens(text: str) -> tuple[str, ...]:
    """jieba's words of ``text`` without digits, masks, punctuation and boilerplate, in order.

    Digits go because masked and unmasked copies of a phone number, or 3号楼 typed
    as 三号楼, must not make two reports of one problem look different.
    """
    # One jieba call per text: it cuts at the spaces itself, and calls, not characters, are its cost.
    cleaned = _NOT_WORDS.sub(" ", str(text).lower())
    return tuple(w for w in jieba.lcut(cleaned, HMM=False) if not w.isspace() and w not in STOP_WORDS)


def metric_xy(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Metres east and north of the points' mean, on a local plane (exact enough within a district)."""
    lat0 = float(np.mean(lat)) if len(lat) else 0.0
    lon0 = float(np.mean(lon)) if len(lon) else 0.0
    x = (lon - lon0) * crs.km_per_deg_lon(lat0) * 1000.0
    y = (lat - lat0) * crs.KM_PER_DEG_LAT * 1000.0
    return x, y


def candidate_pairs(appeals: pd.DataFrame, radius_m: float = DEFAULT_RADIUS_M,
                    period_days: float = DEFAULT_PERIOD_DAYS) -> np.ndarray:
    """(k, 2) row positions i < j of appeals with the same category, within the radius and the period.

    A KD-tree per category over (x, y, scaled time) with the max-norm finds the
    box around each point, so the cost follows the number of neighbours, never
    the number of all pairs; the exact distance and time are checked after.
    Rows without a position or an acceptance time have no neighbours.
    """
    if len(appeals) < 2:
        return np.empty((0, 2), dtype=np.int64)
    lon = appeals["lon"].to_numpy(dtype=float)
    lat = appeals["lat"].to_numpy(dtype=float)
    at = pd.to_datetime(appeals["accepted_at"], utc=True)
    known = np.isfinite(lon) & np.isfinite(lat) & at.notna().to_numpy()
    seconds = np.zeros(len(appeals))
    seconds[known] = (at[known] - at[known].min()).dt.total_seconds().to_numpy()
    x, y = metric_xy(lon[known], lat[known])
    xs = np.zeros(len(appeals))
    ys = np.zeros(len(appeals))
    xs[known], ys[known] = x, y
    period_s = float(period_days) * 86_400.0
    scale = radius_m / period_s if period_s > 0 else 0.0
    category = appeals["category"].astype(str).to_numpy()
    found = []
    for code in np.unique(category[known]):
        rows = np.flatnonzero(known & (category == code))
        if len(rows) < 2:
            continue
        tree = cKDTree(np.column_stack([xs[rows], ys[rows], seconds[rows] * scale]))
        # A hair over the radius so that scaling never drops a pair on the edge; the exact check follows.
        local = tree.query_pairs(radius_m * (1 + 1e-9) + 1e-9, p=np.inf, output_type="ndarray")
        found.append(rows[local])
    if not found:
        return np.empty((0, 2), dtype=np.int64)
    pairs = np.sort(np.concatenate(found).astype(np.int64), axis=1)
    i, j = pairs[:, 0], pairs[:, 1]
    near = np.hypot(xs[i] - xs[j], ys[i] - ys[j]) <= radius_m
    soon = np.abs(seconds[i] - seconds[j]) <= period_s
    pairs = pairs[near & soon]
    return pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]


def text_features(texts: list[str]) -> sparse.csr_matrix:
    """One L2-normalised TF-IDF row per text over jieba's words and character bigrams.

    Words catch the same terms (楼道, 照明); bigrams of the words run together
    catch paraphrases that jieba cuts differently (灯坏 / 灯不亮), and leave out
    the boilerplate the words left out. IDF over the texts given makes words that
    every appeal nearby shares (the compound's name, 小区) count less than the
    problem's own words, which is what separates two problems at one place.
    Identical texts are segmented once.
    """
    segmented: dict[str, list[str]] = {}
    vocabulary: dict[str, int] = {}
    rows: list[int] = []
    columns: list[int] = []
    for r, text in enumerate(texts):
        terms = segmented.get(text)
        if terms is None:
            words = text_tokens(text)
            joined = "".join(words)
            terms = [*words, *(joined[k:k + 2] for k in range(len(joined) - 1))]
            segmented[text] = terms
        for term in terms:
            columns.append(vocabulary.setdefault(term, len(vocabulary)))
            rows.append(r)
    counts = sparse.csr_matrix((np.ones(len(rows)), (rows, columns)), shape=(len(texts), len(vocabulary)))
    counts.sum_duplicates()
    counts.data = 1.0 + np.log(counts.data)  # a word said twice is not twice the evidence
    document_frequency = np.bincount(counts.indices, minlength=len(vocabulary))
    idf = np.log((1.0 + len(texts)) / (1.0 + document_frequency)) + 1.0
    weighted = counts.multiply(idf[np.newaxis, :]).tocsr()
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    return (sparse.diags(1.0 / np.maximum(norms, 1e-12)) @ weighted).tocsr()


def pair_similarity(features: sparse.csr_matrix, pairs: np.ndarray) -> np.ndarray:
    """Cosine similarity (0–1) of the rows of each pair."""
    if len(pairs) == 0:
        return np.empty(0)
    return np.asarray(features[pairs[:, 0]].multiply(features[pairs[:, 1]]).sum(axis=1)).ravel()


def _majority(values: list) -> object:
    """The most common value; ties go to the smallest, so the answer never depends on row order."""
    counts = Counter(values)
    best = max(counts.values())
    return min(v for v, c in counts.items() if c == best)


def find_repeats(
    appeals: pd.DataFrame,
    radius_m: float = DEFAULT_RADIUS_M,
    period_days: float = DEFAULT_PERIOD_DAYS,
    min_similarity: float = DEFAULT_MIN_SIMILARITY,
    min_size: int = DEFAULT_MIN_SIZE,
) -> list[RepeatGroup]:
    """Groups of appeals that report the same problem from the same place, largest first.

    Args:
        appeals: One row per appeal with the columns of :data:`REQUIRED_COLUMNS`;
            ``accepted_at`` timezone-aware, lon/lat WGS-84.
        radius_m: Two appeals farther apart than this are different places.
        period_days: Two appeals accepted further apart than this are not linked
            directly (a chain of reports may span longer).
        min_similarity: Text similarity (0–1) from which two texts are one problem.
        min_size: Fewest appeals a group needs to be returned.

    Returns:
        Repeat groups by count (descending), then first acceptance, then ids.
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in appeals.columns]
    if missing:
        raise ValueError(f"appeals lack columns: {', '.join(missing)}")
    frame = appeals.reset_index(drop=True)
    pairs = candidate_pairs(frame, radius_m, period_days)
    if len(pairs) == 0:
        return []
    # Only appeals with a neighbour can link, so only they are segmented; their texts are also the IDF's corpus.
    rows, local = np.unique(pairs, return_inverse=True)
    local = local.reshape(pairs.shape)
    texts = (frame["title"].fillna("").astype(str) + " " + frame["description"].fillna("").astype(str)).to_numpy()
    features = text_features(texts[rows].tolist())
    similarity = pair_similarity(features, local)
    linked = local[similarity >= min_similarity]
    n = len(rows)
    graph = sparse.coo_matrix((np.ones(len(linked)), (linked[:, 0], linked[:, 1])), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    columns = {c: frame[c].to_numpy()[rows] for c in REQUIRED_COLUMNS if c != "description"}
    columns["accepted_at"] = pd.to_datetime(frame["accepted_at"]).iloc[rows].reset_index(drop=True)
    order = np.argsort(label, kind="stable")
    bounds = np.flatnonzero(np.diff(label[order])) + 1
    groups = [_group(columns, members, features) for members in np.split(order, bounds)
              if len(members) >= max(min_size, 2)]
    groups.sort(key=lambda g: (-g.count, g.first_accepted_at, g.ids))
    return groups


def _group(columns: dict, members: np.ndarray, features: sparse.csr_matrix) -> RepeatGroup:
    """Summarise one connected component (positions into ``columns``) as a :class:`RepeatGroup`."""
    members = members[np.argsort(columns["id"][members], kind="stable")]  # sums in id order: row order never shows
    vectors = features[members]
    scores = (vectors @ vectors.T).toarray()
    k = len(members)
    mean_similarity = float((scores.sum() - np.trace(scores)) / (k * (k - 1)))
    centrality = scores.sum(axis=1)
    titles = [str(t) if isinstance(t, str) else "" for t in columns["title"][members]]
    counts = Counter(titles)
    # Most common title; among equally common ones the most central, then the first in text order.
    title = min(range(k), key=lambda m: (-counts[titles[m]], -centrality[m], titles[m]))
    grid_codes = [str(g) for g in columns["grid_code"][members]]
    grid = _majority(grid_codes)
    home = members[grid_codes.index(grid)]
    accepted = columns["accepted_at"].iloc[members]
    return RepeatGroup(
        ids=tuple(sorted(columns["id"][members].tolist())),
        category=str(columns["category"][members[0]]),
        grid_code=grid,
        community_code=str(columns["community_code"][home]),
        street_code=str(columns["street_code"][home]),
        lon=float(np.mean(columns["lon"][members].astype(float))),
        lat=float(np.mean(columns["lat"][members].astype(float))),
        first_accepted_at=accepted.min(),
        last_accepted_at=accepted.max(),
        count=k,
        title=titles[title],
        mean_similarity=round(mean_similarity, 4),
    )
