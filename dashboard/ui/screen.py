"""Pure layout of the big screen (``/screen/``): components only, no I/O.

One full-viewport CSS grid (``assets/screen.css``, every rule under ``.screen``):
header, KPI cards, the map in the middle, trend, ranking, 未诉先办 (open items per
list, top hotspots) and the ticker of the newest appeals. Rows and cards are fixed in number and only their text changes,
so the DOM stays the same size however long the screen runs.
"""

from __future__ import annotations

import dash_leaflet as dl
from dash import dcc, html

from dashboard.ui import ids
from dashboard.ui.figures import trend_figure
from dashboard.ui.page import EMPTY_PNG, LIVE_POLL_MS, OSM_CREDIT
from dashboard.view.proactive import LIST_LABELS, Summary
from dashboard.view.screen import DEFAULT_REFRESH, HOTSPOT_ROWS, RANKING_ROWS, TICKER_ROWS
from dashboard.view.text import low_closure_rate, minute_text, percent
from geo.domain import DISTRICT_CODE, LOCAL_TZ, WORKER_STATUSES
from geo.kpis import KPI_LABELS
from layers import heat, workers
from layers.basemap import base_layers, laoshan_map, providers

RANKING_COLUMNS = ("单位", "受理", "办结率", "满意率", "超期")
STREETS_URL = f"/api/geo/street.geojson?parent={DISTRICT_CODE}"
COMMUNITIES_URL = f"/api/geo/community.geojson?parent={DISTRICT_CODE}"
NEIGHBOURS_URL = "/api/map/base/neighbours.geojson"
LAND_URL = "/api/map/base/land.geojson"
#: Always the dark offline vector base: a wall must not depend on a tile server. The heat image takes its ramp.
DARK_BASE = providers()["vector-dark"]
HEAT_RAMP = "dark"
#: The KPI cards' changes are against the previous window of equal length; said once, in the panel's head.
DELTA_NOTE = "上行环比、下行同比（同口径）"
#: Leaflet options of the wall's map: it takes no input at all (the tour moves it).
STILL_MAP = {"zoomControl": False, "attributionControl": False, "dragging": False, "scrollWheelZoom": False,
             "doubleClickZoom": False, "boxZoom": False, "keyboard": False, "touchZoom": False, "trackViewport": False}


def page() -> html.Div:
    """The whole screen, on the dark offline vector base (no tiles, no network)."""
    return html.Div(
        id=ids.SCREEN_ROOT,
        className="screen",
        children=[
            dcc.Location(id=ids.SCREEN_URL, refresh=False),
            dcc.Store(id=ids.SCREEN_VIEWPORT),
            dcc.Interval(id=ids.SCREEN_REFRESH, interval=DEFAULT_REFRESH * 1000),
            dcc.Interval(id=ids.SCREEN_TOUR, interval=60_000, disabled=True),
            # Live: the same cheap version poll as the dashboard (same id, so assets/map.js pauses it when hidden).
            dcc.Interval(id=ids.LIVE_TICK, interval=LIVE_POLL_MS),
            dcc.Store(id=ids.SCREEN_LIVE),
            dcc.Store(id=ids.SCREEN_WORKER_INDEX),
            header(),
            html.Div(id=ids.SCREEN_BANNER, className="screen-banner", hidden=True, role="alert"),
            kpi_panel(),
            map_panel(),
            panel(ids.SCREEN_TREND_PANEL, "screen-trend", "受理与办结趋势",
                  dcc.Graph(id=ids.SCREEN_TREND, className="screen-chart", responsive=True,
                            config={"displayModeBar": False, "staticPlot": True},
                            figure={"data": [], "layout": {"paper_bgcolor": "rgba(0,0,0,0)",
                                                           "plot_bgcolor": "rgba(0,0,0,0)"}})),
            ranking_panel(),
            # 未诉先办 above the ticker, in the ticker's column: the ticker shows as many appeals as fit below it.
            html.Div(id=ids.SCREEN_SIDE, className="screen-side", children=[proactive_panel(), ticker_panel()]),
        ],
    )


