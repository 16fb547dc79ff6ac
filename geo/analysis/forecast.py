"""Seasonal forecasts of weekly appeal counts per street and category, with 80% and 95% intervals.

Weeks are local (Asia/Shanghai) weeks starting Monday, named by the Monday's date. Most series
are small counts (0–3 a week) and several are sharply seasonal (heating jumps on Nov 15), so the
default model is a negative-binomial GLM whose seasonality comes from the category's own history
pooled over all streets (one street's 0–3 a week is too noisy to learn a season from), and whose
intervals are quantiles of the predictive count distribution rather than Normal bands.

Models (the ``model`` argument; ``python -m tests.benchmarks.bench_forecast`` measures them):

- ``nb_glm``: log mean = level + trend + b·log(seasonal index) + Spring Festival share of the
  week. The seasonal index of a week is the pooled category's detrended count in the same week
  of the other years, so a step such as Nov 15 stays a step.
- ``nb_glm_fourier``: the same GLM with 4 Fourier harmonics of the day of year instead of the index.
- ``ets``: additive Holt-Winters (statsmodels ``ETSModel``, 52-week season), Normal intervals.
- ``seasonal_naive``: last year's same week; intervals from the quantiles of last-year errors.

Every row says in ``method`` what actually produced it: a short history (under
:data:`MIN_SEASONAL_WEEKS`) or a failed fit falls back to a recent-level negative binomial
(``nb_level``), a series that never had an appeal gives zeros (``zero_history``).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
from scipy import stats

from geo.domain import DISTRICT_CODE, LOCAL_TZ

MODELS = ("nb_glm", "nb_glm_fourier", "ets", "seasonal_naive")
DEFAULT_MODEL = "nb_glm"
#: What each ``method`` is called where people read it (the 未诉先办 list, the forecast chart).
METHOD_LABELS = {
    "nb_glm": "负二项回归，季节指数",
    "nb_glm_fourier": "负二项回归，傅里叶季节项",
    "ets": "季节指数平滑",
    "seasonal_naive": "季节朴素法，去年同周",
    "nb_level": "负二项近期水平",
    "zero_history": "无历史诉求",
}
#: Weeks per year; lags to "the same week k years ago" are round(k · this).
WEEKS_PER_YEAR = 365.2425 / 7
#: A seasonal model needs a full year before the forecast weeks plus a few weeks to fit a level.
MIN_SEASONAL_WEEKS = 60
#: Holt-Winters' heuristic start needs two full seasons.
MIN_ETS_WEEKS = 104
#: The GLMs fit the last three years: older weeks say little about this year's level.
FIT_WEEKS = 156
#: The fallback's "recent level" is the mean of this many weeks.
LEVEL_WEEKS = 13
#: Harmonics of the Fourier variant.
FOURIER_HARMONICS = 4
#: Lunar New Year's Day; the holiday (and its dip in appeals) runs from the eve to day 6.
SPRING_FESTIVAL = {
    2022: "2022-02-01", 2023: "2023-01-22", 2024: "2024-02-10", 2025: "2025-01-29", 2026: "2026-02-17",
    2027: "2027-02-06", 2028: "2028-01-26", 2029: "2029-02-13", 2030: "2030-02-03",
}
OUTPUT_COLUMNS = ["street_code", "category", "week", "horizon", "mean", "lo80", "hi80", "lo95", "hi95", "method"]
KEYS = ["street_code", "category"]


@dataclass(frozen=True)
class SeriesForecast:
    """Predictive mean and interval bounds of one series for h = 1..horizon."""

    mean: np.ndarray
    lo80: np.ndarray
    hi80: np.ndarray
    lo95: np.ndarray
    hi95: np.ndarray
    method: str


# --------------------------------------------------------------------------- weeks and input


def week_start(day: date) -> date:
    """The Monday of ``day``'s week: weeks are named by their Monday."""
    return day - timedelta(days=day.weekday())


def weekly_counts(appeals: pd.DataFrame, start: pd.Timestamp | None = None,
                  end: pd.Timestamp | None = None) -> pd.DataFrame:
    """Appeals (``accepted_at``, ``street_code``, ``category``) → counts per local week.

    Only complete weeks of [start, end) are kept (defaults: the first and last appeal): a
    partial week would read as a sudden fall.
    """
    local = pd.to_datetime(appeals["accepted_at"], utc=True).dt.tz_convert(LOCAL_TZ)
    day = local.dt.tz_localize(None).dt.normalize()
    monday = day - pd.to_timedelta(day.dt.day_of_week, unit="D")
    frame = pd.DataFrame({"street_code": appeals["street_code"].to_numpy(), "category": appeals["category"].to_numpy(),
                          "week": monday.to_numpy()})
    last = (pd.Timestamp(end) if end is not None else local.max()).tz_convert(LOCAL_TZ).tz_localize(None)
    first = (pd.Timestamp(start) if start is not None else local.min()).tz_convert(LOCAL_TZ).tz_localize(None)
    frame = frame[(frame["week"] >= first) & (frame["week"] + pd.Timedelta(days=7) <= last)]
    out = frame.groupby([*KEYS, "week"]).size().rename("count").reset_index()
    out["week"] = out["week"].dt.date
    return out


