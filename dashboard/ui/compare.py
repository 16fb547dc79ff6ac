"""对比: the button and the panel that puts 2–4 units side by side (pure layout; its contents: compare_figures)."""

from __future__ import annotations

from dash import dcc, html

from dashboard.ui import ids
from dashboard.view.state import COMPARE_MAX
from geo.domain import LEVEL_LABELS

#: The picker's own texts in Chinese (Dash's dropdown defaults are English: "3 selected").
PICK_LABELS = {"select_all": "全选", "deselect_all": "取消全选", "selected_count": "已选 {num_selected} 个",
               "search": "搜索", "clear_search": "清除搜索", "clear_selection": "清除选择", "no_options_found": "无匹配单位"}


def compare_button() -> html.Button:
    return html.Button("对比", id=ids.COMPARE_OPEN, className="export-button compare-open",
                       title=f"选择 2–{COMPARE_MAX} 个同级单位并排比较指标与趋势")


def compare_panel() -> html.Section:
    """Hidden until opened or until the URL names units to compare."""
    return html.Section(id=ids.COMPARE_PANEL, className="compare-panel", hidden=True, role="dialog",
                        **{"aria-label": "单位对比"}, children=[
        html.Div(className="compare-head", children=[
            html.H3("单位对比", className="card-title"),
            dcc.RadioItems(id=ids.COMPARE_LEVEL, options=[], inline=True, className="segmented compare-level"),
            dcc.Dropdown(id=ids.COMPARE_PICK, options=[], multi=True, className="compare-pick", labels=PICK_LABELS,
                         placeholder=f"选择 2–{COMPARE_MAX} 个单位"),
            html.Button("关闭", id=ids.COMPARE_CLOSE, className="export-button"),
        ]),
        html.Div(id=ids.COMPARE_BODY, className="compare-body"),
    ])


def level_options(levels: list[str]) -> list[dict]:
    return [{"label": LEVEL_LABELS[level], "value": level} for level in levels]


def compare_hint(text: str) -> html.Div:
    return html.Div(text, className="empty-state")