def header() -> html.Header:
    return html.Header(
        id=ids.SCREEN_HEADER,
        className="screen-header",
        children=[
            html.Div(className="screen-brand", children=[
                html.Div("智治大脑", className="screen-brand-name"),
                html.Div("崂山区社会治理指挥中心 · “崂先办”诉求解决平台", className="screen-brand-sub"),
            ]),
            html.Div(className="screen-scope", children=[
                html.Div(id=ids.SCREEN_TITLE, className="screen-title", children="崂山区"),
                html.Div(id=ids.SCREEN_WINDOW, className="screen-window"),
            ]),
            html.Div(className="screen-time", children=[
                # Filled by assets/screen.js once a second, outside Dash (see there why).
                html.Div(id=ids.SCREEN_CLOCK, className="screen-clock"),
                html.Div(id=ids.SCREEN_AS_OF, className="screen-as-of", children="数据截至 —"),
            ]),
        ],
    )


def scope_title(level: str, name: str) -> list:
    return [html.Span(level, className="screen-level"), name]


def panel(panel_id: str, area: str, title: str, body, note=None) -> html.Section:
    head = [html.H2(title, className="screen-panel-title")]
    if note is not None:
        head.append(note)
    return html.Section(id=panel_id, className=f"screen-panel {area}", children=[
        html.Div(head, className="screen-panel-head"), html.Div(body, className="screen-panel-body"),
    ])


def kpi_panel() -> html.Section:
    return html.Section(
        id=ids.SCREEN_KPIS,
        className="screen-panel screen-kpis",
        children=[
            html.Div([html.H2("核心指标", className="screen-panel-title"),
                      html.Span(DELTA_NOTE, className="screen-panel-note")], className="screen-panel-head"),
            html.Div(className="screen-kpi-grid", children=[kpi_card(key) for key in KPI_LABELS]),
        ],
    )


def kpi_card(key: str) -> html.Div:
    label, unit = KPI_LABELS[key]
    return html.Div(
        id=ids.screen_kpi(key),
        className="screen-kpi",
        children=[
            html.Div(label, className="screen-kpi-label"),
            html.Div(className="screen-kpi-figure", children=[
                html.Span("—", id=ids.screen_kpi(key, "value"), className="screen-kpi-value"),
                html.Span(unit, className="screen-kpi-unit"),
            ]),
            html.Div("", id=ids.screen_kpi(key, "delta"), className="screen-kpi-delta"),
            html.Div("", id=ids.screen_kpi(key, "yoy"), className="screen-kpi-delta"),
        ],
    )


def map_panel() -> html.Section:
    """The centrepiece. Nothing to touch: no zoom control, no dragging; the tour moves it."""
    return html.Section(
        id=ids.SCREEN_MAP_PANEL,
        className="screen-panel screen-map",
        children=[
            laoshan_map(
                ids.SCREEN_MAP, "screen-leaflet", **STILL_MAP,
                children=[
                    dl.Pane(base_layers(DARK_BASE, NEIGHBOURS_URL, LAND_URL), name="vector-base", style={"zIndex": 150}),
                    dl.Pane(dl.ImageOverlay(id=ids.SCREEN_HEAT, url=EMPTY_PNG, bounds=heat.BOUNDS, opacity=0.85,
                                            interactive=False), name="heat", style={"zIndex": 420}),
                    # Outlines get their URL with their first style, from the callback: dash-leaflet ignores a
                    # style that arrives while its GeoJSON is still loading.
                    dl.Pane(dl.GeoJSON(id=ids.SCREEN_COMMUNITIES,
                                       hideout={"street": "", "selected": ""},
                                       style={"variable": "zhizhi.screen.communityStyle"},
                                       onEachFeature={"variable": "zhizhi.screen.communityLabel"}),
                            name="communities", style={"zIndex": 430}),
                    dl.Pane(dl.GeoJSON(id=ids.SCREEN_STREETS,
                                       hideout={"selected": ""},
                                       style={"variable": "zhizhi.screen.streetStyle"},
                                       onEachFeature={"variable": "zhizhi.screen.streetLabel"}),
                            name="streets", style={"zIndex": 440}),
                    dl.Pane(dl.GeoJSON(id=ids.SCREEN_WORKERS,
                                       hideout={"statusStyle": workers.WALL_STATUS_STYLE},
                                       pointToLayer={"variable": "zhizhi.screen.workerMarker"}),
                            name="workers", style={"zIndex": 460}),
                ],
            ),
            map_legend(),
            html.Div(OSM_CREDIT, className="screen-credit"),
        ],
    )


