"""回放: step the heat layer through the window; 播放 advances a step per tick and stops at the end.

The logic is in dashboard/view/playback.py; this module turns clicks and ticks into a slider position,
and a slider position into the step's heat image URL.
"""

from __future__ import annotations

from dash import Input, Output, State, ctx, no_update

from dashboard.services import current_viewer, get_cache, get_store, live_versions
from dashboard.ui import ids
from dashboard.ui.playback import slider_marks
from dashboard.view.guards import keep_on_outage, view_state
from dashboard.view.mapview import layer_urls
from dashboard.view.playback import (
    STEP_LABELS,
    playable,
    playback_peak,
    step_heat_url,
    step_of,
    step_text,
    steps,
)
from dashboard.view.text import window_text


def play_step(toggle: bool, value, total, stopped) -> tuple:
    """(interval disabled, button text, slider value) after a click on 播放/暂停 (``toggle``) or a tick.

    Slider values 0 … total-1 are steps, ``total`` is the whole window. Playing starts where the slider
    is (from the first step if it is at the end or on 全程) and stops on the last step.
    """
    if not isinstance(total, int) or total < 1 or not isinstance(value, int) or isinstance(value, bool):
        return True, "播放", no_update
    last = total - 1
    if toggle:
        if stopped:
            return False, "暂停", 0 if value >= last else value
        return True, "播放", no_update
    if stopped:
        return no_update, no_update, no_update
    following = min(value + 1, last)
    return (True, "播放", following) if following >= last else (False, "暂停", following)


def register(app) -> None:
    @app.callback(
        Output(ids.PLAYBACK, "hidden"),
        Output(ids.PLAYBACK_SLIDER, "max"),
        Output(ids.PLAYBACK_SLIDER, "marks"),
        Output(ids.PLAYBACK_SLIDER, "value"),
        Output(ids.PLAYBACK_TICK, "disabled"),
        Output(ids.PLAYBACK_PLAY, "children"),
        Input(ids.URL, "search"),
    )
    @keep_on_outage
    def setup(search):
        """A new view starts on 全程, paused."""
        state = view_state(search, get_store(), current_viewer())
        if "heat" not in state.layers or not playable(state.window):
            return True, 1, {}, 1, True, "播放"
        total = len(steps(state.window))
        return False, total, slider_marks(total), total, True, "播放"

    @app.callback(
        Output(ids.PLAYBACK_TICK, "disabled", allow_duplicate=True),
        Output(ids.PLAYBACK_PLAY, "children", allow_duplicate=True),
        Output(ids.PLAYBACK_SLIDER, "value", allow_duplicate=True),
        Input(ids.PLAYBACK_PLAY, "n_clicks"),
        Input(ids.PLAYBACK_TICK, "n_intervals"),
        State(ids.PLAYBACK_SLIDER, "value"),
        State(ids.PLAYBACK_SLIDER, "max"),
        State(ids.PLAYBACK_TICK, "disabled"),
        prevent_initial_call=True,
    )
    def play(_clicks, _ticks, value, total, stopped):
        return play_step(ctx.triggered_id == ids.PLAYBACK_PLAY, value, total, stopped)

    @app.callback(
        Output(ids.HEAT_LAYER, "url", allow_duplicate=True),
        Output(ids.PLAYBACK_LABEL, "children"),
        Input(ids.PLAYBACK_SLIDER, "value"),
        State(ids.URL, "search"),
        prevent_initial_call=True,
    )
    @keep_on_outage
    def show_step(value, search):
        store, viewer = get_store(), current_viewer()
        state = view_state(search, store, viewer)
        if "heat" not in state.layers or not playable(state.window):
            return no_update, ""
        parts = steps(state.window)
        version = live_versions()["data"]
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < len(parts):
            return layer_urls(state, "wgs84", version)["heat"], f"全程 {window_text(state.window)}"
        step = step_of((state.window.end - state.window.start).days)
        peak = playback_peak(store, state, viewer, get_cache())
        label = (f"回放 {step_text(parts[value], value, len(parts), step)} · "
                 f"每{STEP_LABELS[step]}色阶固定（高约 {peak:,.0f} 件/km²）")
        return step_heat_url(state, parts[value], version), label
