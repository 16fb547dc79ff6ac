"""The calendar: how many appeals each local day gets, and which categories the season favours.

Weekdays, public holidays, Spring Festival, summer storms and the heating
season are all decided per day up front, before any single appeal is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.demo.sampling import rng_for
from geo.demo.tables import (
    CATEGORY_CODES,
    DAY_S,
    HOUR_S,
    HOURLY,
    LOCAL_OFFSET_S,
    MONTH_VOLUME,
    SOURCE_CODES,
    SOURCE_SHARE,
    SPRING_FESTIVAL,
    STORMS_PER_YEAR,
    TAG_PLAN,
    TAG_STORMS,
    index,
)


@dataclass(frozen=True)
class Plan:
    """Everything decided per local day before any appeal is drawn."""

    days: np.ndarray  # datetime64[D], local dates
    ordinal: np.ndarray  # days since 1970-01-01 of each local date
    midnight_s: np.ndarray  # epoch seconds of local midnight
    h0: np.ndarray  # covered local hours [h0, h1) of each day
    h1: np.ndarray
    month: np.ndarray
    rest: np.ndarray  # weekend or public holiday
    holiday: np.ndarray  # scenic-area peak days
    storm: np.ndarray
    source_weight: np.ndarray  # (D, S) relative appeals per source
    counts: np.ndarray


def hour_cdf() -> np.ndarray:
    """(S, 25) cumulative share of each source's appeals by local hour."""
    prof = dict(HOURLY)
    p = np.array([prof[s] for s in SOURCE_CODES], dtype=float)
    cdf = np.concatenate([np.zeros((len(p), 1)), np.cumsum(p, axis=1)], axis=1)
    return cdf / cdf[:, -1:]


def _calendar(days: np.ndarray, seed: int) -> tuple[np.ndarray, ...]:
    """Rest days, holiday peaks, Spring Festival and storm days for local dates."""
    ymd = pd.DatetimeIndex(days)
    year = ymd.year.to_numpy()
    month = ymd.month.to_numpy()
    dom = ymd.day.to_numpy()
    weekend = ymd.day_of_week.to_numpy() >= 5
    sf_dates = dict(SPRING_FESTIVAL)
    sf = np.zeros(len(days), dtype=bool)
    storm = np.zeros(len(days), dtype=bool)
    for y in np.unique(year):
        new_year = np.datetime64(sf_dates.get(int(y), f"{int(y)}-02-05"), "D")
        sf |= (days >= new_year - 1) & (days <= new_year + 6)
        season = np.arange(np.datetime64(f"{int(y)}-06-20"), np.datetime64(f"{int(y)}-09-10"))
        picked = rng_for(seed, TAG_STORMS, int(y)).choice(season, size=STORMS_PER_YEAR, replace=False)
        storm |= np.isin(days, picked)
    may_day = (month == 5) & (dom <= 5)
    national = (month == 10) & (dom <= 7)
    qingming = (month == 4) & (dom >= 4) & (dom <= 6)
    new_year_day = (month == 1) & (dom == 1)
    holiday = sf | may_day | national
    rest = weekend | holiday | qingming | new_year_day
    return month, dom, rest, holiday, sf, storm


