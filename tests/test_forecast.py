"""The weekly forecast: follows a known season, orders and sizes its intervals honestly, survives odd series."""

from __future__ import annotations

import warnings
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from geo.analysis import forecast
from geo.domain import DISTRICT_CODE

FIRST_MONDAY = date(2022, 10, 24)
STREETS = ("370212001", "370212002", "370212003")


def mondays(n: int, first: date = FIRST_MONDAY) -> list[date]:
    return [first + timedelta(weeks=i) for i in range(n)]


def heating_rate(week: date) -> float:
    """Like the demo's heating: ~0.2 a week in summer, 20 a week from Nov 15 to Dec, fading to April."""
    middle = week + timedelta(days=3)
    m, d = middle.month, middle.day
    if (m == 11 and d >= 15) or m == 12:
        return 20.0
    return {1: 12.0, 2: 8.0, 3: 4.0, 11: 1.0}.get(m, 0.2)


def synthetic_counts(n_weeks: int, seed: int, streets=STREETS, drop_zeros: bool = True) -> pd.DataFrame:
    """Poisson weekly counts: a seasonal heating series and a flat 2-a-week series per street."""
    rng = np.random.default_rng(seed)
    rows = []
    for week in mondays(n_weeks):
        for i, street in enumerate(streets):
            scale = 1.0 + 0.5 * i
            rows.append((street, "heating", week, rng.poisson(heating_rate(week) * scale)))
            rows.append((street, "noise", week, rng.poisson(2.0 * scale)))
    counts = pd.DataFrame(rows, columns=["street_code", "category", "week", "count"])
    return counts[counts["count"] > 0] if drop_zeros else counts


def test_forecast_shape_and_columns():
    counts = synthetic_counts(200, seed=1)
    out = forecast.forecast(counts, horizon=4)
    assert list(out.columns) == forecast.OUTPUT_COLUMNS
    assert len(out) == len(STREETS) * 2 * 4
    last = max(counts["week"])
    assert sorted(out["week"].unique()) == [last + timedelta(weeks=h) for h in range(1, 5)]
    assert set(out["method"]) == {"nb_glm"}


def test_forecast_follows_the_heating_season():
    """From a late-October origin, late November is forecast far above the same series in August."""
    counts = synthetic_counts(200, seed=2)  # ends 2026-08-10
    weeks = sorted(counts["week"].unique())
    august = forecast.forecast(counts, 4)
    to_october = [w for w in weeks if w <= date(2025, 10, 27)]
    november = forecast.forecast(counts[counts["week"].isin(to_october)], 4)
    late_november = november[november["week"] == date(2025, 11, 17)]
    for street in STREETS:
        summer = august[(august["street_code"] == street) & (august["category"] == "heating")]["mean"].max()
        winter = late_november[(late_november["street_code"] == street)
                               & (late_november["category"] == "heating")]["mean"].iloc[0]
        assert summer < 1.5
        assert winter > 10 * max(summer, 0.5)
        assert 12 < winter < 45  # truth: 20, 30, 40 for the three streets


@pytest.mark.parametrize("model", forecast.MODELS)
def test_intervals_are_ordered_and_non_negative(model):
    out = forecast.forecast(synthetic_counts(160, seed=3), 4, model=model)
    values = out[["lo95", "lo80", "mean", "hi80", "hi95"]].to_numpy()
    assert (values >= 0).all()
    assert (np.diff(values, axis=1) >= -1e-9).all()


def test_count_model_bounds_are_integers():
    out = forecast.forecast(synthetic_counts(160, seed=4), 4)
    bounds = out[["lo80", "hi80", "lo95", "hi95"]].to_numpy()
    assert np.array_equal(bounds, np.round(bounds))


def test_interval_coverage_on_held_out_weeks():
    """Coverage of 1–4-week-ahead intervals from 12 origins (Oct 2025 – Jan 2026, the heating onset
    included) × 6 series × 4 weeks = 288 held-out weeks.

    Tolerance: 288 weeks, correlated within a series, give a binomial standard error of ~2.5
    points at 80% and ~1.5 at 95% at best; integer bounds of a count distribution cover *at
    least* the nominal share, by several points for small counts (seeds 5 and 11–15 gave
    86.5–91.3% and 93.1–96.9%). So 80% must land in [0.72, 0.95] and 95% in [0.89, 1.0]:
    intervals of ±0 would cover ~10%, intervals far too wide would cover ~100% of the 80% check.
    """
    counts = synthetic_counts(172, seed=5, drop_zeros=False)
    weeks = sorted(counts["week"].unique())
    result = forecast.backtest(counts, weeks[-16:-4], 4)
    overall = result["nb_glm"]["overall"]
    assert overall["n"] == 12 * 6 * 4
    assert 0.72 <= overall["coverage80"] <= 0.95
    assert 0.89 <= overall["coverage95"] <= 1.0
    assert set(result["nb_glm"]["by_horizon"]) == {1, 2, 3, 4}
    assert overall["wape"] < 0.4  # seeds 5, 11–15: 20–27%