def map_legend() -> html.Div:
    """Heat ramp with its numbers (filled per view) and the workers' shapes by status with their counts
    (filled in the browser from the layer itself, so they always agree with the markers)."""
    return html.Div(className="screen-legend", children=[
        html.Div("诉求热力（件/km²）", className="screen-legend-title"),
        html.Span(className="screen-heat-ramp", style={"background": heat.css_gradient(HEAT_RAMP)}),
        html.Div(id=ids.SCREEN_HEAT_PEAK, className="screen-heat-scale", children=heat_scale(None)),
        html.Div("网格员（人）", id=ids.SCREEN_WORKER_TITLE, className="screen-legend-title"),
        html.Div(id=ids.SCREEN_WORKER_COUNTS, className="screen-legend-grid", children=[
            html.Span([html.Span(className=f"screen-marker {style['shape']}", style={"background": style["color"]}),
                       WORKER_STATUSES[code], html.Span("—", id=ids.screen_worker_count(code), className="screen-legend-count")],
                      className="screen-legend-item")
            for code, style in workers.WALL_STATUS_STYLE.items()]),
    ])


def workers_title(level_label: str) -> str:
    """The wall draws all workers of the unit it is signed in for, whatever its tour shows: the legend says whose."""
    return f"本{level_label}网格员（人）"


def heat_scale(peak: float | None) -> list[html.Span]:
    """The numbers under the heat ramp, at their places on its square-root scale."""
    if not peak:
        return [html.Span("暂无诉求")]
    return [html.Span(f"{value:,.0f}") for _position, value in heat.scale_ticks(peak)]


def ranking_panel() -> html.Section:
    note = html.Span(id=ids.SCREEN_RANKING_NOTE, className="screen-panel-note")
    table = html.Div(id=ids.SCREEN_RANKING, className="screen-rank", children=ranking_body([]))
    return panel(ids.SCREEN_RANKING_PANEL, "screen-ranking", "下级单位排名", table, note)


def ranking_body(rows: list[dict]) -> list[html.Div]:
    """Header plus one row per unit (at most ``RANKING_ROWS``); the panel is as tall as its rows, so five
    streets leave no blank rows."""
    head = html.Div([html.Span(h) for h in RANKING_COLUMNS], className="screen-rank-row screen-rank-head")
    body = []
    for i, r in enumerate(rows[:RANKING_ROWS]):
        cells = [f"{i + 1}. {r['name']}", f"{r['accepted']:,}", percent(r["closure_rate"]),
                 percent(r["satisfaction_rate"]), f"{r['overdue_open']:,}"]
        bad = low_closure_rate(r["closure_rate"])
        body.append(html.Div([html.Span(c, className="bad" if bad and j == 2 else None) for j, c in enumerate(cells)],
                             className="screen-rank-row"))
    return [head, *body]


#: 未诉先办's hotspot table: place and category, pattern, appeals observed and expected (both in the scope).
HOTSPOT_COLUMNS = ("活跃热点 · 类别", "模式", "实际", "预期")
#: The panel's empty states.
NO_RUN = "尚未运行分析"
NO_ITEMS = "暂无未诉先办事项"
NO_HOTSPOTS = "暂无活跃热点"


def proactive_panel() -> html.Section:
    note = html.Span(NO_RUN, id=ids.SCREEN_PROACTIVE_NOTE, className="screen-panel-note")
    body = [html.Div(id=ids.SCREEN_PROACTIVE_COUNTS, className="screen-pa-counts", children=proactive_counts(None)),
            html.Div(id=ids.SCREEN_PROACTIVE_HOTSPOTS, className="screen-pa-hot", children=proactive_hotspots(None))]
    return panel(ids.SCREEN_PROACTIVE_PANEL, "screen-proactive", "未诉先办", body, note)


