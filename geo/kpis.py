"""Closure KPIs: the per-appeal flags the store keeps, and the KPIs from the sums it counts in SQL.

The store returns only integer sums, so both backends agree to the last digit;
ratios are taken here, once. An appeal belongs to a window by its 受理 time.
The flags (answered in time, closed in time, seconds to close) are derived here
too, for every write path: bulk loads, ingest and workflow events.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo import domain

#: KPI keys in display order, with their Chinese labels and units.
KPI_LABELS: dict[str, tuple[str, str]] = {
    "accepted": ("受理量", "件"),
    "closed": ("办结量", "件"),
    "closure_rate": ("办结率", "%"),
    "on_time_rate": ("按期办结率", "%"),
    "response_rate": ("响应率", "%"),
    "resolution_rate": ("解决率", "%"),
    "satisfaction_rate": ("满意率", "%"),
    "overdue_open": ("超期未办结", "件"),
    "mean_hours_to_close": ("平均办结时长", "小时"),
}

#: The sums the store computes for a set of appeals (see Store.kpi_counts).
COUNT_NAMES = (
    "accepted",
    "closed",
    "closed_on_time",
    "overdue_open",
    "responded_on_time",
    "visited",
    "resolved",
    "rated",
    "satisfied",
    "close_seconds",
)


@dataclass(frozen=True)
class Kpi:
    value: float | int | None
    numerator: float | int
    denominator: float | int | None

    def as_dict(self) -> dict:
        return {"value": self.value, "numerator": self.numerator, "denominator": self.denominator}


def _count(n: int) -> Kpi:
    return Kpi(n, n, None)


def _ratio(numerator: int, denominator: int) -> Kpi:
    """A share in [0, 1], rounded to 4 places; None when there is nothing to divide."""
    value = round(numerator / denominator, 4) if denominator else None
    return Kpi(value, numerator, denominator)


def compute(counts: dict[str, int]) -> dict[str, Kpi]:
    """KPIs from the store's sums; every KPI carries its numerator and denominator."""
    c = {name: int(counts.get(name) or 0) for name in COUNT_NAMES}
    hours = round(c["close_seconds"] / 3600, 2)
    return {
        "accepted": _count(c["accepted"]),
        "closed": _count(c["closed"]),
        "closure_rate": _ratio(c["closed"], c["accepted"]),
        "on_time_rate": _ratio(c["closed_on_time"], c["closed"] + c["overdue_open"]),
        "response_rate": _ratio(c["responded_on_time"], c["accepted"]),
        "resolution_rate": _ratio(c["resolved"], c["visited"]),
        "satisfaction_rate": _ratio(c["satisfied"], c["rated"]),
        "overdue_open": _count(c["overdue_open"]),
        "mean_hours_to_close": Kpi(
            round(c["close_seconds"] / 3600 / c["closed"], 2) if c["closed"] else None, hours, c["closed"]
        ),
    }


def as_json(kpis: dict[str, Kpi]) -> dict[str, dict]:
    return {key: kpi.as_dict() for key, kpi in kpis.items()}


#: Satisfaction answers that count as satisfied (满意率's numerator).
SATISFIED = ("satisfied", "basically_satisfied")

#: An appeal's stage times, 受理 → 办结 (the columns a workflow event stamps).
STAGE_TIMES = ("accepted_at", "dispatched_at", "in_progress_at", "feedback_at", "visited_at", "closed_at")
ONE_SECOND = pd.Timedelta(seconds=1)


def derive_appeal_fields(frame: pd.DataFrame) -> None:
    """Adds the deadlines (from category and priority) and the KPI flags to new appeals, in place."""
    for column in STAGE_TIMES:
        frame[column] = pd.to_datetime(frame[column], utc=True).dt.floor("s")
    hours = [domain.deadline_hours(c, p) for c, p in zip(frame["category"], frame["priority"], strict=True)]
    response_h = np.array([h[0] for h in hours], dtype="int64")
    close_h = np.array([h[1] for h in hours], dtype="int64")
    frame["response_deadline"] = frame["accepted_at"] + pd.to_timedelta(response_h, unit="h")
    frame["deadline"] = frame["accepted_at"] + pd.to_timedelta(close_h, unit="h")
    responded, closed, seconds = kpi_flags(frame["accepted_at"], frame["dispatched_at"], frame["closed_at"],
                                           frame["response_deadline"], frame["deadline"])
    frame["responded_on_time"] = responded.astype("int16")
    frame["closed_on_time"] = closed.astype("int16")
    frame["close_seconds"] = seconds.astype("Int64")
    frame["settled_at"], frame["settle_class"] = settling(*(frame[c] for c in SETTLE_INPUTS))


