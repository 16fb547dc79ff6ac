"""Pure render functions: view data in, Plotly figures and components out."""

from __future__ import annotations

from datetime import date, timedelta

from dash import dcc, html

from dashboard.ui import page
from dashboard.view.text import comparison_note, format_kpi, kpi_deltas, low_closure_rate, percent
from geo.domain import CATEGORY_LABELS, HANDLING_LEVELS, KINDS, SOURCES, STATUS_ORDER, STATUSES
from geo.kpis import KPI_LABELS

FONT = "Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif"
#: The smallest text a chart draws on the page (pie shares, bar values), in CSS pixels.
MIN_TEXT_PX = 12
COLORS = ["#1f6feb", "#2da44e", "#d4a72c", "#cf222e", "#8250df", "#0a7ea4", "#bf3989", "#57606a"]


def kpi_cards(summary: dict) -> list:
    note = comparison_note(summary)
    return [page.kpi_card(key, format_kpi(key, summary["kpis"][key]), kpi_deltas(key, summary), note)
            for key in KPI_LABELS]


def _layout(height: int = 220, **extra) -> dict:
    """Figures are plain dicts: Plotly's validating objects cost ~25 ms each, on every drill-down."""
    return {
        "height": height,
        "margin": {"l": 8, "r": 8, "t": 8, "b": 8},
        "font": {"family": FONT, "size": 12, "color": "#1d2633"},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "legend": {"orientation": "h", "y": 1.12, "x": 0},
        "colorway": COLORS,
        **extra,
    }


def empty_figure(text: str = "当前条件下暂无数据", height: int = 220) -> dict:
    return {
        "data": [],
        "layout": _layout(
            height,
            annotations=[{"text": text, "showarrow": False, "font": {"size": 14, "color": "#6b7785"}, "x": 0.5, "y": 0.5,
                          "xref": "paper", "yref": "paper"}],
            xaxis={"visible": False},
            yaxis={"visible": False},
        ),
    }


def count_axis(top: int) -> dict:
    """A y axis for whole counts: small ranges step by 1, so no tick reads 0.5 件 or repeats."""
    axis = {"gridcolor": "#e6e9ee", "rangemode": "tozero", "automargin": True, "tickformat": "d"}
    return {**axis, "dtick": 1} if top <= 6 else axis


#: Windows longer than this many days draw their trend by week, longer than ``TREND_MONTH_AFTER`` by month:
#: a year of daily points is a forest of spikes nobody can read.
TREND_WEEK_AFTER = 60
TREND_MONTH_AFTER = 366
#: The x axis title says what a point is when it is not a day.
TREND_UNITS = {"week": "按周（每点为一周合计）", "month": "按月（每点为一月合计）"}


def bucket_trend(trend: list[dict]) -> tuple[str, list[dict]]:
    """Daily counts summed by week (Monday first) or month when the window is long, else left by day.

    Each bucket keeps its first and last day in the window and how many days it covers, so a
    partial week or month at either end is labelled as such rather than read as a drop.
    """
    unit = "month" if len(trend) > TREND_MONTH_AFTER else "week" if len(trend) > TREND_WEEK_AFTER else "day"
    buckets: dict[str, dict] = {}
    for d in trend:
        day = date.fromisoformat(d["day"])
        start = {"day": day, "week": day - timedelta(days=day.weekday()), "month": day.replace(day=1)}[unit]
        bucket = buckets.setdefault(start.isoformat(), {"day": start.isoformat(), "first": d["day"], "days": 0,
                                                        "accepted": 0, "closed": 0})
        bucket["last"] = d["day"]
        bucket["days"] += 1
        bucket["accepted"] += d["accepted"]
        bucket["closed"] += d["closed"]
    return unit, list(buckets.values())


def _bucket_label(unit: str, bucket: dict) -> str:
    if unit == "day":
        return bucket["first"]
    return f"{bucket['first']} 至 {bucket['last']}（{bucket['days']} 天）"


def trend_figure(trend: list[dict]) -> dict:
    if not trend or not any(d["accepted"] or d["closed"] for d in trend):
        return empty_figure()
    unit, rows = bucket_trend(trend)
    x = [r["day"] for r in rows]
    labels = [_bucket_label(unit, r) for r in rows]
    years = {day[:4] for day in x}
    tickformat = "%Y-%m" if unit == "month" else "%Y-%m-%d" if len(years) > 1 else "%m-%d"
    series = [("受理", "accepted"), ("办结", "closed")]
    return {
        "data": [
            {"type": "scatter", "mode": "lines+markers" if unit != "day" else "lines", "name": name, "x": x,
             "y": [r[key] for r in rows], "customdata": labels, "line": {"width": 2.5},
             "hovertemplate": f"%{{customdata}}<br>{name} %{{y:,}} 件<extra></extra>"}
            for name, key in series
        ],
        "layout": _layout(xaxis={"showgrid": False, "tickformat": tickformat, "automargin": True,
                                 **({"title": {"text": TREND_UNITS[unit], "standoff": 4}} if unit in TREND_UNITS else {})},
                          yaxis=count_axis(max(max(r["accepted"], r["closed"]) for r in rows))),
    }


