"""How well and how fast repeat appeals are found, on the demo data.

    python -m tests.benchmarks.bench_repeats [--days 120] [--per-day 180] [--speed 60000]

Generates the demo appeals (seed 20221020, real grids, the days before
2026-12-01 00:00 Beijing time) and judges :func:`geo.analysis.repeats.find_repeats`
against what the frames carry: two appeals are the same problem at the same
place when they have the same category and the same title (place words +
issue) and lie within 100 m. The truth groups are the connected components of
such pairs accepted within 30 days of each other (the generator's repeat
window) with at least 3 appeals. Prints Markdown: how text measures separate
same-problem pairs from other same-category pairs nearby (the demo's and the
planted paraphrases of tests/test_repeats.py), precision and recall per
threshold, and the time for ``--speed`` appeals (90 days at the 1M scale).
"""

from __future__ import annotations

import argparse
import itertools
import os
import time
from datetime import datetime, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
from rapidfuzz import fuzz
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.stats import rankdata

from geo import demo, domain, reference
from geo.analysis import repeats
from tests.test_repeats import planted_frame

END = datetime(2026, 12, 1, tzinfo=domain.LOCAL_TZ)
SAME_PLACE_M = 100.0


def demo_appeals(grids: gpd.GeoDataFrame, n: int, days: int) -> pd.DataFrame:
    """n demo appeals over the days before END, with the grid (and its community, street) each lies in."""
    workers = demo.generate_workers(grids, domain.DEMO_SEED)
    chunks = demo.generate_appeals(grids, workers, n, END - timedelta(days=days), END, domain.DEMO_SEED)
    appeals = pd.concat([a for a, _ in chunks], ignore_index=True).rename(columns={"idx": "id"})
    points = gpd.GeoDataFrame(appeals[["id"]], geometry=gpd.points_from_xy(appeals["lon"], appeals["lat"]), crs=4326)
    hits = gpd.sjoin(points, grids[["code", "community_code", "street_code", "geometry"]].to_crs(4326))
    # A point on a shared edge goes to the smallest code, as the store does.
    hits = hits.sort_values(["id", "code"]).drop_duplicates("id")
    codes = hits.set_index("id")[["code", "community_code", "street_code"]].rename(columns={"code": "grid_code"})
    return appeals.join(codes, on="id")


