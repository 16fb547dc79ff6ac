"""Key-population signals: a grid whose appeals about the elderly rise against its past and its people is flagged."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.analysis import key_population as kp

GRIDS = [f"370212001001{i:03d}" for i in range(60)]


def counts(rate, weeks: int = 30, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = [(g, "elderly_care", back, n) for back in range(weeks) for i, g in enumerate(GRIDS)
            if (n := rng.poisson(rate(i, back)))]
    return pd.DataFrame(rows, columns=["grid_code", "category", "weeks_back", "count"])


PEOPLE = {g: 20 + 5 * (i % 7) for i, g in enumerate(GRIDS)}


def test_a_grid_rising_far_above_its_past_is_flagged_and_the_others_are_not():
    rising = counts(lambda i, back: 0.5 * (5.0 if i == 7 and back < kp.RECENT_WEEKS else 1.0))
    found = kp.signals(rising, GRIDS, PEOPLE, kp.CATEGORIES)
    assert [s["grid_code"] for s in found] == [GRIDS[7]]
    assert found[0]["observed"] - found[0]["expected"] >= kp.MIN_EXCESS and found[0]["significance"] < kp.FDR_Q
    steady = counts(lambda i, back: 0.5)
    assert kp.signals(steady, GRIDS, PEOPLE, kp.CATEGORIES) == []


def test_a_grid_with_many_elderly_and_no_past_is_expected_to_have_appeals():
    """No past appeals: the expectation follows the key population, so a big elderly grid's few appeals are normal."""
    people = {**PEOPLE, GRIDS[3]: 2000}
    recent_only = counts(lambda i, back: (3.0 if i == 3 else 0.05) if back < kp.RECENT_WEEKS else 0.0)
    assert GRIDS[3] not in {s["grid_code"] for s in kp.signals(recent_only, GRIDS, people, kp.CATEGORIES)}


def test_other_categories_do_not_count():
    noise = counts(lambda i, back: 0.5 * (5.0 if i == 7 and back < kp.RECENT_WEEKS else 1.0)).assign(category="noise")
    assert kp.signals(noise, GRIDS, PEOPLE, kp.CATEGORIES) == []
