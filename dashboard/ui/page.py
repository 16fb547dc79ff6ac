"""The dashboard page: pure layout functions that return components and do no I/O."""

from __future__ import annotations

import dash_ag_grid as dag
import dash_leaflet as dl
from dash import dcc, html

from dashboard.ui import ids
from dashboard.ui.compare import compare_button, compare_panel
from dashboard.ui.locale import DATE_PICKER, DROPDOWN_LABELS, GRID_LOCALE_TEXT
from dashboard.ui.playback import playback_bar
from dashboard.ui.proactive import detail_panel, forecast_card, proactive_card
from dashboard.ui.search import search_box
from dashboard.view.state import DEFAULT_LAYERS, LAYERS, PRESETS
from geo.domain import CATEGORIES, KINDS, PROFESSIONAL_TYPES, SOURCES, STATUSES
from geo.kpis import KPI_LABELS
from layers.basemap import laoshan_map
from layers.choropleth import METRICS, grid_layer
from layers.heat import BOUNDS as HEAT_BOUNDS
from layers.hotspots import hotspot_layer
from layers.units import outline_layer, units_layer
from layers.workers import workers_layer

OSM_CREDIT = "地图边界 © OpenStreetMap contributors（ODbL）"
#: How often the page asks whether anything changed (a new appeal shows within this plus one render).
LIVE_POLL_MS = 3000
#: A 1×1 transparent PNG, so the heat overlay has a valid image before the first update.
EMPTY_PNG = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="


SUBTITLE = "崂山区“崂先办”诉求解决平台 · 社会治理指挥中心"


def page(basemaps: list[tuple[str, str]] | None = None, account: str = "") -> html.Div:
    """The command-center screen. ``basemaps`` are (code, label) pairs offered in the picker;
    ``account`` names who is signed in (empty: sign-in is off, no 退出登录)."""
    basemaps = basemaps or [("vector-light", "矢量底图（浅色，离线）")]
    return html.Div(
        className="page",
        children=[
            dcc.Location(id=ids.URL, refresh=False),
            dcc.Interval(id=ids.REFRESH, interval=60_000),
            # Live: a cheap poll of the data versions; assets/map.js pauses it while the tab is hidden.
            dcc.Interval(id=ids.LIVE_TICK, interval=LIVE_POLL_MS),
            dcc.Store(id=ids.LIVE_STATE),
            dcc.Store(id=ids.WORKER_INDEX),
            dcc.Store(id=ids.LAYER_SOURCES),
            header(account),
            html.Div(id=ids.ERROR_BANNER, className="error-banner", hidden=True),
            html.Div(id=ids.LIVE_BANNER, className="error-banner outage", hidden=True, role="alert"),
            filter_bar(basemaps),
            html.Main(className="workspace", children=[map_panel(basemaps), side_panels()]),
            compare_panel(),
            detail_panel(),
            grid_section(),
            html.Footer(className="footer", children=[
                html.Span([html.Span(id=ids.DATA_AS_OF), html.Span(id=ids.LIVE_INDICATOR, className="live-indicator")]),
                html.Span(OSM_CREDIT),
            ]),
        ],
    )


def header(account: str = "") -> html.Header:
    return html.Header(
        className="header",
        children=[
            html.Div(className="brand", children=[
                html.H1("智治大脑"),
                html.Span(SUBTITLE, className="subtitle", title=SUBTITLE),
            ]),
            html.Nav(id=ids.BREADCRUMBS, className="breadcrumbs", **{"aria-label": "层级导航"}),
            search_box(),
            export_bar(),
            account_menu(account) if account else None,
        ],
    )


def account_menu(account: str) -> html.Form:
    """Who is signed in, and 退出登录 (a POST, so a link on another site can't sign anyone out)."""
    return html.Form(
        className="account", method="post", action="/logout",
        # The account name is kept as typed: data-verbatim, as Dash has no translate="no".
        children=[html.Span(account, id=ids.ACCOUNT, className="account-name", **{"data-verbatim": ""}),
                  html.Button("退出登录", id=ids.LOGOUT, type="submit", className="export-button")],
    )


