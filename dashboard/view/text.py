"""How numbers and times read, on every surface: cards, the wall, the briefing, the workbook.

One formatting per thing, so the screen, the PDF and the XLSX can never print
the same KPI two ways.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

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


def share(n: int, total: int) -> float | None:
    """A part's share of all appeals in the view (never of a top-N subtotal); None when there are none."""
    return n / total if total else None


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


#: How each comparison is named, and what it says when there is nothing to compare with.
COMPARISON_LABELS = {"previous": ("环比", "上期无数据", "上期"), "year_ago": ("同比", "去年同期无数据", "去年同期")}


def kpi_delta(key: str, summary: dict, basis: str) -> tuple[str, str]:
    """(text, css class) comparing a KPI with its 环比 or 同比 window, read at the same age."""
    label, no_data, _name = COMPARISON_LABELS[basis]
    before_kpis = summary["comparisons"][basis]["kpis"]
    if before_kpis is None:
        return f"{label} {no_data}", "none"
    a, b = summary["kpis"][key]["value"], before_kpis[key]["value"]
    if a is None or b is None:
        return f"{label} —", ""
    unit = KPI_LABELS[key][1]
    diff = a - b
    if abs(diff) < 1e-9:
        return f"{label} 持平", "flat"
    if unit == "%":
        text = f"{abs(diff) * 100:.1f} 个百分点"
    elif b:
        text = f"{abs(diff) / b * 100:.1f}%"
    else:
        text = f"{abs(diff):,.1f}" if isinstance(diff, float) else f"{abs(diff):,}"
    arrow = "↑" if diff > 0 else "↓"
    if key in NEUTRAL:
        return f"{label} {arrow} {text}", "up" if diff > 0 else "down"
    good = (diff > 0) != (key in LOWER_IS_BETTER)
    return f"{label} {arrow} {text}", ("up" if diff > 0 else "down") + ("-good" if good else "-bad")


def kpi_deltas(key: str, summary: dict) -> list[tuple[str, str]]:
    """The KPI's 环比 and 同比, in that order."""
    return [kpi_delta(key, summary, basis) for basis in COMPARISON_LABELS]


def compared_value(key: str, summary: dict, basis: str) -> str:
    """The KPI in the 环比 or 同比 window, formatted like the card; "无数据" when there is none."""
    before_kpis = summary["comparisons"][basis]["kpis"]
    return "无数据" if before_kpis is None else format_kpi(key, before_kpis[key])


def comparison_note(summary: dict) -> str:
    """What the changes compare with, e.g. "环比：上期 2026-11-17 至 2026-11-23，按同口径截至 2026-11-24 12:00 计"."""
    parts = []
    for basis, (label, _no_data, name) in COMPARISON_LABELS.items():
        other = summary["comparisons"][basis]
        span = window_text(Window(date.fromisoformat(other["from"]), date.fromisoformat(other["to"])))
        parts.append(f"{label}：{name} {span}，按同口径截至 {minute_text(other['as_of'])} 计")
    return "；".join(parts)


def low_closure_rate(rate: float | None) -> bool:
    """Whether a closure rate needs attention; no appeals (None) is not a low rate, 0% is."""
    return rate is not None and rate < LOW_CLOSURE_RATE


def last_day(window: Window) -> date:
    """The window's last included day (its end is exclusive), as reports and file names show it."""
    return max(window.end - timedelta(days=1), window.start)


def window_text(window: Window) -> str:
    """The window as people say it: both ends inclusive."""
    return f"{window.start.isoformat()} 至 {last_day(window).isoformat()}"


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
