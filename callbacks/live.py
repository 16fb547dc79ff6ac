"""The dashboard's live poll: new appeals re-run the panels and the ticker, moved workers are patched in.

The decision is :func:`dashboard.view.live.poll`'s; this module only wires it
to the page's components.
"""

from __future__ import annotations

from dash import Input, Output, no_update

from dashboard.services import current_viewer, get_store, live_versions
from dashboard.ui import ids, page
from dashboard.view import live
from dashboard.view.data import ticker
from dashboard.view.guards import view_state
from geo import clock


def register(app) -> None:
    @app.callback(
        *ids.PAGE_POLL.outputs(),
        Output(ids.TICKER, "children"),
        Output(ids.LIVE_INDICATOR, "children"),
        Input(ids.LIVE_TICK, "n_intervals"),
        Input(ids.URL, "search"),
        *ids.PAGE_POLL.states(),
        prevent_initial_call="initial_duplicate",
    )
    def poll(_tick, search, last, index, refreshes):
        store, viewer = get_store(), current_viewer()
        state = view_state(search)  # the URL alone; the store is asked inside the poll, where an outage is handled

        def read(changes: live.Changes):
            view = view_state(search, store, viewer)  # the unit exists and the viewer may see it
            rows = ticker(store, view, viewer) if changes.data else None
            moved = live.worker_patch(store, view.scope, index, viewer) if changes.positions else (no_update,) * 2
            return rows, moved

        # A new scope, window or filter is a new view: its ticker is read afresh.
        result = live.poll(last, live_versions, read, clock.local_now(), key=state.data_search())
        if not result.ok:
            return *result.outputs(refreshes), no_update, page.live_indicator(result.updated or "—", ok=False)
        rows, moved = result.payload
        return (*result.outputs(refreshes, moved, ("", True)),
                page.ticker_rows(rows) if rows is not None else no_update, page.live_indicator(result.updated, ok=True))