def export_bar() -> html.Div:
    """"导出简报" and its siblings; each exports exactly the view in the URL."""
    return html.Div(
        className="export-bar",
        children=[
            html.Button("导出简报", id=ids.EXPORT_PDF, className="export-button primary", title="A4 PDF：指标、地图、趋势、排名、超期清单"),
            html.Button("PNG 快照", id=ids.EXPORT_PNG, className="export-button", title="地图与指标，1920×1080"),
            html.Button("XLSX 数据", id=ids.EXPORT_XLSX, className="export-button", title="指标与诉求明细表"),
            html.Div(id=ids.EXPORT_STATUS, className="export-status", **{"aria-live": "polite"}),
            dcc.Store(id=ids.EXPORT_JOB),
            dcc.Store(id=ids.EXPORT_DOWNLOAD),
            dcc.Interval(id=ids.EXPORT_POLL, interval=600, disabled=True),
        ],
    )


def export_progress(job: dict) -> list:
    """A job's progress bar and message; a download link once done, the reason if it failed."""
    if job["state"] == "failed":
        return [html.Span(f"导出失败：{job['error']}", className="export-error")]
    if job["state"] == "done":
        return [html.A(f"下载 {job['filename']}", href=job["download_url"], className="export-link",
                       download=job["filename"])]
    percent = round(job["progress"] * 100)
    return [html.Progress(value=str(percent), max="100", className="export-progress"),
            html.Span(f"{job['message']} {percent}%", className="export-message")]


def export_error(message: str) -> list:
    return [html.Span(message, className="export-error")]


def _options(vocabulary: dict[str, str]) -> list[dict]:
    return [{"label": label, "value": code} for code, label in vocabulary.items()]


def dropdown(**props) -> dcc.Dropdown:
    """A dcc.Dropdown with its built-in texts (search, select all, no match) in Chinese."""
    return dcc.Dropdown(labels=DROPDOWN_LABELS, **props)


def filter_bar(basemaps: list[tuple[str, str]]) -> html.Div:
    return html.Div(
        className="filter-bar",
        children=[
            dcc.RadioItems(
                id=ids.PRESET,
                options=[*_options(PRESETS), {"label": "自定义", "value": "custom"}],
                value="30d",
                className="segmented",
                inline=True,
            ),
            dcc.DatePickerRange(id=ids.DATE_RANGE, minimum_nights=0, **DATE_PICKER,
                                start_date_placeholder_text="开始日期", end_date_placeholder_text="结束日期"),
            dropdown(id=ids.KIND, options=_options(KINDS), multi=True, placeholder="诉求类型", className="filter"),
            dropdown(id=ids.CATEGORY, options=[{"label": c.label, "value": c.code} for c in CATEGORIES],
                         multi=True, placeholder="诉求类别", className="filter wide"),
            dropdown(id=ids.SOURCE, options=_options(SOURCES), multi=True, placeholder="来源", className="filter"),
            dropdown(id=ids.STATUS, options=_options(STATUSES), multi=True, placeholder="状态", className="filter"),
            compare_button(),
        ],
    )


