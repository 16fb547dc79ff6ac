"""Big-screen mode (``/screen/``): its query, the auto-tour, text sizes and what its panels show.

Plain functions only, so they are unit-tested without a browser. Everything the
browser sends is validated here again: the screen runs unattended, so a bad
link must degrade to the default view with a notice, never to an error page.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from urllib.parse import parse_qs

from dashboard.view import proactive as proactive_view
from dashboard.view.data import parse_view
from dashboard.view.state import ViewState
from dashboard.view.text import format_kpi, kpi_deltas
from geo.access import Viewer
from geo.kpis import KPI_LABELS
from geo.scope import InvalidQuery, Scope, param_label, quoted
from geo.store.errors import Forbidden, NotFound
from geo.store.store import Store

#: Where the big-screen app is mounted on the dashboard's Flask server.
PATH = "/screen/"
#: Accepted seconds for ``tour`` (0 or absent: off) and ``refresh``.
TOUR_RANGE = (5, 3600)
REFRESH_RANGE = (5, 3600)
DEFAULT_REFRESH = 60
#: Fixed row counts: the panels are sized for them, and a bounded DOM keeps a days-long run flat.
TICKER_ROWS = 10
RANKING_ROWS = 8
#: Hotspot rows of the 未诉先办 panel: all on ultra-wide walls, the first three at 16:9 (assets/screen.css).
HOTSPOT_ROWS = 5
#: Longer queries are not links anybody typed.
MAX_QUERY = 2000
#: Plotly sizes text in px: the chart takes the page's text size as the browser computed it from screen.css's
#: type scale (the one place the wall's sizes are set); a size outside these bounds is no real browser's.
FONT_RANGE = (6, 400)
DEFAULT_FONT = 24


def wall_viewer(viewer: Viewer) -> Viewer:
    """Who the wall reads grid workers as: the 大屏 role, whoever signed the wall in, because it hangs where
    the public can see it (no worker ids or names in the page, positions to about 100 m)."""
    return Viewer("screen", viewer.scope, viewer.user)


@dataclass(frozen=True)
class ScreenQuery:
    """A validated big-screen URL: the dashboard view plus the screen's own timers."""

    state: ViewState
    tour: int = 0
    refresh: int = DEFAULT_REFRESH
    problems: tuple[str, ...] = ()

    @property
    def banner(self) -> str:
        return "链接参数有误，已改用默认值：" + "；".join(self.problems) if self.problems else ""


def parse_seconds(raw: list[str] | None, name: str, default: int, bounds: tuple[int, int],
                  zero_is_off: bool = False) -> tuple[int, str | None]:
    """A whole number of seconds within ``bounds`` (or 0 when allowed), else the default and why."""
    if not raw or raw == [""]:
        return default, None
    if len(raw) > 1:
        return default, f"{param_label(name)}重复"
    text = raw[0].strip()
    if not re.fullmatch(r"[0-9]{1,6}", text):
        return default, f"{param_label(name)}应为整数秒，收到{quoted(text, 20)}"
    value = int(text)
    if zero_is_off and value == 0:
        return 0, None
    low, high = bounds
    if not low <= value <= high:
        return default, f"{param_label(name)} {value} 秒超出范围 {low}–{high} 秒" + ("（0 为关闭）" if zero_is_off else "")
    return value, None


def parse_screen(search: str | None, store: Store | None = None, viewer: Viewer | None = None) -> ScreenQuery:
    """The screen's URL query: the dashboard's view (``parse_view``) plus ``tour`` and ``refresh``.

    Never raises for bad input: each bad part falls back to its default and is named in ``problems``.
    """
    search = search or ""
    if not isinstance(search, str) or len(search) > MAX_QUERY:
        return ScreenQuery(parse_view("", None, viewer), problems=("链接过长或格式无效",))
    params = parse_qs(search.lstrip("?"), keep_blank_values=True)
    problems = []
    tour, problem = parse_seconds(params.get("tour"), "tour", 0, TOUR_RANGE, zero_is_off=True)
    problems += [problem] if problem else []
    refresh, problem = parse_seconds(params.get("refresh"), "refresh", DEFAULT_REFRESH, REFRESH_RANGE)
    problems += [problem] if problem else []
    try:
        state = parse_view(search, store, viewer)
    except (InvalidQuery, NotFound, Forbidden) as exc:
        problems.append(str(exc))
        state = parse_view("", None, viewer)  # the viewer's own unit
    return ScreenQuery(state, tour, refresh, tuple(problems))


def tour_stops(store: Store, viewer: Viewer) -> list[Scope]:
    """The auto-tour's stops: the viewer's unit, then each of its child units (the district's streets)."""
    return [viewer.scope, *(unit.scope for unit in store.children(viewer.scope, viewer))]


def tour_step(n_intervals) -> int:
    """The tour's tick count from the browser: a non-negative int, anything else counts as 0."""
    if isinstance(n_intervals, bool) or not isinstance(n_intervals, int) or n_intervals < 0:
        return 0
    return n_intervals


def tour_scope(stops: list[Scope], start: Scope, step: int) -> Scope:
    """The scope shown after ``step`` tour ticks: the link's own scope first, then round the stops."""
    if step == 0 or not stops:
        return start
    offset = stops.index(start) if start in stops else 0
    return stops[(offset + step) % len(stops)]


def font_size(viewport) -> int:
    """Chart text size (px) from the browser's ``{"text": px}`` (the page's body text), rounded up."""
    text = viewport.get("text") if isinstance(viewport, dict) else None
    if isinstance(text, bool) or not isinstance(text, (int, float)) or not FONT_RANGE[0] <= text <= FONT_RANGE[1]:
        return DEFAULT_FONT
    return math.ceil(text)


def kpi_texts(summary: dict) -> list[tuple[str, str, str, str, str]]:
    """(value, 环比, its class, 同比, its class) per KPI, in card order: the main page's formatting."""
    out = []
    for key in KPI_LABELS:
        # A wall card is too narrow for "环比 ↓ 10.7 个百分点" at wall size: the panel's head says once that
        # the first line is 环比 and the second 同比, and the cards drop the word.
        (mom, mom_trend), (yoy, yoy_trend) = ((text.split(" ", 1)[1], trend) for text, trend in kpi_deltas(key, summary))
        out.append((format_kpi(key, summary["kpis"][key]), mom, f"screen-kpi-delta {mom_trend}".strip(),
                    yoy, f"screen-kpi-delta {yoy_trend}".strip()))
    return out


def ranking_rows(rows: list[dict]) -> tuple[list[dict], str]:
    """The worst ``RANKING_ROWS`` child units (the ranking is worst first) and a note saying how many exist."""
    if not rows:
        return [], "当前层级没有下级单位"
    shown = rows[:RANKING_ROWS]
    if len(rows) > len(shown):
        return shown, f"共 {len(rows)} 个，显示办结率最低的 {len(shown)} 个"
    return shown, f"共 {len(rows)} 个，按办结率由低到高"


def proactive(store: Store, scope: Scope, viewer: Viewer) -> proactive_view.Summary:
    """The 未诉先办 panel's numbers for the scope shown: open items per list and the strongest active hotspots,
    read as the 大屏 role (counts and places only: no item, no person)."""
    return proactive_view.summary(store, scope, wall_viewer(viewer), limit=HOTSPOT_ROWS)