def district_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """The district total per category and week, as series of their own (street_code = district)."""
    out = counts.groupby(["category", "week"], as_index=False)["count"].sum()
    return out.assign(street_code=DISTRICT_CODE)[[*KEYS, "week", "count"]]


def weekly_matrix(counts: pd.DataFrame) -> pd.DataFrame:
    """Series × weeks of counts, every Monday from the first to the last, missing weeks filled with 0."""
    weeks = pd.to_datetime(pd.Series(counts["week"]))
    if (weeks.dt.day_of_week != 0).any():
        raise ValueError("week must be the Monday of each week")
    frame = counts.assign(week=weeks.to_numpy())
    all_weeks = pd.date_range(weeks.min(), weeks.max(), freq="7D")
    wide = frame.pivot_table(index=KEYS, columns="week", values="count", aggfunc="sum", fill_value=0)
    return wide.reindex(columns=all_weeks, fill_value=0).astype(float)


def spring_festival_share(weeks: pd.DatetimeIndex) -> np.ndarray:
    """Share of each week's days in the Spring Festival holiday: its dip moves by up to four weeks a year."""
    days = weeks.to_numpy()[:, None] + np.arange(7).astype("m8[D]")
    holiday = np.zeros(days.shape, dtype=bool)
    for new_year in SPRING_FESTIVAL.values():
        first = np.datetime64(new_year, "D")
        holiday |= (days >= first - np.timedelta64(1, "D")) & (days <= first + np.timedelta64(6, "D"))
    return holiday.mean(axis=1)


# --------------------------------------------------------------------------- seasonal index


def year_lags(n_weeks: int) -> list[int]:
    """Lags in weeks to the same week 1, 2, … years away that fit in ``n_weeks``."""
    lags, k = [], 1
    while round(k * WEEKS_PER_YEAR) < n_weeks:
        lags.append(round(k * WEEKS_PER_YEAR))
        k += 1
    return lags


def log_seasonal_index(pooled: np.ndarray, holiday: np.ndarray, n_total: int) -> np.ndarray:
    """Log seasonal index of weeks 0..n_total-1, learnt from ``pooled`` (the observed weeks only).

    Each week's index is the detrended pooled count of the same week (weights 1-2-1 with its
    neighbours) in the *other* years: leaving the week's own year out keeps its own noise out of
    its regressor, so the fit's dispersion is not understated. Spring Festival weeks are left
    out of the index (a regressor of their own handles them).
    """
    n = len(pooled)
    level = pd.Series(pooled).rolling(53, center=True, min_periods=26).mean().bfill().ffill().to_numpy()
    ratio = (pooled + 0.5) / (level + 0.5)
    ratio[holiday[:n] > 0] = np.nan
    total = np.zeros(n_total)
    weight = np.zeros(n_total)
    target = np.arange(n_total)
    for lag in year_lags(max(n, n_total)):
        for sign in (-1, 1):
            for shift, w in ((-1, 1.0), (0, 2.0), (1, 1.0)):
                source = target + sign * lag + shift
                ok = (source >= 0) & (source < n)
                values = np.where(ok, ratio[np.clip(source, 0, n - 1)], np.nan)
                good = ~np.isnan(values)
                total[good] += w * values[good]
                weight[good] += w
    index = np.where(weight > 0, total / np.maximum(weight, 1e-12), 1.0)
    return np.log(index)


def fourier_terms(weeks: pd.DatetimeIndex, harmonics: int) -> np.ndarray:
    """Sine and cosine of the day of year of each week's Thursday (its middle)."""
    middle = weeks + pd.Timedelta(days=3)
    phase = 2 * np.pi * (middle.day_of_year.to_numpy() - 1) / 365.25
    return np.column_stack([f(k * phase) for k in range(1, harmonics + 1) for f in (np.sin, np.cos)])


# --------------------------------------------------------------------------- count distribution


