"""The naive baseline the scale issue compares against: a Dash app that answers a drill-down the obvious way.

One callback reads the scope's appeals of the window with ``geopandas.read_postgis``, sums the KPIs and the
category bars in pandas, and ships every appeal as a GeoJSON point to a dash-leaflet layer. No rollups, no
cache, no comparisons, no ranking, no heat: what a first prototype does. ``bench_scale`` POSTs to it the way
the browser does, like to the real app, so both sides pay Dash's routing and JSON.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from urllib.parse import parse_qs

import dash_leaflet as dl
import geopandas
import plotly.graph_objects as go
import sqlalchemy as sa
from dash import Dash, Input, Output, dcc, html

from geo.domain import LOCAL_TZ

SCOPE_COLUMN = {"street": "street_code", "community": "community_code", "grid": "grid_code"}
SQL = ("SELECT id, category, status, closed_at, closed_on_time, responded_on_time, deadline, resolved, "
       "satisfaction, close_seconds, geom FROM appeals WHERE accepted_at >= %(start)s AND accepted_at < %(end)s")


def create_naive_app(database_url: str) -> Dash:
    engine = sa.create_engine(database_url)
    app = Dash(__name__)
    app.layout = html.Div([
        dcc.Location(id="url"),
        html.Div(id="kpis"),
        dcc.Graph(id="categories"),
        dl.Map([dl.GeoJSON(id="points")], center=[36.1, 120.5], zoom=11),
    ])

    @app.callback(Output("kpis", "children"), Output("categories", "figure"), Output("points", "data"),
                  Input("url", "search"))
    def update(search):
        query = {k: v[0] for k, v in parse_qs((search or "").lstrip("?")).items()}
        start, end = (datetime.combine(date.fromisoformat(query[k]), datetime.min.time(), LOCAL_TZ)
                      for k in ("from", "to"))
        sql, params = SQL, {"start": start, "end": end}
        if query.get("scope") in SCOPE_COLUMN:
            sql += f" AND {SCOPE_COLUMN[query['scope']]} = %(code)s"
            params["code"] = query["id"]
        frame = geopandas.read_postgis(sql, engine, geom_col="geom", params=params)
        closed = frame["closed_at"].notna()
        kpis = [f"受理 {len(frame)}", f"办结 {int(closed.sum())}", f"按时 {int(frame['closed_on_time'].sum())}",
                f"满意 {int(frame['satisfaction'].isin(['satisfied', 'basically_satisfied']).sum())}"]
        bars = frame.groupby("category").size()
        figure = go.Figure(go.Bar(x=list(bars.index), y=list(bars.values)))
        points = json.loads(frame[["id", "category", "status", "geom"]].to_json())
        return [html.Span(k) for k in kpis], figure, points

    return app
