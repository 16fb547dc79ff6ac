"""Component ids, shared by the layout and the callbacks."""

URL = "url"
REFRESH = "refresh-interval"
ERROR_BANNER = "error-banner"
DATA_AS_OF = "data-as-of"
BREADCRUMBS = "breadcrumbs"
SCOPE_TITLE = "scope-title"

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
BASE_PANE = "map-base"
GRID_LAYER = "layer-grids"
UNIT_LAYER = "layer-units"
OUTLINE_LAYER = "layer-outline"
HEAT_LAYER = "layer-heat"
PROFESSIONAL_LAYER = "layer-professional"
MAP_LEGEND = "map-legend"
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