def test_point_intervals_would_fail_the_coverage_check():
    """The coverage check can fail: the same held-out weeks against ±0 intervals."""
    counts = synthetic_counts(172, seed=5, drop_zeros=False)
    weeks = sorted(counts["week"].unique())
    origin = weeks[-5]
    out = forecast.forecast(counts[counts["week"] <= origin], 4)
    actual = counts.rename(columns={"count": "actual"})
    joined = out.merge(actual, on=["street_code", "category", "week"])
    point = np.round(joined["mean"])
    assert (joined["actual"] == point).mean() < 0.5


def test_all_zero_series_give_zero_forecasts():
    weeks = mondays(120)
    counts = pd.DataFrame({"street_code": "370212001", "category": "heating", "week": weeks, "count": 0})
    out = forecast.forecast(counts, 4)
    assert (out[["mean", "lo80", "hi80", "lo95", "hi95"]].to_numpy() == 0).all()
    assert set(out["method"]) == {"zero_history"}


def test_a_sparse_series_beside_busy_ones_does_not_crash():
    """A handful of appeals in two years: a fit that may not converge falls back, quietly and finitely."""
    counts = synthetic_counts(110, seed=6)
    rare = pd.DataFrame({"street_code": "370212005", "category": "heating", "week": mondays(110)[5::40], "count": 1})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = forecast.forecast(pd.concat([counts, rare], ignore_index=True), 4)
    row = out[out["street_code"] == "370212005"]
    assert len(row) == 4
    assert np.isfinite(row[["mean", "hi95"]].to_numpy()).all()
    assert row["mean"].max() < 2


def test_short_history_falls_back_to_a_level_model():
    counts = synthetic_counts(30, seed=7)
    out = forecast.forecast(counts, 4)
    assert set(out["method"]) == {"nb_level"}
    noise = out[(out["street_code"] == STREETS[0]) & (out["category"] == "noise")]
    assert 0.8 < noise["mean"].iloc[0] < 4  # truth: 2 a week
    assert (noise["hi95"] >= noise["hi80"]).all() and (noise["hi80"] >= noise["mean"]).all()


def test_missing_weeks_count_as_zero():
    weeks = mondays(80)
    counts = pd.DataFrame({"street_code": "370212001", "category": "noise", "week": weeks[::2], "count": 2})
    matrix = forecast.weekly_matrix(counts)
    assert matrix.shape == (1, 79)
    assert matrix.to_numpy().sum() == 80 and (matrix.to_numpy()[0, 1::2] == 0).all()


def test_weeks_must_be_mondays():
    counts = pd.DataFrame({"street_code": ["370212001"], "category": ["noise"], "week": [date(2025, 1, 7)],
                           "count": [1]})
    with pytest.raises(ValueError):
        forecast.forecast(counts)


def test_district_forecast_is_of_the_total():
    counts = synthetic_counts(200, seed=8)
    district = forecast.forecast_district(counts, 4)
    assert set(district["street_code"]) == {DISTRICT_CODE}
    assert len(district) == 2 * 4
    streets = forecast.forecast(counts, 4)
    total = streets.groupby(["category", "week"])["mean"].sum()
    joined = district.set_index(["category", "week"])["mean"]
    assert np.allclose(joined.loc[total.index], total, rtol=0.25)


def test_weekly_counts_uses_local_monday_weeks_and_drops_partial_ones():
    accepted = pd.to_datetime(["2025-01-05T16:30:00Z",   # Monday 00:30 in Beijing: week of Jan 6
                               "2025-01-05T15:30:00Z",   # Sunday 23:30 in Beijing: week of Dec 30
                               "2025-01-13T02:00:00Z"])  # week of Jan 13, cut by `end`
    appeals = pd.DataFrame({"accepted_at": accepted, "street_code": "370212001", "category": "noise"})
    out = forecast.weekly_counts(appeals, start=pd.Timestamp("2024-12-30", tz="Asia/Shanghai"),
                                 end=pd.Timestamp("2025-01-15", tz="Asia/Shanghai"))
    assert out[["week", "count"]].values.tolist() == [[date(2024, 12, 30), 1], [date(2025, 1, 6), 1]]


def test_spring_festival_share_marks_the_holiday_weeks():
    weeks = pd.DatetimeIndex(pd.to_datetime(["2026-02-09", "2026-02-16", "2026-02-23", "2026-08-03"]))
    share = forecast.spring_festival_share(weeks)
    assert share[0] == 0 and share[1] == 1 and share[2] == pytest.approx(1 / 7) and share[3] == 0
