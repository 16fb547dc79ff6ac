"""Key-population signals: grids whose appeals about the elderly, the disabled and people in need rise.

Appeals of these categories should track how many such people live in a grid.
A grid's expected share mixes its own past share of these appeals with its
share of the district's key population (so a grid with many elderly residents
and no past appeals still gets an expectation); the recent weeks are tested
against it with an exact Poisson tail and Benjamini–Hochberg FDR. Only counts
of appeals leave this module; the key-population counts that weigh the
expectation are never published (the store publishes them suppressed).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

#: Categories whose appeals are mostly from or about key populations (the elderly, the disabled, people in need).
CATEGORIES = ("elderly_care", "healthcare", "social_security")
#: Weeks that count as "recent" (the signal), and the weeks before them (the grid's own past).
RECENT_WEEKS = 4
#: Pseudo-count (in appeals) of the key-population share in a grid's expected share.
POPULATION_PRIOR = 10.0
#: False discovery rate, and the least excess (appeals) that makes a signal.
FDR_Q = 0.05
MIN_EXCESS = 3.0


def signals(counts: pd.DataFrame, grids: Sequence[str], key_population: dict[str, int],
            categories: Sequence[str], recent_weeks: int = RECENT_WEEKS) -> list[dict]:
    """Grids whose recent key-population appeals exceed expectation significantly, strongest first.

    Args:
        counts: Problems per ``grid_code, category, weeks_back`` (as for the hotspot cube).
        grids: Every grid code.
        key_population: True key-population count per grid (weights only; never returned).
        categories: The categories that concern key populations.
        recent_weeks: Bins (``weeks_back`` below this) that make the recent window.
    """
    codes = np.array(sorted(grids))
    frame = counts[counts["category"].isin(list(categories))]
    index = pd.Index(codes).get_indexer(frame["grid_code"])
    frame, index = frame[index >= 0], index[index >= 0]
    recent = frame["weeks_back"].to_numpy() < recent_weeks
    values = frame["count"].to_numpy(dtype=float)
    observed = np.bincount(index[recent], values[recent], minlength=len(codes))
    past = np.bincount(index[~recent], values[~recent], minlength=len(codes))
    people = np.array([key_population.get(code, 0) for code in codes], dtype=float)
    people_share = (people + 1.0) / (people.sum() + len(codes))
    share = (past + POPULATION_PRIOR * people_share) / (past.sum() + POPULATION_PRIOR)
    expected = observed.sum() * share
    p = stats.poisson.sf(observed - 1, np.maximum(expected, 1e-9))
    q = multipletests(p, alpha=FDR_Q, method="fdr_bh")[1] if len(p) else p
    found = np.flatnonzero((q < FDR_Q) & (observed - expected >= MIN_EXCESS))
    found = found[np.argsort(q[found], kind="stable")]
    return [{"grid_code": str(codes[i]), "observed": int(observed[i]), "expected": round(float(expected[i]), 2),
             "significance": float(q[i])} for i in found]