def map_panel(basemaps: list[tuple[str, str]]) -> html.Section:
    return html.Section(
        id=ids.MAP_PANEL,
        className="map-panel",
        children=[
            laoshan_map(
                ids.MAP, "map", minZoom=9, maxZoom=18, preferCanvas=False,
                children=[
                    # Below the tile pane (200): tiles cover the vector base, and it shows where they fail.
                    dl.Pane(dl.LayerGroup(id=ids.BASE_PANE), name="vector-base", style={"zIndex": 150}),
                    # Explicit panes fix the stacking order, whatever order layers are (re)added in.
                    dl.Pane(grid_layer(ids.GRID_LAYER, {}), name="grids", style={"zIndex": 410}),
                    dl.Pane(dl.ImageOverlay(id=ids.HEAT_LAYER, url=EMPTY_PNG, bounds=HEAT_BOUNDS, opacity=0.0,
                                            interactive=False), name="heat", style={"zIndex": 420}),
                    dl.Pane(dl.LayerGroup(id=ids.PROFESSIONAL_LAYER), name="professional", style={"zIndex": 430}),
                    dl.Pane(units_layer(ids.UNIT_LAYER), name="units", style={"zIndex": 440}),
                    # Above the units: a click on a hot grid opens its evidence; only hot grids are drawn.
                    dl.Pane(hotspot_layer(ids.HOTSPOT_LAYER), name="hotspots",
                            style={"zIndex": 445}),
                    dl.Pane(outline_layer(ids.OUTLINE_LAYER), name="outline",
                            style={"zIndex": 450, "pointerEvents": "none"}),
                    dl.Pane(workers_layer(ids.WORKER_POINTS), name="workers", style={"zIndex": 460}),
                    dl.ScaleControl(position="bottomleft", imperial=False),
                ],
            ),
            html.Div(
                className="map-toolbar",
                children=[
                    dropdown(id=ids.METRIC, options=[{"label": f"网格着色：{v[0]}", "value": k} for k, v in METRICS.items()],
                                 value="density", clearable=False, className="toolbar-select"),
                    dcc.Checklist(id=ids.LAYERS, options=_options(LAYERS), value=list(DEFAULT_LAYERS), inline=True,
                                  className="layer-toggles"),
                    dropdown(id=ids.PROFESSIONAL, options=_options(PROFESSIONAL_TYPES), placeholder="专业网格叠加",
                                 className="toolbar-select"),
                    dropdown(id=ids.BASEMAP, options=[{"label": label, "value": code} for code, label in basemaps],
                                 value=basemaps[0][0], clearable=False, className="toolbar-select"),
                ],
            ),
            # Native <details>: the legend folds and unfolds with no round trip, and stays as the user left it.
            html.Details(id=ids.MAP_LEGEND_BOX, className="map-legend-box", open=True, children=[
                html.Summary("图例", className="legend-toggle", title="收起或展开图例"),
                html.Div(id=ids.MAP_LEGEND, className="map-legend"),
                html.Div(id=ids.HOTSPOT_LEGEND, className="map-legend"),
            ]),
            playback_bar(),
            html.Div(id=ids.MAP_INFO, className="map-info", hidden=True),
            # The whole panel (map, toolbar, legend) goes full screen; assets/map.js does it and resizes the map.
            html.Button(id=ids.MAP_FULLSCREEN, className="map-fullscreen", title="全屏", **{"aria-label": "全屏"}),
        ],
    )


def side_panels() -> html.Aside:
    return html.Aside(
        className="side",
        children=[
            html.H2(id=ids.SCOPE_TITLE, className="scope-title"),
            dcc.Loading(html.Div(id=ids.KPI_CARDS, className="kpi-grid", children=kpi_placeholders()), type="dot"),
            card("最新诉求（当前范围、时段、筛选）", html.Ul(id=ids.TICKER, className="ticker", children=[empty_state("暂无新诉求")])),
            proactive_card(),
            forecast_card(),
            card("受理与办结趋势", dcc.Loading(dcc.Graph(id=ids.TREND, config={"displayModeBar": False}, className="chart"))),
            card("下级单位排名（按办结率，低者在前；点击下钻）", dcc.Loading(html.Div(id=ids.RANKING))),
            # Donuts pair up; bar charts take the full width, so their labels and counts fit whole.
            html.Div(
                className="two-col",
                children=[
                    card("诉求类型", dcc.Graph(id=ids.BREAKDOWN_KIND, config={"displayModeBar": False}, className="chart small")),
                    card("处置层级", dcc.Graph(id=ids.ESCALATION, config={"displayModeBar": False}, className="chart small")),
                ],
            ),
            card("来源渠道", dcc.Graph(id=ids.BREAKDOWN_SOURCE, config={"displayModeBar": False}, className="chart small")),
            card("诉求类别前十位", dcc.Graph(id=ids.BREAKDOWN_CATEGORY, config={"displayModeBar": False}, className="chart")),
            card("办理流程", dcc.Graph(id=ids.FUNNEL, config={"displayModeBar": False}, className="chart small")),
        ],
    )