def derive_appeal_record(record: dict) -> dict:
    """:func:`derive_appeal_fields` for one new appeal (a mapping of its columns), as the row to insert: the
    ingest path writes appeals one statement at a time, without a frame."""
    row = dict(record)
    for column in STAGE_TIMES:
        value = row.get(column)
        row[column] = None if value is None else pd.Timestamp(value).floor("s").to_pydatetime()
    response_h, close_h = domain.deadline_hours(row["category"], row["priority"])
    row["response_deadline"] = row["accepted_at"] + pd.Timedelta(hours=response_h).to_pytimedelta()
    row["deadline"] = row["accepted_at"] + pd.Timedelta(hours=close_h).to_pytimedelta()
    return {**row, **appeal_kpi_flags(row)}


def kpi_flags(accepted_at, dispatched_at, closed_at, response_deadline, deadline):
    """(answered in time, closed in time, seconds from 受理 to 办结 or NaN while open): the one rule.

    Takes one appeal's times (aware datetimes or None, as a workflow event has them) or whole
    columns (Series, as a bulk write has them); the same operators serve both, so the rule is
    written once. Times count to the second.
    """
    a, d, c, rd, dl = (_instant(t) for t in (accepted_at, dispatched_at, closed_at, response_deadline, deadline))
    responded = pd.notna(d) & (d <= rd)
    closed = pd.notna(c) & (c <= dl)
    return responded, closed, np.round((c - a) / ONE_SECOND)


def appeal_kpi_flags(appeal) -> dict:
    """:func:`kpi_flags` and the settling time of one appeal (a mapping of its columns), as column values."""
    responded, closed, seconds = kpi_flags(*(appeal[c] for c in ("accepted_at", "dispatched_at", "closed_at",
                                                                  "response_deadline", "deadline")))
    flags = {"responded_on_time": int(responded), "closed_on_time": int(closed),
             "close_seconds": None if pd.isna(seconds) else int(seconds), "settled_at": None, "settle_class": None}
    if appeal.get("closed_at") is None:  # open, so not settled (settling's rule): no frames for a live appeal
        return flags
    settled, klass = settling(*(pd.Series([appeal.get(c)], dtype="datetime64[ns, UTC]") for c in SETTLE_INPUTS))
    return {**flags, "settled_at": None if pd.isna(settled[0]) else settled[0].to_pydatetime(),
            "settle_class": None if pd.isna(klass[0]) else int(klass[0])}


#: An appeal is *settled* once it is closed: its KPI contributions stop changing at its last stage time
#: (派单, 回访 or 办结), unless it is reopened. Settled appeals are summed in the rollups; to answer a past
#: as_of exactly, the store finds those still in flight then by their settling class: class k holds the
#: appeals that took at most 2**k days from 受理 to settling (the last class, any longer).
SETTLE_CLASS_DAYS = tuple(2**k for k in range(13))


SETTLE_INPUTS = ("accepted_at", "dispatched_at", "visited_at", "closed_at")


def settling(accepted_at: pd.Series, dispatched_at: pd.Series, visited_at: pd.Series,
             closed_at: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(settled at, settling class) of each appeal: its last stage time and the smallest k with at most
    ``SETTLE_CLASS_DAYS[k]`` days from 受理 to it (``len(SETTLE_CLASS_DAYS)`` if longer); NaT and <NA> while open."""
    settled = pd.concat([dispatched_at, visited_at, closed_at], axis=1).max(axis=1).where(closed_at.notna())
    days = ((settled - accepted_at) / pd.Timedelta(days=1)).to_numpy(dtype=float, na_value=np.nan)
    klass = pd.Series(np.searchsorted(SETTLE_CLASS_DAYS, days, side="left"), index=settled.index, dtype="Int64")
    return settled, klass.where(settled.notna())


def _instant(value):
    """Series stay as they are (already to the second); one time becomes a Timestamp to the second, or NaT."""
    if isinstance(value, pd.Series):
        return value
    return pd.NaT if value is None else pd.Timestamp(value).floor("s")
