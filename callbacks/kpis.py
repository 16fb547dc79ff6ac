"""KPI cards for the district over the last 30 days."""

from __future__ import annotations

from dash import Input, Output

from dashboard import ids, layout
from dashboard.api import get_store, today, viewer_scope
from geo.kpis import KPI_LABELS
from geo.scope import Window


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


def district_cards(doc: dict) -> list:
    return [layout.kpi_card(key, format_kpi(key, doc["kpis"][key])) for key in KPI_LABELS]


def register(app) -> None:
    @app.callback(
        Output(ids.KPI_CARDS, "children"),
        Output(ids.DATA_AS_OF, "children"),
        Input(ids.REFRESH, "n_intervals"),
    )
    def refresh(_n):
        viewer = viewer_scope()
        doc = get_store().kpis(viewer, Window.parse(None, None, today()), viewer=viewer)
        return district_cards(doc), f"数据截至 {doc['as_of'][:16].replace('T', ' ')}"
