"""对比's contents: the units' KPI table (the cards' formatting) and one 受理量 trend chart."""

from __future__ import annotations

from dash import dcc, html

from dashboard.ui import ids
from dashboard.ui.figures import COLORS, chart_layout, count_axis, empty_figure
from dashboard.view.text import format_kpi
from geo.kpis import KPI_LABELS

STEP_LABELS = {"day": "按日", "week": "按周"}


def kpi_text(key: str, kpi: dict) -> str:
    """A KPI as its card reads, with its unit (the card's formatting)."""
    value = format_kpi(key, kpi)
    return value if value == "—" else f"{value} {KPI_LABELS[key][1]}"


def kpi_table(units: list[dict]) -> html.Table:
    """The nine KPIs (rows) of each unit (columns)."""
    header = html.Tr([html.Th("指标"), *(html.Th(u["name"]) for u in units)])
    rows = [html.Tr([html.Td(KPI_LABELS[key][0]), *(html.Td(kpi_text(key, u["kpis"][key])) for u in units)])
            for key in KPI_LABELS]
    return html.Table([html.Thead(header), html.Tbody(rows)], className="rank compare-table", id=ids.COMPARE_TABLE)


def trend_figure(units: list[dict], step: str) -> dict:
    """受理量 per day or week, one line per unit; a short last week says so on hover."""
    if not any(b["accepted"] for u in units for b in u["trend"]):
        return empty_figure()
    data = []
    for i, u in enumerate(units):
        spans = [b["start"] if b["days"] == 1 else
                 f"{b['start']} 至 {b['end']}" + ("" if b["days"] == 7 else f"（仅 {b['days']} 天）") for b in u["trend"]]
        data.append({"type": "scatter", "mode": "lines+markers" if step == "week" else "lines", "name": u["name"],
                     "x": [b["start"] for b in u["trend"]], "y": [b["accepted"] for b in u["trend"]],
                     "customdata": spans, "line": {"width": 2.5, "color": COLORS[i % len(COLORS)]},
                     "hovertemplate": f"{u['name']}<br>%{{customdata}}<br>受理 %{{y}} 件<extra></extra>"})
    top = max(b["accepted"] for u in units for b in u["trend"])
    return {"data": data, "layout": chart_layout(260, xaxis={"showgrid": False, "tickformat": "%m-%d"},
                                            yaxis=count_axis(top))}


def compare_body(doc: dict) -> list:
    units, step = doc["units"], doc["step"]
    return [
        kpi_table(units),
        html.Div(f"受理量趋势（{STEP_LABELS[step]}）", className="compare-subtitle"),
        dcc.Graph(id=ids.COMPARE_TREND, figure=trend_figure(units, step), config={"displayModeBar": False},
                  className="chart"),
    ]
