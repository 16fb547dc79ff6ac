"""The dashboard's view state, and its round trip through the URL query.

The URL is the single source of truth: every panel, layer and export reads
the same ``ViewState``, so a deep link reopens exactly the same view and the
browser's back/forward buttons just work. Query names match ``/api/kpis``
(``scope``, ``id``, ``from``, ``to``) plus the filters.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from urllib.parse import parse_qs, urlencode

from dashboard.config import TILE_PROVIDER_CODES
from geo.domain import PROFESSIONAL_TYPES
from geo.scope import DISTRICT, Filters, InvalidQuery, Scope, Window, parse_codes, quoted
from geo.store.store import SEARCH_ID
from layers.choropleth import METRICS

#: Metric codes of links made before the metrics took their KPI's names; such links still open.
LEGACY_METRICS = {"overdue": "overdue_open", "satisfaction": "satisfaction_rate"}
#: Toggleable overlays.
LAYERS: dict[str, str] = {
    "grids": "网格",
    "boundaries": "街道/社区边界",
    "heat": "诉求热力",
    "workers": "网格员",
    "hotspots": "新兴热点",
}
DEFAULT_LAYERS = ("grids", "boundaries", "heat", "workers", "hotspots")
#: Quick time windows: code → label.
PRESETS: dict[str, str] = {"today": "今日", "7d": "近7天", "30d": "近30天", "month": "本月", "year": "本年"}
#: The quick range a view without dates shows (it stays out of the URL).
DEFAULT_PRESET = "30d"
#: How many units 对比 puts side by side.
COMPARE_MIN, COMPARE_MAX = 2, 4


def parse_compare(value: str | None) -> tuple[str, ...]:
    """``compare=code1,code2``: 2–4 distinct units of one level (whether they exist and may be seen is the store's call)."""
    if not value:
        return ()
    codes = tuple(dict.fromkeys(c.strip() for c in value.split(",") if c.strip()))
    if not COMPARE_MIN <= len(codes) <= COMPARE_MAX:
        raise InvalidQuery(f"对比须选 {COMPARE_MIN}–{COMPARE_MAX} 个单位，compare 中有 {len(codes)} 个")
    levels = {Scope.from_code(code).level for code in codes}
    if len(levels) != 1 or levels == {"district"}:
        raise InvalidQuery("对比的单位须为同一层级的街道、社区或网格")
    return codes


def parse_appeal(value: str | None) -> int | None:
    """``appeal=<id>``: the appeal whose timeline the grid view opens with (from the search)."""
    if not value:
        return None
    if not SEARCH_ID.fullmatch(value):
        raise InvalidQuery(f"诉求编号应为数字，收到 {value[:20]!r}")
    return int(value)


def preset_window(preset: str, today: date) -> Window:
    tomorrow = today + timedelta(days=1)
    if preset == "today":
        return Window(today, tomorrow)
    if preset == "7d":
        return Window(tomorrow - timedelta(days=7), tomorrow)
    if preset == "30d":
        return Window(tomorrow - timedelta(days=30), tomorrow)
    if preset == "month":
        return Window(today.replace(day=1), tomorrow)
    if preset == "year":
        return Window(today.replace(month=1, day=1), tomorrow)
    raise InvalidQuery(f"未知的时间范围{quoted(preset)}")


def window_from(params, today: date) -> tuple[Window, str]:
    """The window a query names and its quick range (empty: fixed dates): ``range=7d`` moves with the days,
    ``from``/``to`` are fixed, neither is the last 30 days (moving); both are refused."""
    preset = params.get("range") or ""
    dates = params.get("from") or params.get("to")
    if preset and dates:
        raise InvalidQuery("时间范围只能二选一：快捷范围（随日期滚动）或起止日期（固定）")
    if not preset and not dates:
        preset = DEFAULT_PRESET
    return (preset_window(preset, today) if preset else Window.parse(params.get("from"), params.get("to"), today)), preset


@dataclass(frozen=True)
class ViewState:
    scope: Scope = DISTRICT
    window: Window | None = None
    filters: Filters = field(default_factory=Filters)
    layers: tuple[str, ...] = DEFAULT_LAYERS
    metric: str = "density"
    professional: str = ""
    #: 对比: codes of 2–4 units of one level shown side by side (empty: no comparison).
    compare: tuple[str, ...] = ()
    #: The appeal whose timeline a grid view opens with (a search result).
    appeal: int | None = None
    #: The base map's code; empty: the deployment's default (the first of TILE_PROVIDERS).
    basemap: str = ""
    #: The quick range (:data:`PRESETS`) ``window`` follows as the days pass, written ``range=`` in the URL;
    #: empty: the window's dates are fixed (``from``/``to``). A wall on 近7天 keeps showing the last 7 days.
    #: Replacing ``window`` alone keeps it: set it to "" too unless the new window is that range's.
    preset: str = ""

    @classmethod
    def from_search(cls, search: str | None, today: date, home: Scope | None = None,
                    basemaps: tuple[str, ...] = TILE_PROVIDER_CODES) -> ViewState:
        """Parses ``?scope=…&id=…``; raises InvalidQuery naming the bad parameter.

        Without ``scope`` and ``id`` the view opens ``home`` (the viewer's own unit), else the district.
        ``basemaps`` are the base-map codes a link may name (the page passes the ones it offers).
        """
        if search is not None and not isinstance(search, str):  # a forged callback input
            raise InvalidQuery("地址参数格式不对")
        params = {k: v[-1] for k, v in parse_qs((search or "").lstrip("?"), keep_blank_values=True).items()}
        if home is not None and not params.get("scope") and not params.get("id"):
            scope = home
        else:
            scope = Scope.parse(params.get("scope"), params.get("id"))
        window, preset = window_from(params, today)
        chosen = set(parse_codes(params.get("layers", ",".join(DEFAULT_LAYERS)), LAYERS, "layers"))
        layers = tuple(x for x in LAYERS if x in chosen)  # one order, whatever the link's
        metric = params.get("metric") or "density"
        metric = LEGACY_METRICS.get(metric, metric)
        if metric not in METRICS:
            raise InvalidQuery(f"未知的着色指标{quoted(metric)}")
        professional = params.get("pro") or ""
        if professional and professional not in PROFESSIONAL_TYPES:
            raise InvalidQuery(f"未知的专业网格类型{quoted(professional)}")
        basemap = params.get("basemap") or ""
        if basemap and basemap not in basemaps:
            raise InvalidQuery(f"未提供的底图{quoted(basemap)}")
        return cls(scope, window, Filters.parse(params), layers, metric, professional,
                   parse_compare(params.get("compare")), parse_appeal(params.get("appeal")), basemap, preset)

    def to_search(self) -> str:
        params: dict[str, str] = {}
        if self.scope != DISTRICT:
            params.update(scope=self.scope.level, id=self.scope.code)
        if self.preset:
            if self.preset != DEFAULT_PRESET:
                params["range"] = self.preset
        elif self.window:
            params.update({"from": self.window.start.isoformat(), "to": self.window.end.isoformat()})
        params.update(self.filters.as_params())
        if self.layers != DEFAULT_LAYERS:
            params["layers"] = ",".join(self.layers)
        if self.metric != "density":
            params["metric"] = self.metric
        if self.professional:
            params["pro"] = self.professional
        if self.compare:
            params["compare"] = ",".join(self.compare)
        if self.appeal is not None:
            params["appeal"] = str(self.appeal)
        if self.basemap:
            params["basemap"] = self.basemap
        return "?" + urlencode(params, safe=",") if params else ""

    def data_search(self) -> str:
        """:meth:`to_search` without what only changes the look (the base map), and with the window's dates
        written out: the key of the view's data, so switching base maps re-reads nothing and a moving window's
        key changes with the day."""
        return replace(self, basemap="", preset="").to_search()

    def with_scope(self, scope: Scope, appeal: int | None = None) -> ViewState:
        """Another unit, same window, filters and layers; an appeal's timeline stays only where it was asked for."""
        return replace(self, scope=scope, appeal=appeal)

    def compare_scopes(self) -> list[Scope]:
        return [Scope.from_code(code) for code in self.compare]

    def search_from(self, current: ViewState) -> str | None:
        """This view's URL search when it differs from ``current``, else None (leave the URL alone).

        The same view spelt another way must not rewrite the URL: each rewrite reruns every view callback."""
        return None if self == current else self.to_search()