def grid_section() -> html.Section:
    """Shown at grid level: the grid's profile, its appeals and an appeal's timeline."""
    return html.Section(
        id=ids.GRID_SECTION,
        className="grid-section",
        hidden=True,
        children=[
            card("网格概况", html.Div(id=ids.GRID_PROFILE)),
            card(
                "诉求列表（个人信息已脱敏，点击查看办理过程）",
                html.Div([html.Div(id=ids.APPEAL_NOTE, className="muted"), dag.AgGrid(
                    id=ids.APPEAL_TABLE,
                    columnDefs=APPEAL_COLUMNS,
                    rowData=[],
                    defaultColDef={"sortable": True, "resizable": True, "filter": True},
                    getRowId="params.data.id",
                    dashGridOptions={"pagination": True,
                                     "paginationPageSize": 20, "localeText": GRID_LOCALE_TEXT},
                    style={"height": "420px"},
                    className="ag-theme-quartz",
                )]),
            ),
            card("办理过程", html.Div(id=ids.TIMELINE, children=empty_state("点击列表中的诉求查看办理过程"))),
        ],
    )


APPEAL_COLUMNS = [
    {"field": "id", "headerName": "编号", "width": 90},
    {"field": "accepted_at", "headerName": "受理时间", "width": 150},
    {"field": "category_label", "headerName": "类别", "width": 110},
    # Titles wrap rather than end in "…": the whole title is what a row is about.
    {"field": "title", "headerName": "标题", "flex": 1, "minWidth": 200, "wrapText": True, "autoHeight": True},
    {"field": "status_label", "headerName": "状态", "width": 90},
    {"field": "handling_level_label", "headerName": "处置层级", "width": 112},
    {"field": "source_label", "headerName": "来源", "width": 120},
    {"field": "reporter_name", "headerName": "诉求人", "width": 90},
    {"field": "reporter_phone", "headerName": "电话", "width": 130},
]


def card(title: str, body) -> html.Div:
    return html.Div(className="card", children=[html.H3(title, className="card-title"), body])


def empty_state(text: str) -> html.Div:
    return html.Div(text, className="empty-state")


def kpi_placeholders() -> list[html.Div]:
    return [kpi_card(key, "—") for key in KPI_LABELS]


def kpi_card(key: str, value: str, deltas: list[tuple[str, str]] = (), note: str = "") -> html.Div:
    """``deltas`` are (text, trend) for 环比 and 同比; trend is "up-good", "down-bad", …, "flat", "none" or ""."""
    label, unit = KPI_LABELS[key]
    return html.Div(
        className="kpi-card",
        id=ids.kpi_card(key),
        title=note,
        children=[
            html.Div(label, className="kpi-label"),
            html.Div([html.Span(value, className="kpi-value"), html.Span(unit, className="kpi-unit")]),
            *(html.Div(text, className=f"kpi-delta {trend}".strip()) for text, trend in deltas),
        ],
    )


def breadcrumbs(crumbs: list[tuple[str, str | None]]) -> list:
    """(label, href) pairs; the last is the current unit and has no link."""
    out = []
    for i, (label, href) in enumerate(crumbs):
        if i:
            out.append(html.Span("›", className="crumb-sep"))
        out.append(dcc.Link(label, href=href, className="crumb") if href else html.Span(label, className="crumb current"))
    return out


def ticker_rows(rows: list[dict]) -> list:
    """The newest appeals: time, street, category and title only; Dash escapes the text."""
    if not rows:
        return [empty_state("暂无新诉求")]
    return [
        html.Li(className="ticker-row", key=str(r["id"]), children=[
            html.Span(r["time"], className="ticker-time"),
            html.Span(r["street"], className="ticker-street"),
            html.Span(r["category"], className="ticker-category"),
            html.Span(r["title"], className="ticker-title", title=r["title"]),
        ])
        for r in rows
    ]


def live_indicator(updated: str, ok: bool) -> list:
    return [html.Span(className="live-dot" + ("" if ok else " down")), f"实时 · 更新于 {updated}"]
