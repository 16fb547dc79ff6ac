"""Component ids, shared by the layout and the callbacks."""

from __future__ import annotations

from dataclasses import dataclass

from dash import Output, State

URL = "url"
REFRESH = "refresh-interval"
ERROR_BANNER = "error-banner"
DATA_AS_OF = "data-as-of"
BREADCRUMBS = "breadcrumbs"
SCOPE_TITLE = "scope-title"

# 查看完整信息 on one appeal: pattern-matching ids, since the button and the panel come with each timeline.
UNMASK = "unmask"
APPEAL_FULL = "appeal-full"


def unmask_id(appeal) -> dict:
    """The button's id; ``appeal`` is an appeal id as text, or a wildcard (MATCH) in a callback."""
    return {"type": UNMASK, "appeal": appeal}


def appeal_full_id(appeal) -> dict:
    return {"type": APPEAL_FULL, "appeal": appeal}


# Search (header)
SEARCH_INPUT = "search-input"
SEARCH_RESULTS = "search-results"
SEARCH_SCROLL = "search-scroll"

# 对比 (compare units)
COMPARE_OPEN = "compare-open"
COMPARE_PANEL = "compare-panel"
COMPARE_LEVEL = "compare-level"
COMPARE_PICK = "compare-pick"
COMPARE_CLOSE = "compare-close"
COMPARE_BODY = "compare-body"
COMPARE_TABLE = "compare-table"
COMPARE_TREND = "compare-trend"

# 回放 (heat playback)
PLAYBACK = "playback"
PLAYBACK_SLIDER = "playback-slider"
PLAYBACK_PLAY = "playback-play"
PLAYBACK_TICK = "playback-tick"
PLAYBACK_LABEL = "playback-label"

# 未诉先办 (proactive items): the hotspot layer, the list, an item's evidence and its actions, the forecast
HOTSPOT_LAYER = "layer-hotspots"
HOTSPOT_LEGEND = "map-legend-hotspots"
PROACTIVE_RUN = "proactive-run"
PROACTIVE_STATUS = "proactive-status"
PROACTIVE_CATEGORY = "proactive-category"
PROACTIVE_LIST = "proactive-list"
PROACTIVE_SELECTED = "proactive-selected"
PROACTIVE_CHANGED = "proactive-changed"
PROACTIVE_DETAIL = "proactive-detail"
PROACTIVE_BODY = "proactive-body"
PROACTIVE_CLOSE = "proactive-close"
PROACTIVE_ACTIONS = "proactive-actions"
PROACTIVE_REASON = "proactive-reason"
PROACTIVE_MESSAGE = "proactive-message"
FORECAST_CATEGORY = "forecast-category"
FORECAST_CHART = "forecast-chart"
FORECAST_NOTE = "forecast-note"
PROACTIVE_ROW = "proactive-row"
PROACTIVE_ACTION = "proactive-action"


def proactive_row_id(item) -> dict:
    """A list row's id; ``item`` is an item id as text, or a wildcard (ALL) in a callback."""
    return {"type": PROACTIVE_ROW, "item": item}


def proactive_action_id(status) -> dict:
    """An action button's id by the status it moves the item to; or a wildcard (ALL)."""
    return {"type": PROACTIVE_ACTION, "to": status}


# Account
ACCOUNT = "account-name"
LOGOUT = "logout"

# Filters
PRESET = "filter-preset"
DATE_RANGE = "filter-dates"
KIND = "filter-kind"
CATEGORY = "filter-category"
SOURCE = "filter-source"
STATUS = "filter-status"
METRIC = "filter-metric"
LAYERS = "filter-layers"
PROFESSIONAL = "filter-professional"
BASEMAP = "filter-basemap"

# Map
MAP = "map"
MAP_PANEL = "map-panel"
BASE_PANE = "map-base"
GRID_LAYER = "layer-grids"
UNIT_LAYER = "layer-units"
OUTLINE_LAYER = "layer-outline"
#: The URLs the grid, unit and outline layers show (assets/map.js loads them; see callbacks/map.py).
LAYER_SOURCES = "layer-sources"
HEAT_LAYER = "layer-heat"
PROFESSIONAL_LAYER = "layer-professional"
MAP_LEGEND = "map-legend"
MAP_LEGEND_BOX = "map-legend-box"
MAP_FULLSCREEN = "map-fullscreen"
MAP_INFO = "map-info"

# Panels
KPI_CARDS = "kpi-cards"
TREND = "panel-trend"
BREAKDOWN_KIND = "panel-kind"
BREAKDOWN_CATEGORY = "panel-category"
BREAKDOWN_SOURCE = "panel-source"
RANKING = "panel-ranking"
FUNNEL = "panel-funnel"
ESCALATION = "panel-escalation"
GRID_PROFILE = "panel-grid-profile"
APPEAL_TABLE = "panel-appeals"
APPEAL_NOTE = "panel-appeals-note"
TIMELINE = "panel-timeline"
GRID_SECTION = "grid-section"

