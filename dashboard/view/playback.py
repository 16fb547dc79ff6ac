"""回放: the heat layer stepped through the view's window, a day (or a week) at a time.

A step is just a shorter window in the heat image's URL, so every step's image
is cached by the browser and the server like any other view. The colour scale
is held for the whole playback: the peak of the busiest step (``peak_from`` /
``peak_to`` in the image URL name the window whose steps set it), so a pale
step is a quiet one, not a rescaled one.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from urllib.parse import urlencode

from dashboard.view.data import cached, heat_cells, scale_reference
from dashboard.view.mapview import layer_urls
from dashboard.view.shared_cache import ViewCache
from dashboard.view.state import ViewState
from dashboard.view.text import window_text
from geo.access import Viewer
from geo.scope import InvalidQuery, Window
from geo.store.store import Store
from layers import heat as heat_layer

#: A window longer than this many days steps (and 对比 draws its trend) by week.
WEEKLY_AFTER_DAYS = 60
#: The longest window that plays back (a year of weeks); longer ones would cost a query per step for nothing.
MAX_DAYS = 366
STEP_LABELS = {"day": "日", "week": "周"}


def step_of(days: int) -> str:
    """"day" or "week": how finely a window of ``days`` is stepped."""
    return "week" if days > WEEKLY_AFTER_DAYS else "day"


def steps(window: Window) -> list[Window]:
    """The window cut into days, or weeks from its first day (the last week may be short)."""
    days = (window.end - window.start).days
    size = 7 if step_of(days) == "week" else 1
    out = []
    start = window.start
    while start < window.end:
        end = min(start + timedelta(days=size), window.end)
        out.append(Window(start, end))
        start = end
    return out


def playable(window: Window) -> bool:
    return 2 <= (window.end - window.start).days <= MAX_DAYS


def step_text(window: Window, index: int, total: int, step: str) -> str:
    """"2026-11-03（第 1/30 日）": the step's dates, both ends inclusive, and where it is in the playback."""
    days = (window.end - window.start).days
    dates = window.start.isoformat() if days == 1 else window_text(window)
    short = f"，仅 {days} 天" if step == "week" and days < 7 else ""
    return f"{dates}（第 {index + 1}/{total} {STEP_LABELS[step]}{short}）"


def playback_peak(store: Store, state: ViewState, viewer: Viewer, cache: ViewCache | None = None) -> float:
    """The colour scale of a playback of ``state.window`` (appeals/km²): the busiest step's peak.

    Steps are scaled like the view itself (a community like its street, :func:`scale_reference`).
    """
    if not playable(state.window):
        raise InvalidQuery(f"回放的时间范围须为 2–{MAX_DAYS} 天")
    reference = scale_reference(state, viewer)

    def compute():
        mask = store.land_mask()
        return max(heat_layer.peak_per_km2(heat_cells(store, replace(reference, window=w), viewer, cache), mask)
                   for w in steps(state.window))

    return cached(cache, store, "playback_peak", viewer, reference.scope, (state.window, state.filters), compute)


def step_heat_url(state: ViewState, step: Window, data_version: str) -> str:
    """The heat image of one step, scaled for the playback of the view's whole window."""
    url = layer_urls(replace(state, window=step, compare=(), appeal=None), "wgs84", data_version)["heat"]
    return url + "&" + urlencode({"peak_from": state.window.start.isoformat(), "peak_to": state.window.end.isoformat()})