def plan_days(start_s: float, end_s: float, n: int, seed: int) -> Plan:
    """Split n appeals over local days by weekday, season, holiday and storm."""
    first = np.datetime64(int((start_s + LOCAL_OFFSET_S) // DAY_S), "D")
    last = np.datetime64(int((np.ceil(end_s) - 1 + LOCAL_OFFSET_S) // DAY_S), "D")
    days = np.arange(first, last + 1)
    ordinal = days.astype(np.int64)
    midnight = ordinal * DAY_S - LOCAL_OFFSET_S
    h0 = np.clip((start_s - midnight) / HOUR_S, 0, 24)
    h1 = np.clip((end_s - midnight) / HOUR_S, 0, 24)
    month, _, rest, holiday, sf, storm = _calendar(days, seed)

    cdf = hour_cdf()
    hours = np.arange(25)
    cover = np.stack([np.interp(h1, hours, c) - np.interp(h0, hours, c) for c in cdf], axis=1)
    share = np.array([s for _, s, _ in SOURCE_SHARE])
    rest_factor = np.array([r for _, _, r in SOURCE_SHARE])
    src_order = [c for c, _, _ in SOURCE_SHARE]
    perm = [src_order.index(s) for s in SOURCE_CODES]
    share, rest_factor = share[perm], rest_factor[perm]
    rest_mix = np.where(rest[:, None], rest_factor[None, :], 1.0)
    # Scale so the published source mix holds on average once weekends thin some channels out.
    src_w = share[None, :] / rest_mix.mean(axis=0) * rest_mix * cover

    rng = rng_for(seed, TAG_PLAN)
    volume = np.array(MONTH_VOLUME)[month - 1] * np.where(sf, 0.6, 1.0) * np.where(storm, 1.35, 1.0)
    volume = volume * rng.gamma(40.0, 1 / 40.0, len(days))
    w = volume * src_w.sum(axis=1)
    counts = rng.multinomial(n, w / w.sum()) if w.sum() > 0 else np.zeros(len(days), dtype=np.int64)
    return Plan(days, ordinal, midnight, h0, h1, month, rest, holiday, storm, src_w, counts)


def heating_season(month: np.ndarray, dom: np.ndarray) -> np.ndarray:
    """Heating appeals by date: season Nov 15–Mar 31, loudest at its start."""
    f = np.full(month.shape, 0.01)
    f = np.where((month == 11) & (dom < 15), 0.3, f)
    f = np.where((month == 11) & (dom >= 15), 6.0, f)
    f = np.where(month == 12, 5.0, f)
    f = np.where(month == 1, 3.5, f)
    f = np.where(month == 2, 2.5, f)
    f = np.where(month == 3, 1.2, f)
    return np.where(month == 10, 0.05, f)


def category_factors(plan: Plan, sl: slice, has_scenic: bool) -> np.ndarray:
    """(D, 2, C) seasonal multipliers per day, for daytime (0) and evening (1)."""
    days = plan.days[sl]
    month = plan.month[sl]
    dom = pd.DatetimeIndex(days).day.to_numpy()
    rest = plan.rest[sl]
    holiday = plan.holiday[sl]
    storm = plan.storm[sl]
    d = len(days)
    ci = index(CATEGORY_CODES)
    f = np.ones((d, 2, len(CATEGORY_CODES)))
    summer = (month >= 6) & (month <= 8)
    shoulder = (month == 5) | (month == 9)
    winter = (month == 12) | (month <= 2)

    f[:, :, ci["heating"]] = heating_season(month, dom)[:, None]
    drain = np.select([(month == 7) | (month == 8), (month == 6) | (month == 9)], [4.0, 1.8], 0.5)
    f[:, :, ci["drainage"]] = (drain * np.where(storm, 8.0, 1.0))[:, None]
    f[:, 0, ci["noise"]] = np.where(summer, 1.2, 1.0)
    f[:, 1, ci["noise"]] = np.select([summer, shoulder], [2.5, 1.5], 1.0)
    f[:, 0, ci["street_vending"]] = np.select([summer, winter], [1.3, 0.6], 1.0)
    f[:, 1, ci["street_vending"]] = np.select([summer, winter], [2.5, 0.6], 1.0)
    scenic = np.select(
        [holiday, (month >= 7) & (month <= 8) & rest, (month >= 7) & (month <= 8),
         (month >= 4) & (month <= 10) & rest, winter],
        [6.0, 5.0, 2.0, 1.8, 0.4],
        1.0,
    )
    f[:, :, ci["scenic_area"]] = (scenic if has_scenic else np.zeros(d))[:, None]
    f[:, :, ci["greening"]] = np.where((month >= 3) & (month <= 5), 1.5, 1.0)[:, None]
    f[:, :, ci["power_gas"]] = np.where(winter | summer, 1.25, 1.0)[:, None]
    f[:, :, ci["education"]] = np.select([(month >= 6) & (month <= 8), month == 9], [1.6, 1.3], 1.0)[:, None]
    f[:, :, ci["wage_arrears"]] = np.where((month == 12) | (month == 1), 2.5, 1.0)[:, None]
    return f
