"""The header's search: typed text in, links to what the viewer may see out (logic in dashboard/view/search.py)."""

from __future__ import annotations

import json

from dash import Input, Output, ctx, no_update

from dashboard.services import current_viewer, get_store
from dashboard.ui import ids
from dashboard.ui.search import search_results
from dashboard.view.guards import keep_on_outage, view_state
from dashboard.view.search import result_href, search
from geo.names import clean_query

#: Opening an appeal from the search: bring its timeline (below the map) into view once it is drawn.
SCROLL_TO_TIMELINE = (
    "function(search) {"
    " if (search && /[?&]appeal=/.test(search)) { var tries = 0; var timer = setInterval(function () {"
    " var el = document.getElementById(" + json.dumps(ids.TIMELINE) + ");"
    " if (el && el.offsetParent !== null && el.querySelector('.timeline')) {"
    " clearInterval(timer); el.scrollIntoView({behavior: 'smooth', block: 'center'}); }"
    " else if (++tries > 60) { clearInterval(timer); } }, 250); }"
    " return search || ''; }"
)


def register(app) -> None:
    @app.callback(
        Output(ids.SEARCH_RESULTS, "children"),
        Output(ids.SEARCH_RESULTS, "hidden"),
        Output(ids.SEARCH_INPUT, "value"),
        Input(ids.SEARCH_INPUT, "value"),
        Input(ids.URL, "search"),
        prevent_initial_call=True,
    )
    @keep_on_outage
    def find(text, url_search):
        if ctx.triggered_id == ids.URL:  # a result was opened (or the view changed): close the list
            return [], True, ""
        if not clean_query(text):
            return [], True, no_update
        store, viewer = get_store(), current_viewer()
        state = view_state(url_search, store, viewer)
        results = search(store, text, viewer)
        return search_results(results, [result_href(state, r) for r in results]), False, no_update

    app.clientside_callback(SCROLL_TO_TIMELINE, Output(ids.SEARCH_SCROLL, "data"), Input(ids.URL, "search"))