# Live updates
LIVE_TICK = "live-tick"
LIVE_STATE = "live-state"
LIVE_INDICATOR = "live-indicator"
LIVE_BANNER = "live-banner"
TICKER = "panel-ticker"
WORKER_POINTS = "layer-workers-points"
WORKER_INDEX = "layer-workers-index"

# Exports
EXPORT_PDF = "export-pdf"
EXPORT_PNG = "export-png"
EXPORT_XLSX = "export-xlsx"
EXPORT_JOB = "export-job"
EXPORT_POLL = "export-poll"
EXPORT_STATUS = "export-status"
EXPORT_DOWNLOAD = "export-download"


def kpi_card(key: str) -> str:
    return f"kpi-{key}"


# -- Big screen (/screen/): a second Dash app, so its ids never meet the main page's. --
SCREEN_URL = "screen-url"
SCREEN_ROOT = "screen-root"
SCREEN_VIEWPORT = "screen-viewport"
SCREEN_REFRESH = "screen-refresh"
SCREEN_TOUR = "screen-tour"
SCREEN_BANNER = "screen-banner"
SCREEN_HEADER = "screen-header"
SCREEN_TITLE = "screen-title"
SCREEN_WINDOW = "screen-window"
SCREEN_CLOCK = "screen-clock"
SCREEN_AS_OF = "screen-as-of"
SCREEN_KPIS = "screen-kpis"
SCREEN_MAP_PANEL = "screen-map-panel"
SCREEN_MAP = "screen-map"
SCREEN_STREETS = "screen-streets"
SCREEN_COMMUNITIES = "screen-communities"
SCREEN_HEAT = "screen-heat"
SCREEN_WORKERS = "screen-workers"
SCREEN_TREND_PANEL = "screen-trend-panel"
SCREEN_TREND = "screen-trend"
SCREEN_RANKING_PANEL = "screen-ranking-panel"
SCREEN_RANKING = "screen-ranking"
SCREEN_RANKING_NOTE = "screen-ranking-note"
SCREEN_TICKER_PANEL = "screen-ticker-panel"
SCREEN_TICKER = "screen-ticker"
SCREEN_LIVE = "screen-live"
SCREEN_WORKER_INDEX = "screen-workers-index"
SCREEN_HEAT_PEAK = "screen-heat-peak"
SCREEN_WORKER_COUNTS = "screen-worker-counts"
SCREEN_WORKER_TITLE = "screen-worker-title"


def screen_kpi(key: str, part: str = "card") -> str:
    """Id of a big-screen KPI card or of its ``value`` / ``delta`` part."""
    return f"screen-kpi-{key}" if part == "card" else f"screen-kpi-{key}-{part}"


def screen_worker_count(status: str) -> str:
    """Id of the wall legend's count of workers in ``status``."""
    return f"screen-worker-count-{status}"


@dataclass(frozen=True)
class LiveIds:
    """What a page's live poll reads and writes: its memory between polls, the refresh counter it bumps to
    re-run the panels, the worker layer it patches and that layer's index, the outage banner."""

    memory: str
    refresh: str
    workers: str
    worker_index: str
    banner: str

    def outputs(self) -> list[Output]:
        """memory, refresh count, worker points, worker index, banner text, banner hidden (the panels and the
        map write some of these too)."""
        shared = [(self.refresh, "n_intervals"), (self.workers, "data"), (self.worker_index, "data"),
                  (self.banner, "children"), (self.banner, "hidden")]
        return [Output(self.memory, "data"), *(Output(i, prop, allow_duplicate=True) for i, prop in shared)]

    def states(self) -> list[State]:
        """memory, worker index, refresh count."""
        return [State(self.memory, "data"), State(self.worker_index, "data"), State(self.refresh, "n_intervals")]


PAGE_POLL = LiveIds(LIVE_STATE, REFRESH, WORKER_POINTS, WORKER_INDEX, LIVE_BANNER)
SCREEN_POLL = LiveIds(SCREEN_LIVE, SCREEN_REFRESH, SCREEN_WORKERS, SCREEN_WORKER_INDEX, SCREEN_BANNER)


# -- 大屏 · 未诉先办 panel (kept apart from the blocks above) ---------------------------------------
SCREEN_SIDE = "screen-side"
SCREEN_PROACTIVE_PANEL = "screen-proactive-panel"
SCREEN_PROACTIVE_NOTE = "screen-proactive-note"
SCREEN_PROACTIVE_COUNTS = "screen-proactive-counts"
SCREEN_PROACTIVE_HOTSPOTS = "screen-proactive-hotspots"
