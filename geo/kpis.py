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


#: An appeal's stage times, 受理 → 办结 (the columns a workflow event stamps).
STAGE_TIMES = ("accepted_at", "dispatched_at", "in_progress_at", "feedback_at", "visited_at", "closed_at")


def derive_appeal_fields(frame: pd.DataFrame) -> None:
    """Adds the deadlines (from category and priority) and the KPI flags to new appeals, in place."""
    for column in STAGE_TIMES:
        frame[column] = _times(frame[column])
    hours = [domain.deadline_hours(c, p) for c, p in zip(frame["category"], frame["priority"], strict=True)]
    response_h = np.array([h[0] for h in hours], dtype="int64")
    close_h = np.array([h[1] for h in hours], dtype="int64")
    frame["response_deadline"] = frame["accepted_at"] + pd.to_timedelta(response_h, unit="h")
    frame["deadline"] = frame["accepted_at"] + pd.to_timedelta(close_h, unit="h")
    for column, values in kpi_flags(frame).items():
        frame[column] = values


def kpi_flags(frame: pd.DataFrame) -> pd.DataFrame:
    """The flags the KPI sums count, from stage times and deadlines (times to the second).

    ``responded_on_time``: dispatched by the response deadline; ``closed_on_time``:
    closed by the closure deadline; ``close_seconds``: 受理 to 办结, empty while open.
    """
    t = {c: _times(frame[c]) for c in ("accepted_at", "dispatched_at", "closed_at", "response_deadline", "deadline")}
    return pd.DataFrame(
        {
            "responded_on_time": (t["dispatched_at"].notna() & (t["dispatched_at"] <= t["response_deadline"])).astype("int16"),
            "closed_on_time": (t["closed_at"].notna() & (t["closed_at"] <= t["deadline"])).astype("int16"),
            "close_seconds": (t["closed_at"] - t["accepted_at"]).dt.total_seconds().round().astype("Int64"),
        },
        index=frame.index,
    )


def appeal_kpi_flags(appeal: dict) -> dict:
    """:func:`kpi_flags` of one appeal (a mapping of its columns), as plain Python values for an UPDATE."""
    flags = kpi_flags(pd.DataFrame([appeal])).iloc[0]
    seconds = flags["close_seconds"]
    return {"responded_on_time": int(flags["responded_on_time"]), "closed_on_time": int(flags["closed_on_time"]),
            "close_seconds": None if pd.isna(seconds) else int(seconds)}


def _times(values) -> pd.Series:
    return pd.to_datetime(values, utc=True).dt.floor("s")