def share_text(part: int, total: int) -> str:
    """A share for a legend in whole percent; "<1%" and ">99%" rather than a misleading "0%" or "100%"."""
    share = part / total
    if 0 < share < 0.005:
        return "<1%"
    return ">99%" if 0.995 <= share < 1 else f"{share:.0%}"


def donut(counts: dict[str, int], labels: dict[str, str]) -> dict:
    """Each slice's share in the legend (12 px, never squeezed into a thin slice); counts on hover."""
    items = [(labels.get(k, k), v) for k, v in sorted(counts.items(), key=lambda kv: -kv[1]) if v]
    if not items:
        return empty_figure(height=200)
    total = sum(v for _, v in items)
    return {
        "data": [{"type": "pie", "labels": [f"{name} {share_text(v, total)}" for name, v in items],
                  "values": [v for _, v in items], "hole": 0.5, "sort": False, "textinfo": "none",
                  "hovertemplate": "%{label}：%{value:,} 件<extra></extra>"}],
        "layout": _layout(200, showlegend=True, legend={"orientation": "v", "x": 1, "y": 0.5,
                                                        "font": {"size": MIN_TEXT_PX + 1}}),
    }


def bars(counts: dict[str, int], labels: dict[str, str], top: int = 10, height: int = 260) -> dict:
    """Horizontal bars with their counts at the end, so no axis is needed to read them."""
    items = [(labels.get(k, k), v) for k, v in sorted(counts.items(), key=lambda kv: -kv[1]) if v][:top]
    if not items:
        return empty_figure(height=height)
    items.reverse()
    text = [f"{v:,}" for _, v in items]
    # The counts sit right of the bars, in the margin: room for the longest, at ~0.62 em per digit.
    right = 8 + round(max(len(t) for t in text) * MIN_TEXT_PX * 0.62) + 6
    return {
        "data": [{"type": "bar", "orientation": "h", "x": [v for _, v in items], "y": [name for name, _ in items],
                  "text": text, "textposition": "outside", "cliponaxis": False, "textfont": {"size": MIN_TEXT_PX},
                  "marker": {"color": "#1f6feb"}, "hovertemplate": "%{y}：%{x:,} 件<extra></extra>"}],
        "layout": _layout(height, margin={"l": 8, "r": right, "t": 8, "b": 8}, xaxis={"visible": False},
                          yaxis={"automargin": True, "ticksuffix": " "}),
    }


def funnel(status_counts: dict[str, int]) -> dict:
    """How many appeals reached each workflow stage (an appeal at 回访 has passed 受理 … 反馈).

    Drawn as bars, top to bottom: the page ships plotly's basic bundle, which has no funnel trace.
    """
    if not any(status_counts.values()):
        return empty_figure(height=200)
    reached = [sum(status_counts.get(s, 0) for s in STATUS_ORDER[i:]) for i in range(len(STATUS_ORDER))]
    labels = [STATUSES[s] for s in STATUS_ORDER]
    text = [f"{n:,}（{n / reached[0]:.0%}）" for n in reached]
    return {
        "data": [{"type": "bar", "orientation": "h", "y": labels[::-1], "x": reached[::-1], "text": text[::-1],
                  "textposition": "auto", "marker": {"color": COLORS[0]}, "hovertemplate": "%{y}：%{x} 件<extra></extra>"}],
        "layout": _layout(200, xaxis={"visible": False}, yaxis={"automargin": True}),
    }


def panel_figures(panels: dict) -> dict[str, dict]:
    return {
        "trend": trend_figure(panels["trend"]),
        "kind": donut(panels["kind"], KINDS),
        "source": bars(panels["source"], SOURCES, height=200),
        "category": bars(panels["category"], CATEGORY_LABELS),
        "funnel": funnel(panels["status"]),
        "handling_level": donut(panels["handling_level"], HANDLING_LEVELS),
    }


def ranking_table(rows: list[dict], href: callable) -> html.Div:
    """Child units, worst closure first; each name links one level down."""
    if not rows:
        return page.empty_state("当前层级没有下级单位")

    header = html.Tr([html.Th(h) for h in ("单位", "受理", "办结率", "按期率", "满意率", "超期")])
    body = [
        html.Tr(
            className="rank-row",
            children=[
                html.Td(dcc.Link(r["name"], href=href(r["level"], r["code"]), className="rank-link")),
                html.Td(f"{r['accepted']:,}"),
                html.Td(percent(r["closure_rate"]), className="bad" if low_closure_rate(r["closure_rate"]) else ""),
                html.Td(percent(r["on_time_rate"])),
                html.Td(percent(r["satisfaction_rate"])),
                html.Td(f"{r['overdue_open']:,}", className="bad" if r["overdue_open"] else ""),
            ],
        )
        for r in rows
    ]
    return html.Div(className="rank-wrap", children=html.Table([html.Thead(header), html.Tbody(body)], className="rank"))


def chart_layout(height: int = 220, **extra) -> dict:
    """The panels' common layout, for figures drawn in other modules (对比)."""
    return _layout(height, **extra)
