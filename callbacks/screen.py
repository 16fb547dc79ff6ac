"""The big screen follows its URL, its refresh timer and its tour timer, and polls live like the dashboard.

The logic lives in :mod:`dashboard.view.screen` and :mod:`dashboard.view.live`.
"""

from __future__ import annotations

import json

from dash import Input, Output, State, ctx, no_update

from dashboard.services import current_viewer, get_cache, get_store, live_versions
from dashboard.ui import ids
from dashboard.ui import screen as screen_page
from dashboard.view import live, screen
from dashboard.view.data import gather, heat_peak, map_frame, panels, ranking, summary, ticker
from dashboard.view.guards import keep_on_outage
from dashboard.view.mapview import fly_to, layer_urls
from dashboard.view.text import as_of_clock_text, window_text
from geo import clock
from geo.domain import LEVEL_LABELS
from geo.kpis import KPI_LABELS
from layers import workers

#: The browser reports its viewport and the page's computed text size once per page load; chart text takes it.
VIEWPORT_JS = """function (_search) {
    var root = document.querySelector(".screen");
    return {w: window.innerWidth, h: window.innerHeight,
            text: root ? parseFloat(window.getComputedStyle(root).fontSize) : null};
}"""
#: The legend's worker counts, from the layer the markers are drawn from (so they always agree), in
#: WALL_STATUS_STYLE's order; "—" until the layer has come (with the first live poll).
WORKER_COUNTS_JS = """function (data) {
    var order = STATUSES, counts = {};
    ((data && data.features) || []).forEach(function (f) { counts[f.properties.status] = (counts[f.properties.status] || 0) + 1; });
    if (!data || !data.features || !data.features.length) { return order.map(function () { return "—"; }); }
    return order.map(function (status) { return (counts[status] || 0).toLocaleString("en-US"); });
}""".replace("STATUSES", json.dumps(list(workers.WALL_STATUS_STYLE)))


def changed(style: dict, shown):
    """``style``, or no update when the browser already shows it: a new hideout redraws every outline."""
    return no_update if style == shown else style


