"""Side panels follow the URL: title, breadcrumbs, KPI cards with ↑/↓, charts and the ranking."""

from __future__ import annotations

from dash import Input, Output, html

from dashboard import figures, ids, layout
from dashboard.api import get_cache, get_store, viewer_scope
from dashboard.state import ViewState, window_text
from dashboard.views import gather, keep_on_outage, now, panels, ranking, summary, view_state
from geo.domain import LEVEL_LABELS
from geo.scope import Scope


def scope_href(state: ViewState, level: str, code: str) -> str:
    """The dashboard URL of another unit with the same window, filters and layers."""
    return "/" + state.with_scope(Scope(level, code)).to_search()


def crumbs(state: ViewState, lineage: list[dict]) -> list[tuple[str, str | None]]:
    out = []
    for i, unit in enumerate(lineage):
        last = i == len(lineage) - 1
        out.append((unit["name"], None if last else scope_href(state, unit["level"], unit["code"])))
    return out


def register(app) -> None:
    @app.callback(
        Output(ids.SCOPE_TITLE, "children"),
        Output(ids.BREADCRUMBS, "children"),
        Output(ids.KPI_CARDS, "children"),
        Output(ids.TREND, "figure"),
        Output(ids.BREAKDOWN_KIND, "figure"),
        Output(ids.BREAKDOWN_SOURCE, "figure"),
        Output(ids.BREAKDOWN_CATEGORY, "figure"),
        Output(ids.FUNNEL, "figure"),
        Output(ids.ESCALATION, "figure"),
        Output(ids.RANKING, "children"),
        Output(ids.DATA_AS_OF, "children"),
        Input(ids.URL, "search"),
        Input(ids.REFRESH, "n_intervals"),
    )
    @keep_on_outage
    def update_panels(search, _tick):
        store, cache = get_store(), get_cache()
        state = view_state(search, store, viewer_scope())
        as_of = now()
        head, data, rows = gather(lambda: summary(store, state, as_of, cache), lambda: panels(store, state, as_of, cache),
                                  lambda: ranking(store, state, as_of, cache))
        figs = figures.panel_figures(data)
        title = [html_level(state), head["name"], html_window(state)]
        return (
            title,
            layout.breadcrumbs(crumbs(state, head["lineage"])),
            figures.kpi_cards(head),
            figs["trend"],
            figs["kind"],
            figs["source"],
            figs["category"],
            figs["funnel"],
            figs["level"],
            figures.ranking_table(rows, lambda level, code: scope_href(state, level, code)),
            f"数据截至 {head['as_of'][:16].replace('T', ' ')}",
        )


def html_level(state: ViewState) -> html.Span:
    return html.Span(LEVEL_LABELS[state.scope.level], className="level-badge")


def html_window(state: ViewState) -> html.Span:
    return html.Span(window_text(state), className="window-text")
