"""Pure layout functions: they return components and do no I/O."""

from __future__ import annotations

from dash import dcc, html

from dashboard import ids
from geo.kpis import KPI_LABELS

OSM_CREDIT = "地图边界 © OpenStreetMap contributors（ODbL）"


def page() -> html.Div:
    return html.Div(
        className="page",
        children=[
            dcc.Location(id=ids.URL),
            dcc.Interval(id=ids.REFRESH, interval=60_000),
            header(),
            html.Main(
                className="content",
                children=[
                    html.H2("近30天诉求办理总览", className="section-title"),
                    dcc.Loading(
                        html.Div(id=ids.KPI_CARDS, className="kpi-grid", children=kpi_placeholders())
                    ),
                ],
            ),
            html.Footer(className="footer", children=[html.Span(id=ids.DATA_AS_OF), html.Span(OSM_CREDIT)]),
        ],
    )


def header() -> html.Header:
    return html.Header(
        className="header",
        children=[
            html.H1("智治大脑"),
            html.Span("崂山区“崂先办”诉求解决平台 · 社会治理指挥中心", className="subtitle"),
        ],
    )


def kpi_placeholders() -> list[html.Div]:
    return [kpi_card(key, "—") for key in KPI_LABELS]


def kpi_card(key: str, value: str) -> html.Div:
    label, unit = KPI_LABELS[key]
    return html.Div(
        className="kpi-card",
        id=ids.kpi_card(key),
        children=[
            html.Div(label, className="kpi-label"),
            html.Div([html.Span(value, className="kpi-value"), html.Span(unit, className="kpi-unit")]),
        ],
    )
