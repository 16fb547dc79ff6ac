"""The header's search box and its result list: pure layout."""

from __future__ import annotations

from dash import dcc, html

from dashboard.ui import ids
from geo.names import MAX_QUERY

RESULT_ICONS = {"appeal": "诉求", "street": "街道", "community": "社区", "grid": "网格"}


def search_box() -> html.Div:
    """A search field; results drop down below it as links (a link keeps the window and filters)."""
    return html.Div(className="search", role="search", children=[
        dcc.Input(id=ids.SEARCH_INPUT, type="search", debounce=0.3, maxLength=MAX_QUERY * 2, autoComplete="off",
                  placeholder="搜索：诉求编号、单位名或拼音首字母", className="search-input"),
        html.Div(id=ids.SEARCH_RESULTS, className="search-results", hidden=True),
        dcc.Store(id=ids.SEARCH_SCROLL),
    ])


def search_results(results: list[dict], hrefs: list[str]) -> list:
    """One link per result; Dash escapes the text (titles come redacted from the store)."""
    if not results:
        return [html.Div("未找到匹配的诉求或单位", className="search-empty")]
    return [html.Ul(className="search-list", children=[
        html.Li(dcc.Link(href=href, className="search-hit", children=[
            html.Span(RESULT_ICONS[r["type"]], className=f"search-kind {r['type']}"),
            html.Span(r["label"], className="search-label"),
            html.Span(r["context"], className="search-context"),
        ])) for r, href in zip(results, hrefs, strict=True)
    ])]