def nb_quantiles(mean: np.ndarray, alpha: np.ndarray, q: float) -> np.ndarray:
    """Quantile q of a negative binomial with Var = mean + alpha·mean² (Poisson when alpha is ~0)."""
    mean = np.maximum(mean, 1e-9)
    alpha = np.maximum(alpha, 1e-8)
    size = 1.0 / alpha
    return stats.nbinom.ppf(q, size, size / (size + mean))


def count_intervals(mean: np.ndarray, alpha: np.ndarray, method: str) -> SeriesForecast:
    """Integer intervals from the predictive count distribution, widened to contain the mean.

    For a very small mean the 90% quantile can be 0 while the mean is 0.05; the bound is then
    raised to ceil(mean) so lo95 ≤ lo80 ≤ mean ≤ hi80 ≤ hi95 always holds (only ever wider).
    """
    bounds = {q: nb_quantiles(mean, alpha, q) for q in (0.025, 0.1, 0.9, 0.975)}
    lo80 = np.minimum(bounds[0.1], np.floor(mean))
    hi80 = np.maximum(bounds[0.9], np.ceil(mean))
    lo95 = np.minimum(bounds[0.025], lo80)
    hi95 = np.maximum(bounds[0.975], hi80)
    return SeriesForecast(mean, lo80, hi80, lo95, hi95, method)


def moment_alpha(y: np.ndarray, mu: np.ndarray, n_params: int) -> float:
    """NB2 dispersion by moments, Var = μ + α μ²: cheap, and it never fails to converge."""
    n = len(y)
    excess = ((y - mu) ** 2 - y).sum() * n / max(n - n_params, 1)
    return float(max(excess / max((mu**2).sum(), 1e-9), 0.0))


# --------------------------------------------------------------------------- models


def level_forecast(y: np.ndarray, horizon: int, method: str = "nb_level") -> SeriesForecast:
    """Recent mean as a flat forecast with NB intervals: the fallback when a season cannot be learnt."""
    recent = y[-LEVEL_WEEKS:]
    if recent.sum() == 0:
        zero = np.zeros(horizon)
        return SeriesForecast(zero, zero, zero, zero, zero, "zero_history" if y.sum() == 0 else method)
    mu = recent.mean()
    # The mean's own uncertainty (relative variance 1/Σy) widens the predictive distribution.
    alpha = moment_alpha(recent, np.full(len(recent), mu), 1) + 1.0 / recent.sum()
    return count_intervals(np.full(horizon, mu), np.full(horizon, alpha), method)


def glm_forecast(y: np.ndarray, design: np.ndarray, horizon: int, method: str) -> SeriesForecast | None:
    """Negative-binomial GLM on the first len(y) rows of ``design``, predicting the next ``horizon``.

    The dispersion is estimated by moments from a Poisson fit and the NB GLM refit with it; the
    predictive α adds the linear predictor's variance, so parameter uncertainty widens the
    intervals. Returns None when the fit fails or extrapolates wildly, so the caller falls back.
    """
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    x_fit, x_new = design[: len(y)], design[len(y): len(y) + horizon]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            poisson = sm.GLM(y, x_fit, family=sm.families.Poisson()).fit()
            alpha = moment_alpha(y, poisson.fittedvalues, x_fit.shape[1])
            family = sm.families.NegativeBinomial(alpha=max(alpha, 1e-8))
            fit = sm.GLM(y, x_fit, family=family).fit(start_params=poisson.params)
        except (ValueError, np.linalg.LinAlgError, FloatingPointError):
            return None
        if not fit.converged or not np.all(np.isfinite(fit.params)):
            return None
        eta = x_new @ fit.params
        eta_var = np.einsum("ij,jk,ik->i", x_new, fit.cov_params(), x_new)
    mu = np.exp(eta)
    if not np.all(np.isfinite(mu)) or not np.all(np.isfinite(eta_var)) or mu.max() > 3 * y.max() + 10:
        return None
    return count_intervals(mu, np.full(horizon, alpha) + eta_var, method)


