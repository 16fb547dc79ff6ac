"""Closure KPIs from the integer counts the store sums in SQL.

The store returns only integer sums, so both backends agree to the last digit;
ratios are taken here, once. An appeal belongs to a window by its 受理 time.
"""

from __future__ import annotations

from dataclasses import dataclass

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