def register(app) -> None:
    app.clientside_callback(VIEWPORT_JS, Output(ids.SCREEN_VIEWPORT, "data"), Input(ids.SCREEN_URL, "search"))
    app.clientside_callback(
        WORKER_COUNTS_JS,
        [Output(ids.screen_worker_count(status), "children") for status in workers.WALL_STATUS_STYLE],
        Input(ids.SCREEN_WORKERS, "data"),
    )

    @app.callback(
        Output(ids.SCREEN_BANNER, "children"),
        Output(ids.SCREEN_BANNER, "hidden"),
        Output(ids.SCREEN_REFRESH, "interval"),
        Output(ids.SCREEN_TOUR, "interval"),
        Output(ids.SCREEN_TOUR, "disabled"),
        Input(ids.SCREEN_URL, "search"),
    )
    def configure(search):
        query = screen.parse_screen(search, get_store(), current_viewer())
        tour = query.tour or 60
        return query.banner, not query.problems, query.refresh * 1000, tour * 1000, not query.tour

    kpi_outputs = [Output(ids.screen_kpi(key, part), prop) for key in KPI_LABELS
                   for part, prop in (("value", "children"), ("delta", "children"), ("delta", "className"),
                                          ("yoy", "children"), ("yoy", "className"))]

    @app.callback(
        Output(ids.SCREEN_TITLE, "children"),
        Output(ids.SCREEN_WINDOW, "children"),
        Output(ids.SCREEN_AS_OF, "children"),
        *kpi_outputs,
        Output(ids.SCREEN_TREND, "figure"),
        Output(ids.SCREEN_RANKING, "children"),
        Output(ids.SCREEN_RANKING_NOTE, "children"),
        Output(ids.SCREEN_TICKER, "children"),
        Output(ids.SCREEN_MAP, "viewport"),
        Output(ids.SCREEN_HEAT, "url"),
        Output(ids.SCREEN_HEAT_PEAK, "children"),
        Output(ids.SCREEN_WORKER_TITLE, "children"),
        Output(ids.SCREEN_STREETS, "url"),
        Output(ids.SCREEN_STREETS, "hideout"),
        Output(ids.SCREEN_COMMUNITIES, "url"),
        Output(ids.SCREEN_COMMUNITIES, "hideout"),
        Output(ids.SCREEN_PROACTIVE_NOTE, "children"),
        Output(ids.SCREEN_PROACTIVE_COUNTS, "children"),
        Output(ids.SCREEN_PROACTIVE_HOTSPOTS, "children"),
        Input(ids.SCREEN_URL, "search"),
        Input(ids.SCREEN_VIEWPORT, "data"),
        Input(ids.SCREEN_TOUR, "n_intervals"),
        Input(ids.SCREEN_REFRESH, "n_intervals"),
        State(ids.SCREEN_STREETS, "hideout"),
        State(ids.SCREEN_COMMUNITIES, "hideout"),
    )
    @keep_on_outage
    def update(search, browser, tour_ticks, _refresh_ticks, streets_style, communities_style):
        store, cache, viewer = get_store(), get_cache(), current_viewer()
        query = screen.parse_screen(search, store, viewer)
        state = query.state
        if query.tour:
            step = screen.tour_step(tour_ticks)
            state = state.with_scope(screen.tour_scope(screen.tour_stops(store, viewer), state.scope, step))
        as_of = clock.view_as_of()
        head, data, rows, newest, frame, peak, proactive, version = gather(
            lambda: summary(store, state, as_of, viewer, cache),
            lambda: panels(store, state, as_of, viewer, cache),
            lambda: ranking(store, state, as_of, viewer, cache),
            lambda: ticker(store, state, viewer, limit=screen.TICKER_ROWS),
            lambda: map_frame(store, state, viewer, cache),
            lambda: heat_peak(store, state, viewer, cache),
            lambda: screen.proactive(store, state.scope, viewer),
            lambda: live_versions()["data"],
        )
        shown, note = screen.ranking_rows(rows)
        heat_url = f"{layer_urls(state, 'wgs84', version)['heat']}&ramp={screen_page.HEAT_RAMP}"
        scope = state.scope
        street = scope.code[:9] if scope.level != "district" else ""
        streets = {"selected": street}
        communities = {"street": street, "selected": scope.code if scope.level in ("community", "grid") else ""}
        viewport = fly_to(frame["bounds"], padding=32, duration=1.2, max_zoom=15)
        # A refresh tick re-reads the data; only a new scope moves the map. (Both timers can fire in one call.)
        triggers = set(ctx.triggered_prop_ids.values())
        moved = not triggers or triggers != {ids.SCREEN_REFRESH}
        kpis = [text for texts in screen.kpi_texts(head) for text in texts]
        return (
            screen_page.scope_title(LEVEL_LABELS[scope.level], head["name"]),
            window_text(state.window),
            as_of_clock_text(head["as_of"]),
            *kpis,
            screen_page.dark_trend(data["trend"], screen.font_size(browser)),
            screen_page.ranking_body(shown),
            note,
            screen_page.ticker_body(newest),
            viewport if moved else no_update,
            heat_url,
            screen_page.heat_scale(peak),
            screen_page.workers_title(LEVEL_LABELS[viewer.scope.level]),
            screen_page.STREETS_URL,
            changed(streets, streets_style),
            screen_page.COMMUNITIES_URL,
            changed(communities, communities_style),
            screen_page.proactive_note(proactive),
            screen_page.proactive_counts(proactive),
            screen_page.proactive_hotspots(proactive),
        )

    @app.callback(
        *ids.SCREEN_POLL.outputs(),
        Input(ids.LIVE_TICK, "n_intervals"),
        State(ids.SCREEN_URL, "search"),
        *ids.SCREEN_POLL.states(),
        prevent_initial_call="initial_duplicate",
    )
    def poll(_tick, search, last, index, refreshes):
        """New appeals refresh every panel at once; moved workers are patched in place, as the 大屏 role sees them."""
        store, viewer = get_store(), current_viewer()
        wall = screen.wall_viewer(viewer)
        index = live.checked_index(index)

        def read(changes: live.Changes):
            if not index or index.get("scope") != wall.scope.code or live.keys_expired(index):
                return live.worker_layer(store, wall.scope, wall, names=False)  # the whole wall's workers, once
            if changes.positions:
                return live.worker_patch(store, wall.scope, index, wall, names=False)
            return no_update, no_update

        result = live.poll(last, live_versions, read, clock.local_now())
        if not result.ok:
            return result.outputs(refreshes)
        banner = (no_update, no_update)
        if result.recovered:  # back to the URL's own notice, if it has one
            query = screen.parse_screen(search, store, viewer)
            banner = (query.banner, not query.problems)
        return result.outputs(refreshes, result.payload, banner)