def ets_forecast(y: np.ndarray, horizon: int) -> SeriesForecast | None:
    """Additive Holt-Winters with a 52-week season and Normal intervals (the baseline)."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fit = ETSModel(pd.Series(y), error="add", seasonal="add", seasonal_periods=52,
                           initialization_method="heuristic").fit(disp=False)
            frames = {a: fit.get_prediction(start=len(y), end=len(y) + horizon - 1).summary_frame(alpha=a)
                      for a in (0.2, 0.05)}
        except (ValueError, np.linalg.LinAlgError, FloatingPointError):
            return None
    mean = frames[0.2]["mean"].to_numpy()
    if not np.all(np.isfinite(mean)):
        return None
    clip = np.maximum  # counts are never negative
    return SeriesForecast(clip(mean, 0), clip(frames[0.2]["pi_lower"].to_numpy(), 0),
                          clip(frames[0.2]["pi_upper"].to_numpy(), 0), clip(frames[0.05]["pi_lower"].to_numpy(), 0),
                          clip(frames[0.05]["pi_upper"].to_numpy(), 0), "ets")


def seasonal_naive_forecast(y: np.ndarray, horizon: int) -> SeriesForecast:
    """Last year's same week; intervals from the quantiles of the in-sample year-on-year errors."""
    lag = 52
    if len(y) < lag + 8:
        return level_forecast(y, horizon)
    mean = y[len(y) - lag + np.arange(horizon)]
    errors = y[lag:] - y[:-lag]
    q = np.quantile(errors, [0.025, 0.1, 0.9, 0.975])
    bounds = [np.clip(mean + v, 0, None) for v in q]
    return SeriesForecast(mean, np.minimum(np.floor(bounds[1]), mean), np.maximum(np.ceil(bounds[2]), mean),
                          np.minimum(np.floor(bounds[0]), mean), np.maximum(np.ceil(bounds[3]), mean),
                          "seasonal_naive")


def forecast_group(matrix: np.ndarray, weeks: pd.DatetimeIndex, horizon: int, model: str) -> list[SeriesForecast]:
    """Forecasts for the series of one category (rows of ``matrix``), which share a seasonal index."""
    n = matrix.shape[1]
    future = weeks.append(pd.date_range(weeks[-1] + pd.Timedelta(days=7), periods=horizon, freq="7D"))
    holiday = spring_festival_share(future)
    start = max(0, n - FIT_WEEKS)
    trend = (np.arange(n + horizon) - (n - 1)) / WEEKS_PER_YEAR
    if model == "nb_glm":
        seasonal = log_seasonal_index(matrix.sum(axis=0), holiday, n + horizon)[:, None]
    else:
        seasonal = fourier_terms(future, FOURIER_HARMONICS)
    design = np.column_stack([np.ones(n + horizon), trend, seasonal, holiday])[start:]
    out = []
    for y in matrix:
        fitted: SeriesForecast | None = None
        if y[start:].sum() == 0 or n < MIN_SEASONAL_WEEKS:
            fitted = level_forecast(y, horizon)
        elif model == "seasonal_naive":
            fitted = seasonal_naive_forecast(y, horizon)
        elif model == "ets":
            fitted = ets_forecast(y[start:], horizon) if n >= MIN_ETS_WEEKS else None
            fitted = fitted or seasonal_naive_forecast(y, horizon)
        else:
            # A column that is constant in the fit window (no holiday in it) would make the design singular.
            used = np.ptp(design[: n - start], axis=0) > 0
            used[0] = True
            fitted = glm_forecast(y[start:], design[:, used], horizon, model)
            fitted = fitted or level_forecast(y, horizon)
        out.append(fitted)
    return out


