"""The detector against planted truth: a ×2 hotspot of three weeks is found; nothing planted, almost nothing flagged.

The full sweep (strengths, sizes, volumes, lead times, precision) is
``python -m tests.benchmarks.validate_analytics``; its figures are in docs/analytics.md.
These two cases are its floor, in CI.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from geo.analysis import hotspots as detection
from geo.analysis import validation as v

#: The 1M-appeal history's rate (four years): the scale the benchmarks run at.
BENCHMARK_PER_DAY = 680
#: Laoshan's own rate, the demo's default.
DISTRICT_PER_DAY = 180
#: At most this many hotspots of single categories per weekly run on a history with nothing planted,
#: averaged over the season the test covers (see docs/analytics.md, "False positives", for why).
NULL_HOTSPOTS_PER_RUN = 0.25


@pytest.fixture(scope="module")
def grids():
    return v.reference_grids()


@pytest.fixture(scope="module")
def graph(grids):
    return detection.grid_graph(grids["code"], grids["geometry"])


def test_a_doubling_of_three_weeks_is_found(grids, graph):
    """Property-management appeals ×2 for three weeks over 30 adjacent grids of 中韩街道, at the benchmark's volume."""
    codes = sorted(c for c in grids["code"] if c.startswith("370212001"))
    start = date(2026, 11, 9)
    plants = v.plant_set(grids, [(codes[10], "property_management")], start, weeks=3, strength=2.0, size=30)
    history = v.generate(date(2025, 8, 1), date(2026, 12, 7), plants, per_day=BENCHMARK_PER_DAY,
                         grids=grids, graph=graph)
    days = [start + timedelta(days=7 * k) for k in range(1, 5)]
    outcomes = v.evaluate(history, days).outcomes
    assert outcomes[0].detected, "a ×2 hotspot lasting three weeks was missed"
    assert outcomes[0].lead_days <= 21
    flagged = [h for h in v.hotspots_on(history, outcomes[0].first_flagged) if h.category == "property_management"]
    assert any(set(h.grids) & set(plants[0].grids) and h.observed > 1.5 * h.expected for h in flagged)


def test_nothing_planted_is_almost_nothing_flagged_and_heating_season_is_expected(grids, graph):
    """Weekly runs through the heating season's start (heating appeals ×20 within a month), nothing planted."""
    history = v.generate(date(2025, 8, 1), date(2026, 12, 28), (), seed=20221120, per_day=DISTRICT_PER_DAY,
                         grids=grids, graph=graph)
    days = v.weekly_days(date(2026, 10, 5), date(2026, 12, 28))
    found = [(day, h) for day in days for h in v.hotspots_on(history, day) if h.category != detection.ALL]
    assert not [h for _, h in found if h.category == "heating"], "the heating season was taken for a hotspot"
    assert len(found) / len(days) <= NULL_HOTSPOTS_PER_RUN, [(d, h.category, h.observed, h.expected) for d, h in found]
