"""未诉先办: the side panel's list and forecast, the evidence panel with its actions, the hotspot legend (pure layout).

Everything here turns stored analysis results into components; nothing reads
the store. An item's evidence and the charts: :mod:`dashboard.ui.proactive_figures`.
"""

from __future__ import annotations

from datetime import datetime

from dash import dcc, html

from dashboard.ui import ids
from dashboard.ui.locale import DROPDOWN_LABELS
from geo.analysis.proactive import STATUSES
from geo.domain import CATEGORIES, CATEGORY_LABELS, LEVEL_LABELS, LOCAL_TZ
from layers.hotspots import legend_items

#: The buttons that move an item on: target status → what the button says.
ACTIONS: dict[str, str] = {
    "dispatched": "研判派发",
    "in_progress": "开始处置",
    "resolved": "已化解",
    "rejected": "不采纳",
}
NO_RUN = "尚未运行分析"
NO_ITEMS = "当前范围暂无事项"
#: A chart with nothing drawn yet (no axes, no text): the forecast's placeholder before its first update.
BLANK_FIGURE = {"data": [], "layout": {"height": 240, "xaxis": {"visible": False}, "yaxis": {"visible": False},
                                       "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)"}}


def _options(vocabulary: dict[str, str]) -> list[dict]:
    return [{"label": label, "value": code} for code, label in vocabulary.items()]


def local_minute(when: str | datetime | None) -> str:
    """A stored time (a datetime or ISO text, any offset) as Beijing "YYYY-MM-DD HH:MM"."""
    if not when:
        return "—"
    moment = when if isinstance(when, datetime) else datetime.fromisoformat(when)
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def number(value: float | None, digits: int = 1) -> str:
    """A count or a decimal as the panels print it: separators, no trailing ".0" on whole numbers."""
    if value is None:
        return "—"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.{digits}f}"


# -- the side panel -----------------------------------------------------------------


def proactive_card() -> html.Div:
    """未诉先办 for the current scope: when the analysis ran, filters by status and category, the list."""
    return html.Div(className="card proactive-card", children=[
        html.H3("未诉先办（当前范围及下辖单位）", className="card-title"),
        html.Div(id=ids.PROACTIVE_RUN, className="muted proactive-run"),
        html.Div(className="proactive-filters", children=[
            dcc.Dropdown(id=ids.PROACTIVE_STATUS, options=_options(STATUSES), multi=True, placeholder="事项状态",
                         labels=DROPDOWN_LABELS, className="filter"),
            dcc.Dropdown(id=ids.PROACTIVE_CATEGORY, options=[{"label": c.label, "value": c.code} for c in CATEGORIES],
                         placeholder="诉求类别", labels=DROPDOWN_LABELS, className="filter wide"),
        ]),
        dcc.Loading(html.Div(id=ids.PROACTIVE_LIST, className="proactive-list", children=[empty(NO_RUN)]), type="dot"),
        dcc.Store(id=ids.PROACTIVE_SELECTED),
        dcc.Store(id=ids.PROACTIVE_CHANGED, data=0),
    ])


def forecast_card() -> html.Div:
    """The next weeks' forecast of one category for the current street (or the district)."""
    return html.Div(className="card", children=[
        html.H3("季节预测（每周受理量，含 80% 与 95% 区间）", className="card-title"),
        html.Div(className="proactive-filters", children=[
            dcc.Dropdown(id=ids.FORECAST_CATEGORY, options=[{"label": c.label, "value": c.code} for c in CATEGORIES],
                         placeholder="诉求类别", clearable=False, labels=DROPDOWN_LABELS, className="filter wide"),
            html.Span(id=ids.FORECAST_NOTE, className="muted"),
        ]),
        dcc.Graph(id=ids.FORECAST_CHART, config={"displayModeBar": False}, className="chart",
                  figure=BLANK_FIGURE),
    ])


def detail_panel() -> html.Section:
    """An item's evidence over the map, with the buttons that move it on; hidden until an item or hotspot is opened."""
    return html.Section(id=ids.PROACTIVE_DETAIL, className="proactive-detail", hidden=True, role="dialog",
                        **{"aria-label": "未诉先办事项依据"}, children=[
        html.Div(className="proactive-head", children=[
            html.H3("未诉先办 · 事项依据", className="card-title"),
            html.Button("关闭", id=ids.PROACTIVE_CLOSE, className="export-button"),
        ]),
        html.Div(id=ids.PROACTIVE_BODY),
        html.Div(id=ids.PROACTIVE_ACTIONS, className="proactive-actions", hidden=True, children=[
            *(html.Button(label, id=ids.proactive_action_id(status), className=f"export-button action-{status}",
                          hidden=True) for status, label in ACTIONS.items()),
            dcc.Input(id=ids.PROACTIVE_REASON, type="text", maxLength=500, debounce=False, value="",
                      placeholder="处理说明或理由（不采纳必填）", className="proactive-reason"),
        ]),
        html.Div(id=ids.PROACTIVE_MESSAGE, className="proactive-message", role="status"),
    ])


def empty(text: str) -> html.Div:
    return html.Div(text, className="empty-state")


def run_text(run: dict | None) -> str:
    """"分析截至 2026-12-01 09:00" of the run the panel shows, or that none has run."""
    if run is None:
        return NO_RUN
    return f"分析截至 {local_minute(run['as_of'])}，仅显示已存结果"


def item_rows(items: list[dict], selected: int | None = None) -> list:
    """The list: each row its list level (区/街道/社区), title, category, status and owner department."""
    if not items:
        return [empty(NO_ITEMS)]
    return [html.Ul(className="proactive-rows", children=[
        html.Li(html.Button(
            id=ids.proactive_row_id(str(item["id"])),
            className="proactive-row" + (" selected" if item["id"] == selected else ""),
            n_clicks=0,
            title="点击查看依据",
            children=[
                html.Span(LEVEL_LABELS.get(item["level"], item["level"]), className=f"pa-level {item['level']}"),
                html.Span(item["title"], className="pa-title"),
                html.Span(className="pa-meta", children=[
                    html.Span(CATEGORY_LABELS.get(item["category"], item["category"]), className="pa-category"),
                    html.Span(STATUSES.get(item["status"], item["status"]), className=f"pa-status {item['status']}"),
                    html.Span(item.get("department") or "—", className="pa-department"),
                ]),
            ],
        ))
        for item in items
    ])]


def list_note(total: int, shown: int) -> str:
    return f"共 {total:,} 项" + (f"，显示前 {shown:,} 项" if total > shown else "")


def hotspot_legend(style: dict, run: dict | None, on: bool) -> list:
    """The hotspot layer's part of the map legend: its patterns on the map (and how many grids each), or why none."""
    if not on:
        return []
    items = [html.Div("新兴热点（点击网格查看依据）", className="legend-title")]
    rows = legend_items(style)
    if run is None:
        items.append(html.Div(NO_RUN, className="legend-row legend-note"))
    elif not rows:
        items.append(html.Div("当前范围暂无热点", className="legend-row legend-note"))
    items += [html.Div([html.Span(className="swatch hot", style={"background": color}), f"{label}（{n} 个网格）"],
                       className="legend-row") for color, label, n in rows]
    return items