def metres(appeals: pd.DataFrame, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    x, y = repeats.metric_xy(appeals["lon"].to_numpy(), appeals["lat"].to_numpy())
    return np.hypot(x[i] - x[j], y[i] - y[j])


def truth_groups(appeals: pd.DataFrame) -> list[set]:
    """Components of same-category, same-title pairs within 100 m and 30 days, of 3 or more appeals."""
    pairs = repeats.candidate_pairs(appeals, SAME_PLACE_M, 30)
    title = appeals["title"].to_numpy()
    same = pairs[title[pairs[:, 0]] == title[pairs[:, 1]]]
    n = len(appeals)
    _, label = connected_components(sparse.coo_matrix((np.ones(len(same)), same.T), shape=(n, n)), directed=False)
    ids = appeals["id"].to_numpy()
    return [set(ids[label == k].tolist()) for k in np.flatnonzero(np.bincount(label) >= 3)]


def same_problem(appeals: pd.DataFrame, pairs: np.ndarray) -> np.ndarray:
    """Per pair of row positions: same category, same title, within 100 m."""
    i, j = pairs[:, 0], pairs[:, 1]
    cat, title = appeals["category"].to_numpy(), appeals["title"].to_numpy()
    return (cat[i] == cat[j]) & (title[i] == title[j]) & (metres(appeals, i, j) <= SAME_PLACE_M)


def auc(score: np.ndarray, positive: np.ndarray) -> float:
    """Chance that a random same-problem pair scores above a random other pair."""
    ranks = rankdata(score)
    n_pos, n_neg = positive.sum(), (~positive).sum()
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def separation(appeals: pd.DataFrame, positive_of) -> dict[str, float]:
    """AUC per text measure over the candidate pairs (same category, 100 m, 30 days)."""
    pairs = repeats.candidate_pairs(appeals)
    positive = positive_of(appeals, pairs)
    texts = (appeals["title"] + " " + appeals["description"]).tolist()
    words = {t: " ".join(repeats.text_tokens(t)) for t in set(texts)}
    tsr = np.array([fuzz.token_set_ratio(words[texts[i]], words[texts[j]]) for i, j in pairs.tolist()])
    tfidf = repeats.pair_similarity(repeats.text_features(texts), pairs)
    return {"pairs": len(pairs), "same": int(positive.sum()), "tsr": auc(tsr, positive), "tfidf": auc(tfidf, positive),
            "tfidf_pos_p05": float(np.quantile(tfidf[positive], 0.05)), "tfidf_neg_p95": float(np.quantile(tfidf[~positive], 0.95))}


def judge(appeals: pd.DataFrame, truth: list[set], **params) -> dict[str, float]:
    """Group and pair precision, pair and group recall of find_repeats against the truth groups."""
    groups = repeats.find_repeats(appeals, **params)
    position = pd.Series(np.arange(len(appeals)), index=appeals["id"].to_numpy())
    flagged = np.array([p for g in groups for p in itertools.combinations(position[list(g.ids)].to_numpy(), 2)],
                       dtype=np.int64).reshape(-1, 2)
    ok = same_problem(appeals, flagged) if len(flagged) else np.array([], dtype=bool)
    correct_groups = 0
    start = 0
    for g in groups:
        k = g.count * (g.count - 1) // 2
        correct_groups += bool(ok[start:start + k].all())
        start += k
    found_of = {i: n for n, g in enumerate(groups) for i in g.ids}
    true_pairs = [p for t in truth for p in itertools.combinations(sorted(t), 2)]
    recalled = sum(1 for a, b in true_pairs if a in found_of and found_of.get(a) == found_of.get(b))
    whole = sum(1 for t in truth if len({found_of.get(i, -1 - n) for n, i in enumerate(t)}) == 1)
    return {"groups": len(groups), "group_precision": correct_groups / max(len(groups), 1),
            "pair_precision": float(ok.mean()) if len(ok) else 1.0, "pair_recall": recalled / max(len(true_pairs), 1),
            "truth_whole": whole / max(len(truth), 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--per-day", type=int, default=180)
    parser.add_argument("--speed", type=int, default=60_000, help="appeals over 90 days for the timing")
    args = parser.parse_args()
    grids = reference.load()["grid"][["code", "street_code", "community_code", "households", "population", "geometry"]]
    appeals = demo_appeals(grids, args.per_day * args.days, args.days)
    truth = truth_groups(appeals)
    print(f"Demo: {len(appeals):,} appeals over {args.days} days; {len(truth)} truth groups of ≥3 "
          f"({sum(map(len, truth))} appeals).\n")

    planted, planted_truth = planted_frame()
    group_of = {i: name for name, ids in planted_truth.items() for i in ids}

    def planted_positive(frame: pd.DataFrame, pairs: np.ndarray) -> np.ndarray:
        ids = frame["id"].to_numpy()
        return np.array([group_of.get(ids[i], -1) == group_of.get(ids[j], -2) for i, j in pairs.tolist()])

    print("| candidate pairs (same category, 100 m, 30 days) | pairs | same problem | AUC token_set_ratio | AUC TF-IDF | TF-IDF same p05 | TF-IDF other p95 |")
    print("|---|---|---|---|---|---|---|")
    for name, frame, positive in (("demo", appeals, same_problem), ("planted paraphrases", planted, planted_positive)):
        s = separation(frame, positive)
        print(f"| {name} | {s['pairs']:,} | {s['same']:,} | {s['tsr']:.4f} | {s['tfidf']:.4f} | "
              f"{s['tfidf_pos_p05']:.3f} | {s['tfidf_neg_p95']:.3f} |")

    print("\n| radius m | period days | min similarity | groups | group precision | pair precision | pair recall | truth groups whole |")
    print("|---|---|---|---|---|---|---|---|")
    settings = [(100, 30, s) for s in (0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.8)] + [(50, 30, 0.35), (200, 30, 0.35), (100, 14, 0.35), (100, 60, 0.35)]
    for radius, period, sim in settings:
        r = judge(appeals, truth, radius_m=radius, period_days=period, min_similarity=sim)
        print(f"| {radius} | {period} | {sim} | {r['groups']} | {r['group_precision']:.3f} | {r['pair_precision']:.3f} | "
              f"{r['pair_recall']:.3f} | {r['truth_whole']:.3f} |")

    big = demo_appeals(grids, args.speed, 90)
    times = []
    for _ in range(3):
        began = time.perf_counter()
        groups = repeats.find_repeats(big)
        times.append(time.perf_counter() - began)
    pairs = len(repeats.candidate_pairs(big))
    print(f"\nSpeed: {len(big):,} appeals over 90 days, defaults (100 m, 30 days, {repeats.DEFAULT_MIN_SIMILARITY}): "
          f"{pairs:,} candidate pairs, {len(groups)} groups; find_repeats {min(times):.2f} s best of 3 "
          f"(first {times[0]:.2f} s); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.")


if __name__ == "__main__":
    main()
