"""The dashboard's live poll: new appeals re-run the panels and the ticker, moved workers are patched in.

The decision is :func:`dashboard.view.live.poll`'s; this module only wires it
to the page's components.
"""

from __future__ import annotations

from dash import Input, Output, State, no_update

from dashboard.services import get_store, viewer_scope
from dashboard.ui import ids, page
from dashboard.view import live
from dashboard.view.data import ticker
from dashboard.view.guards import view_state
from geo import clock


def register(app) -> None:
    @app.callback(
        Output(ids.LIVE_STATE, "data"),
        Output(ids.REFRESH, "n_intervals", allow_duplicate=True),
        Output(ids.TICKER, "children"),
        Output(ids.WORKER_POINTS, "data", allow_duplicate=True),
        Output(ids.WORKER_INDEX, "data", allow_duplicate=True),
        Output(ids.LIVE_INDICATOR, "children"),
        Output(ids.LIVE_BANNER, "children"),
        Output(ids.LIVE_BANNER, "hidden"),
        Input(ids.LIVE_TICK, "n_intervals"),
        Input(ids.URL, "search"),
        State(ids.LIVE_STATE, "data"),
        State(ids.WORKER_INDEX, "data"),
        State(ids.REFRESH, "n_intervals"),
        prevent_initial_call="initial_duplicate",
    )
    def poll(_tick, search, last, index, refreshes):
        store, viewer = get_store(), viewer_scope()
        state = view_state(search)  # the URL alone; the store is asked inside the poll, where an outage is handled

        def read(changes: live.Changes):
            view_state(search, store, viewer)  # the unit exists and the viewer may see it
            rows = ticker(store, state.scope, viewer) if changes.data else None
            moved = live.worker_patch(store, state.scope, index, viewer) if changes.positions else (no_update,) * 2
            return rows, moved

        result = live.poll(last, store.live_versions, read, clock.local_now(), key=state.scope.code)
        if not result.ok:
            return (result.memory, no_update, no_update, no_update, no_update,
                    page.live_indicator(result.updated or "—", ok=False), live.outage_banner(result.updated), False)
        rows, (points, new_index) = result.payload
        return (
            result.memory,
            live.counter(refreshes) + 1 if result.catch_up else no_update,
            page.ticker_rows(rows) if rows is not None else no_update,
            points,
            new_index,
            page.live_indicator(result.updated, ok=True),
            "",
            True,
        )
