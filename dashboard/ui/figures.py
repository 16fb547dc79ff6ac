"""Pure render functions: view data in, Plotly figures and components out."""

from __future__ import annotations

from dash import dcc, html

from dashboard.ui import page
from dashboard.view.text import comparison_note, format_kpi, kpi_deltas, low_closure_rate, percent
from geo.domain import CATEGORY_LABELS, HANDLING_LEVELS, KINDS, SOURCES, STATUS_ORDER, STATUSES
from geo.kpis import KPI_LABELS

FONT = "Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif"
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


def trend_figure(trend: list[dict]) -> dict:
    if not trend or not any(d["accepted"] or d["closed"] for d in trend):
        return empty_figure()
    days = [d["day"] for d in trend]
    return {
        "data": [
            {"type": "scatter", "mode": "lines", "name": "受理", "x": days, "y": [d["accepted"] for d in trend],
             "line": {"width": 2.5}, "hovertemplate": "%{x}<br>受理 %{y} 件<extra></extra>"},
            {"type": "scatter", "mode": "lines", "name": "办结", "x": days, "y": [d["closed"] for d in trend],
             "line": {"width": 2.5}, "hovertemplate": "%{x}<br>办结 %{y} 件<extra></extra>"},
        ],
        "layout": _layout(xaxis={"showgrid": False, "tickformat": "%m-%d"},
                          yaxis=count_axis(max(max(d["accepted"], d["closed"]) for d in trend))),
    }


def donut(counts: dict[str, int], labels: dict[str, str]) -> dict:
    items = [(labels.get(k, k), v) for k, v in sorted(counts.items(), key=lambda kv: -kv[1]) if v]
    if not items:
        return empty_figure(height=200)
    return {
        "data": [{"type": "pie", "labels": [i[0] for i in items], "values": [i[1] for i in items], "hole": 0.55,
                  "sort": False, "textinfo": "percent", "textposition": "inside", "insidetextorientation": "horizontal",
                  "hovertemplate": "%{label}：%{value} 件<extra></extra>"}],
        "layout": _layout(200, showlegend=True, legend={"orientation": "v", "x": 1, "y": 0.5}),
    }


def bars(counts: dict[str, int], labels: dict[str, str], top: int = 10, height: int = 260) -> dict:
    items = [(labels.get(k, k), v) for k, v in sorted(counts.items(), key=lambda kv: -kv[1]) if v][:top]
    if not items:
        return empty_figure(height=height)
    items.reverse()
    return {
        "data": [{"type": "bar", "orientation": "h", "x": [i[1] for i in items], "y": [i[0] for i in items],
                  "marker": {"color": "#1f6feb"}, "hovertemplate": "%{y}：%{x} 件<extra></extra>"}],
        "layout": _layout(height, xaxis={"gridcolor": "#e6e9ee"}, yaxis={"automargin": True}),
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
