"""回放: the heat layer's playback bar (播放/暂停, a step slider, the step's dates): pure layout."""

from __future__ import annotations

from dash import dcc, html

from dashboard.ui import ids

#: How long each step shows while playing (its image is fetched once, then cached).
STEP_MS = 1500


def playback_bar() -> html.Div:
    """Hidden until the heat layer is on and the window has two or more steps."""
    return html.Div(id=ids.PLAYBACK, className="playback", hidden=True, children=[
        html.Button("播放", id=ids.PLAYBACK_PLAY, className="playback-play", title="逐日（长时段逐周）回放诉求热力"),
        html.Div(dcc.Slider(id=ids.PLAYBACK_SLIDER, min=0, max=1, step=1, value=1, marks=None, updatemode="mouseup",
                            included=False, allow_direct_input=False), className="playback-slider"),
        html.Span(id=ids.PLAYBACK_LABEL, className="playback-label", **{"aria-live": "polite"}),
        dcc.Interval(id=ids.PLAYBACK_TICK, interval=STEP_MS, disabled=True),
    ])


def slider_marks(total: int) -> dict:
    """Only the ends are marked: 起 (the first step) and 全程 (the whole window, one past the last step)."""
    return {0: {"label": "起"}, total: {"label": "全程"}}
