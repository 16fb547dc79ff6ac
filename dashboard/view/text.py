"""How numbers and times read, on every surface: cards, the wall, the briefing, the workbook.

One formatting per thing, so the screen, the PDF and the XLSX can never print
the same KPI two ways.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from geo.domain import LOCAL_TZ
from geo.kpis import KPI_LABELS
from geo.scope import Window

#: KPIs where a rise is bad news.
LOWER_IS_BETTER = {"overdue_open", "mean_hours_to_close"}
#: Counts whose rise is neither good nor bad.
NEUTRAL = {"accepted"}
#: A closure rate below this is highlighted as needing attention (rankings on the page and the wall).
LOW_CLOSURE_RATE = 0.9


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def format_kpi(key: str, kpi: dict) -> str:
    """A KPI value as the card shows it: shares as percentages, counts with separators."""
    value = kpi["value"]
    if value is None:
        return "—"
    unit = KPI_LABELS[key][1]
    if unit == "%":
        return f"{value * 100:.1f}"
    if unit == "小时":
        return f"{value:.1f}"
    return f"{value:,}"


def kpi_delta(key: str, now: dict, before: dict) -> tuple[str, str]:
    """(text, css class) comparing with the previous window of equal length."""
    a, b = now["value"], before["value"]
    if a is None or b is None:
        return "较上期 —", ""
    unit = KPI_LABELS[key][1]
    diff = a - b
    if unit == "%":
        text = f"{abs(diff) * 100:.1f} 个百分点"
    elif b:
        text = f"{abs(diff) / b * 100:.1f}%"
    else:
        text = f"{abs(diff):,.1f}" if isinstance(diff, float) else f"{abs(diff):,}"
    if abs(diff) < 1e-9:
        return "较上期 持平", "flat"
    arrow = "↑" if diff > 0 else "↓"
    if key in NEUTRAL:
        return f"较上期 {arrow} {text}", "up" if diff > 0 else "down"
    good = (diff > 0) != (key in LOWER_IS_BETTER)
    return f"较上期 {arrow} {text}", ("up" if diff > 0 else "down") + ("-good" if good else "-bad")


def low_closure_rate(rate: float | None) -> bool:
    """Whether a closure rate needs attention; no appeals (None) is not a low rate, 0% is."""
    return rate is not None and rate < LOW_CLOSURE_RATE


def window_text(window: Window) -> str:
    """The window as people say it: both ends inclusive."""
    last = max(window.end - timedelta(days=1), window.start)
    return f"{window.start.isoformat()} 至 {last.isoformat()}"


def ticker_time(when: datetime) -> str:
    """A ticker row's time: "MM-DD HH:MM" on Beijing time."""
    return when.astimezone(LOCAL_TZ).strftime("%m-%d %H:%M")


def minute_text(iso: str) -> str:
    """An ISO time (already local) as "YYYY-MM-DD HH:MM"."""
    return iso[:16].replace("T", " ")


def as_of_text(iso: str) -> str:
    """The footer's "数据截至 YYYY-MM-DD HH:MM"."""
    return f"数据截至 {minute_text(iso)}"


def as_of_clock_text(iso: str) -> str:
    """The wall's "数据截至 HH:MM" (its clock shows the date)."""
    return f"数据截至 {minute_text(iso)[11:]}"
