"""Side panels follow the URL: title, breadcrumbs, KPI cards with ↑/↓, charts and the ranking."""

from __future__ import annotations

from dash import Input, Output, html

from dashboard.services import current_viewer, get_cache, get_store
from dashboard.ui import figures, ids, page
from dashboard.view.data import gather, panels, ranking, summary
from dashboard.view.guards import keep_on_outage, view_state
from dashboard.view.state import ViewState
from dashboard.view.text import as_of_text, window_text
from geo import clock
from geo.access import Viewer
from geo.domain import LEVEL_LABELS
from geo.scope import Scope


def scope_href(state: ViewState, level: str, code: str) -> str:
    """The dashboard URL of another unit with the same window, filters and layers."""
    return "/" + state.with_scope(Scope(level, code)).to_search()


def crumbs(state: ViewState, lineage: list[dict], viewer: Viewer) -> list[tuple[str, str | None]]:
    """Breadcrumbs; units above what the viewer may see are named but not links (they would be refused)."""
    out = []
    for i, unit in enumerate(lineage):
        link = i < len(lineage) - 1 and viewer.sees(Scope(unit["level"], unit["code"]))
        out.append((unit["name"], scope_href(state, unit["level"], unit["code"]) if link else None))
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
        store, cache, viewer = get_store(), get_cache(), current_viewer()
        state = view_state(search, store, viewer)
        as_of = clock.view_as_of()
        head, data, rows = gather(lambda: summary(store, state, as_of, viewer, cache),
                                  lambda: panels(store, state, as_of, viewer, cache),
                                  lambda: ranking(store, state, as_of, viewer, cache))
        figs = figures.panel_figures(data)
        title = [html.Span(LEVEL_LABELS[state.scope.level], className="level-badge"), head["name"],
                 html.Span(window_text(state.window), className="window-text")]
        return (
            title,
            page.breadcrumbs(crumbs(state, head["lineage"], viewer)),
            figures.kpi_cards(head),
            figs["trend"],
            figs["kind"],
            figs["source"],
            figs["category"],
            figs["funnel"],
            figs["handling_level"],
            figures.ranking_table(rows, lambda level, code: scope_href(state, level, code)),
            as_of_text(head["as_of"]),
        )
