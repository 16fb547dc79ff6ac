"""What a callback that follows the URL does with a bad URL or a database outage: keep what it shows.

A bad URL is the navigation callback's to report (it resets the view); an
outage is the live poll's (it shows the banner and catches up afterwards).
Every other callback just leaves its outputs as they are.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from dash.exceptions import PreventUpdate

from dashboard.view.data import parse_view
from dashboard.view.state import ViewState
from geo.access import Viewer
from geo.scope import InvalidQuery
from geo.store.errors import Forbidden, NotFound, StoreNotReady, StoreUnavailable
from geo.store.store import Store

#: The store is away or not ready: show the last data under a banner and retry.
OUTAGE = (StoreUnavailable, StoreNotReady)


def keep_on_outage(callback: Callable) -> Callable:
    """A callback that leaves its outputs as they are while the database is away."""

    @functools.wraps(callback)
    def wrapper(*args, **kwargs):
        try:
            return callback(*args, **kwargs)
        except OUTAGE:
            raise PreventUpdate from None

    return wrapper


def view_state(search: str | None, store: Store | None = None, viewer: Viewer | None = None) -> ViewState:
    """:func:`~dashboard.view.data.parse_view`, leaving the outputs as they are for a bad or forbidden URL."""
    try:
        return parse_view(search, store, viewer)
    except (InvalidQuery, NotFound, Forbidden):
        raise PreventUpdate from None