def proactive_note(summary: Summary | None) -> str:
    """What the panel counts and as of which run: 在办事项 are 待研判, 已派发 and 处置中."""
    if summary is None or summary.run is None:
        return NO_RUN
    return f"在办事项 · 分析截至 {minute_text(summary.run['as_of'].astimezone(LOCAL_TZ).isoformat())[5:]}"


def proactive_counts(summary: Summary | None) -> list[html.Div]:
    """One tile per list at and below the scope (区级清单, 街道清单, 社区清单) with its open items; "—" before a run."""
    levels = summary.open_by_level if summary is not None and summary.run is not None else dict.fromkeys(LIST_LABELS)
    return [html.Div([html.Span(LIST_LABELS[level], className="screen-pa-label"),
                      html.Span("—" if n is None else f"{n:,}", className="screen-pa-count")],
                     className="screen-pa-tile")
            for level, n in levels.items()]


def proactive_hotspots(summary: Summary | None) -> list[html.Div]:
    """A header and one row per hotspot (at most ``HOTSPOT_ROWS``), or one line saying why there is none."""
    if summary is None or summary.run is None:
        return [html.Div(NO_RUN, className="screen-pa-empty")]
    if not summary.hotspots:
        return [html.Div(NO_HOTSPOTS if summary.open_total else NO_ITEMS, className="screen-pa-empty")]
    head = html.Div([html.Span(h) for h in HOTSPOT_COLUMNS], className="screen-pa-row screen-pa-head")
    rows = [html.Div([html.Span([h["place"], html.Span(h["category_label"], className="screen-pa-category")]),
                      html.Span(h["pattern_label"], className=f"screen-pa-pattern {h['pattern']}"),
                      html.Span(f"{h['observed']:,}"), html.Span(f"{h['expected']:,.1f}")],
                     className="screen-pa-row")
            for h in summary.hotspots[:HOTSPOT_ROWS]]
    return [head, *rows]


def ticker_panel() -> html.Section:
    body = html.Ol(id=ids.SCREEN_TICKER, className="screen-ticker", children=ticker_body([]))
    return panel(ids.SCREEN_TICKER_PANEL, "screen-ticker-area", "最新诉求（当前范围与时段）", body)


def ticker_body(rows: list[dict]) -> list[html.Li]:
    """Exactly ``TICKER_ROWS`` items; only time, street, category and title ever reach the page."""
    items = []
    for i in range(TICKER_ROWS):
        r = rows[i] if i < len(rows) else {"time": "", "street": "", "category": "", "title": ""}
        items.append(html.Li(className="screen-ticker-item", children=[
            html.Div([html.Span(r["time"], className="screen-ticker-time"),
                      html.Span(r["street"], className="screen-ticker-street"),
                      html.Span(r["category"], className="screen-ticker-category")], className="screen-ticker-meta"),
            html.Div(r["title"], className="screen-ticker-title"),
        ]))
    return items


DARK_INK = "#dce6f5"
DARK_GRID = "rgba(140, 170, 210, 0.18)"
TREND_COLORS = ["#39a0ff", "#36d399"]


def dark_trend(trend: list[dict], font_px: int) -> dict:
    """The main page's trend figure restyled for a dark wall: light ink, faint grid, text sized to the screen,
    and no fixed height (the panel sizes it). Still a plain dict."""
    figure = trend_figure(trend)
    layout = {k: v for k, v in figure["layout"].items() if k != "height"}
    layout.update(
        autosize=True,
        font={**layout["font"], "size": font_px, "color": DARK_INK},
        margin={"l": font_px // 2, "r": font_px, "t": font_px * 2, "b": font_px // 2},
        legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom", "font": {"size": font_px}},
        colorway=TREND_COLORS,
    )
    for axis in ("xaxis", "yaxis"):
        if axis in layout:
            layout[axis] = {**layout[axis], "automargin": True, "gridcolor": DARK_GRID, "zerolinecolor": DARK_GRID,
                            "linecolor": DARK_GRID, "tickfont": {"size": font_px}}
    for note in layout.get("annotations", []):
        note["font"] = {**note.get("font", {}), "size": font_px, "color": DARK_INK}
    data = [{**trace, "line": {**trace.get("line", {}), "width": max(2, font_px // 6)}} for trace in figure["data"]]
    return {"data": data, "layout": layout}