def forecast(counts: pd.DataFrame, horizon: int = 4, *, model: str = DEFAULT_MODEL) -> pd.DataFrame:
    """Forecast each (street_code, category) series for the ``horizon`` weeks after its last week.

    Args:
        counts: Columns street_code, category, week (the Monday, a date), count; weeks without a
            row count as 0. The last week present is taken as the last complete week.
        horizon: Weeks ahead.
        model: One of :data:`MODELS`.

    Returns:
        One row per series and week ahead: street_code, category, week, horizon, mean, lo80,
        hi80, lo95, hi95 (counts; the bounds are integers for the count models), method.
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}")
    if horizon < 1:
        raise ValueError("horizon must be >= 1")
    if counts.empty:
        return pd.DataFrame(columns=OUTPUT_COLUMNS)
    wide = weekly_matrix(counts)
    weeks = pd.DatetimeIndex(wide.columns)
    ahead = [(weeks[-1] + pd.Timedelta(days=7 * h)).date() for h in range(1, horizon + 1)]
    rows = []
    for category, block in wide.groupby(level="category", sort=True):
        results = forecast_group(block.to_numpy(), weeks, horizon, model)
        for (street_code, _), result in zip(block.index, results, strict=True):
            rows.append(pd.DataFrame({
                "street_code": street_code, "category": category, "week": ahead, "horizon": np.arange(1, horizon + 1),
                "mean": result.mean, "lo80": result.lo80, "hi80": result.hi80, "lo95": result.lo95,
                "hi95": result.hi95, "method": result.method,
            }))
    return pd.concat(rows, ignore_index=True)[OUTPUT_COLUMNS]


def forecast_district(counts: pd.DataFrame, horizon: int = 4, *, model: str = DEFAULT_MODEL) -> pd.DataFrame:
    """Forecast of the district total per category (street_code is the district's code)."""
    return forecast(district_counts(counts), horizon, model=model)


# --------------------------------------------------------------------------- backtest


def seasonal_naive_scale(matrix: np.ndarray) -> np.ndarray:
    """Per series, the in-sample MAE of last year's same week (52-week lag): the MASE denominator.

    Falls back to the one-week naive MAE when there is less than a year and a bit of history.
    """
    lag = 52 if matrix.shape[1] > 52 + 8 else 1
    return np.abs(matrix[:, lag:] - matrix[:, :-lag]).mean(axis=1)


def summarize(frame: pd.DataFrame) -> dict:
    """MASE, WAPE, MAPE (actual > 0) and interval coverage of forecast rows joined with actuals."""
    scaled = frame[frame["scale"] > 0]
    error = (frame["mean"] - frame["actual"]).abs()
    positive = frame["actual"] > 0
    inside80 = (frame["actual"] >= frame["lo80"]) & (frame["actual"] <= frame["hi80"])
    inside95 = (frame["actual"] >= frame["lo95"]) & (frame["actual"] <= frame["hi95"])
    return {
        "n": len(frame),
        "mase": float(((scaled["mean"] - scaled["actual"]).abs() / scaled["scale"]).mean()),
        "wape": float(error.sum() / max(frame["actual"].sum(), 1e-9)),
        "mape": float((error[positive] / frame.loc[positive, "actual"]).mean()),
        "coverage80": float(inside80.mean()),
        "coverage95": float(inside95.mean()),
        "width80": float((frame["hi80"] - frame["lo80"]).mean()),
        "width95": float((frame["hi95"] - frame["lo95"]).mean()),
    }


def backtest(counts: pd.DataFrame, origins: Iterable[date], horizon: int = 4, *,
             models: Sequence[str] = (DEFAULT_MODEL,)) -> dict:
    """Rolling-origin evaluation: fit on the weeks up to each origin, forecast 1..horizon, compare.

    Returns, per model: ``overall`` and ``by_horizon`` (h → figures) of :func:`summarize`,
    ``by_size`` (actual weekly mean of the series under 5 vs. 5 and up), ``methods`` (rows per
    method actually used) and ``seconds`` (fitting time). MASE is scaled per series and origin by
    the in-sample seasonal-naive MAE; WAPE is Σ|error| / Σ actual, the headline accuracy because
    MAPE is undefined at 0 and explodes at 1, which is most weeks of most series here.
    """
    wide = weekly_matrix(counts)
    weeks = pd.DatetimeIndex(wide.columns)
    position = {w.date(): i for i, w in enumerate(weeks)}
    result: dict = {"origins": [], "horizon": horizon,
                    "scale": "in-sample seasonal-naive MAE (52-week lag) of the fit window, per series and origin"}
    frames: dict[str, list[pd.DataFrame]] = {m: [] for m in models}
    seconds = dict.fromkeys(models, 0.0)
    long_mean = wide.mean(axis=1)
    for origin in origins:
        end = position.get(origin)
        if end is None or end + 1 >= len(weeks):
            continue
        result["origins"].append(origin)
        history = wide.iloc[:, : end + 1]
        history_counts = history.stack().rename("count").reset_index().rename(columns={"level_2": "week"})
        history_counts["week"] = pd.DatetimeIndex(history_counts["week"]).date
        scale = pd.Series(seasonal_naive_scale(history.to_numpy()), index=history.index, name="scale")
        actual = wide.iloc[:, end + 1: end + 1 + horizon].stack().rename("actual").reset_index()
        actual.columns = [*KEYS, "week", "actual"]
        actual["week"] = pd.DatetimeIndex(actual["week"]).date
        for m in models:
            began = time.perf_counter()
            predicted = forecast(history_counts, horizon, model=m)
            seconds[m] += time.perf_counter() - began
            joined = predicted.merge(actual, on=[*KEYS, "week"]).join(scale, on=KEYS)
            frames[m].append(joined.join(long_mean.rename("series_mean"), on=KEYS))
    for m in models:
        if not frames[m]:
            continue
        frame = pd.concat(frames[m], ignore_index=True)
        small = frame["series_mean"] < 5
        result[m] = {
            "overall": summarize(frame),
            "by_horizon": {int(h): summarize(g) for h, g in frame.groupby("horizon")},
            "by_size": {label: summarize(part) for label, part in
                        (("mean < 5 a week", frame[small]), ("mean >= 5 a week", frame[~small])) if len(part)},
            "methods": frame["method"].value_counts().to_dict(),
            "seconds": seconds[m],
        }
    return result
