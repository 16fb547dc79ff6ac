"""Everything a briefing (简报) shows, gathered once for the PDF and the PNG.

The numbers come from the same view functions as the dashboard's panels, for
the same :class:`ViewState` and as-of minute, so an export agrees with the
screen it was taken from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import shapely

from dashboard.view import data as view_data
from dashboard.view import proactive as proactive_view
from dashboard.view.state import LAYERS, ViewState
from dashboard.view.text import LOW_CLOSURE_RATE, kpi_delta, low_closure_rate, minute_text, percent
from geo import reference
from geo.access import Viewer
from geo.domain import CATEGORY_LABELS, KINDS, LEVEL_LABELS, SOURCES, STATUSES
from geo.scope import Scope, Window
from geo.store.store import Store
from layers.choropleth import METRICS
from layers.map_image import MapScene

#: Rows of the overdue list in a briefing; the total is always printed.
OVERDUE_ROWS = 40
#: Categories shown in the chart.
TOP_CATEGORIES = 10
#: Categories the written summary names as having risen most.
RISING_CATEGORIES = 3
#: Open 未诉先办 items listed in a briefing (strongest first); the total is always printed.
PROACTIVE_ROWS = 60

Progress = Callable[[float, str], None]


def no_progress(_fraction: float, _message: str) -> None:
    """Progress sink for exports that nobody watches."""


@dataclass
class Briefing:
    state: ViewState
    as_of: datetime
    head: dict
    panels: dict
    ranking: list[dict]
    overdue: dict
    scene: MapScene
    street_names: dict[str, str]
    #: Appeals per category in the 环比 window read at the same age; None when it has no data.
    previous_categories: dict[str, int] | None = None
    #: 未诉先办 of the scope: counts by list and status, the top hotspots, and its open items (strongest first).
    proactive: proactive_view.Summary | None = None
    proactive_items: list[dict] | None = None

    @property
    def scope_text(self) -> str:
        return f"{LEVEL_LABELS[self.state.scope.level]} · {self.head['name']}"

    @property
    def as_of_text(self) -> str:
        return minute_text(self.head["as_of"])

    @property
    def total(self) -> int:
        """All appeals in the view: the denominator of every share."""
        return sum(self.panels["category"].values())

    @property
    def top_categories(self) -> list[tuple[str, int]]:
        ranked = sorted(self.panels["category"].items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_CATEGORIES]
        return [(CATEGORY_LABELS[code], n) for code, n in ranked]

    @property
    def summary_sentences(self) -> list[str]:
        return written_summary(self.head, self.panels["category"], self.previous_categories, self.ranking)


def written_summary(head: dict, categories: dict[str, int], previous_categories: dict[str, int] | None,
                    ranking: list[dict]) -> list[str]:
    """The briefing's opening sentences, from the same numbers and change texts as the KPI table."""
    kpis = head["kpis"]
    accepted = kpis["accepted"]["value"]
    mom, _ = kpi_delta("accepted", head, "previous")
    yoy, _ = kpi_delta("accepted", head, "year_ago")
    sentences = [f"本期受理 {accepted:,} 件，{mom}，{yoy}。"]
    closure = kpis["closure_rate"]["value"]
    if closure is not None:
        sentences.append(f"办结率 {percent(closure)}，{kpi_delta('closure_rate', head, 'previous')[0]}。")
    if previous_categories is None:
        sentences.append("类别变化：上期无数据。")
    else:
        rises = sorted(((n - previous_categories.get(code, 0), code, n) for code, n in categories.items()),
                       key=lambda t: (-t[0], t[1]))
        rises = [r for r in rises if r[0] > 0][:RISING_CATEGORIES]
        if rises:
            sentences.append("较上期增加最多的类别：" + "、".join(
                f"{CATEGORY_LABELS[code]}（{n:,} 件，增加 {diff:,} 件）" for diff, code, n in rises) + "。")
        else:
            sentences.append("各类别受理量均未较上期增加。")
    rated = [r for r in ranking if r["closure_rate"] is not None]
    if rated:
        worst = min(rated, key=lambda r: (r["closure_rate"], -r["accepted"]))
        level = LEVEL_LABELS[worst["level"]]
        note = f"，低于 {percent(LOW_CLOSURE_RATE)}" if low_closure_rate(worst["closure_rate"]) else ""
        sentences.append(f"办结率最低的下级{level}：{worst['name']}（{percent(worst['closure_rate'])}{note}）。")
    sentences.append(f"超期未办结 {kpis['overdue_open']['value']:,} 件。")
    return sentences


def filters_text(state: ViewState) -> str:
    """The filters in words, e.g. "类型：民生；来源：12345热线"; "全部诉求" without filters."""
    parts = []
    for name, label, vocabulary in (
        ("kind", "类型", KINDS),
        ("category", "类别", CATEGORY_LABELS),
        ("source", "来源", SOURCES),
        ("status", "状态", STATUSES),
    ):
        codes = getattr(state.filters, name)
        if codes:
            parts.append(f"{label}：{'、'.join(vocabulary[c] for c in codes)}")
    return "；".join(parts) or "全部诉求"


def layers_text(state: ViewState) -> str:
    # The still map draws no hotspots (they are the 未诉先办 panel's), so it does not name them.
    names = [LAYERS[code] for code in state.layers if code != "hotspots"]
    if "grids" in state.layers:
        names[state.layers.index("grids")] = f"网格（{METRICS[state.metric][0]}）"
    return "、".join(names) or "仅底图"


def collect(store: Store, state: ViewState, as_of: datetime, viewer: Viewer, cache=None,
            progress: Progress = no_progress) -> Briefing:
    """Reads everything a briefing shows; ``progress`` hears how far it got."""
    progress(0.05, "统计指标")
    head, data, ranking, overdue = view_data.gather(
        lambda: view_data.summary(store, state, as_of, viewer, cache),
        lambda: view_data.panels(store, state, as_of, viewer, cache),
        lambda: view_data.ranking(store, state, as_of, viewer, cache),
        lambda: store.overdue_appeals(state.scope, state.window, as_of, state.filters, viewer=viewer,
                                      limit=OVERDUE_ROWS),
    )
    progress(0.3, "读取未诉先办")
    watch, items = view_data.gather(
        lambda: proactive_view.summary(store, state.scope, viewer, as_of),
        lambda: proactive_view.open_items(store, state.scope, viewer, limit=PROACTIVE_ROWS),
    )
    progress(0.4, "准备地图")
    scene = map_scene(store, state, as_of, viewer, cache)
    streets = store.unit_names("street", viewer)
    return Briefing(state, as_of, head, data, ranking, overdue, scene, streets,
                    previous_categories(store, state, head, viewer), watch, items)


def previous_categories(store: Store, state: ViewState, head: dict, viewer: Viewer) -> dict[str, int] | None:
    """Appeals per category in the 环比 window as it stood at the same age (None: 上期无数据).

    Read through ``kpi_counts`` grouped by category rather than ``breakdown``,
    which has no as-of: the earlier window must count only what had come in by
    its as-of, like the 环比 of the KPI table.
    """
    other = head["comparisons"]["previous"]
    if other["kpis"] is None:
        return None
    window = Window(date.fromisoformat(other["from"]), date.fromisoformat(other["to"]))
    groups = store.kpi_counts(state.scope, window, datetime.fromisoformat(other["as_of"]), state.filters,
                              group_by="category", viewer=viewer)
    return {code: sums["accepted"] for code, sums in groups.items()}


def _shapes(collection: dict, key: str) -> list[tuple[str, shapely.Geometry]]:
    return [(f["properties"][key], shapely.geometry.shape(f["geometry"])) for f in collection["features"]]


def map_scene(store: Store, state: ViewState, as_of: datetime, viewer: Viewer, cache=None) -> MapScene:
    """The live map's layers for the view, as shapes to draw."""
    scope = state.scope
    parent = scope if scope.level != "grid" else Scope("community", scope.code[:12])
    layers = state.layers
    outline = _shapes(store.boundaries(scope.level, viewer.narrowed(scope)), "code")
    scene = MapScene(
        bounds=view_data.map_frame(store, state, viewer, cache)["bounds"],
        land=store.land(),
        neighbours=[g for _, g in _shapes(reference.read_geojson("neighbours"), "name")],
        scope_outline=next((g for code, g in outline if code == scope.code), None),
    )
    if "grids" in layers:
        scene.grids = _shapes(store.boundaries("grid", viewer), "code")
        scene.grid_style = view_data.grid_style(store, state, as_of, viewer, cache)
        scene.legend_title = f"网格着色：{METRICS[state.metric][0]}（{METRICS[state.metric][1]}）"
    if "boundaries" in layers:
        scene.units = _shapes(store.boundaries(view_data.child_level(scope), viewer.narrowed(parent)), "name")
    if "heat" in layers:
        heat = view_data.heat(store, state, viewer, cache)
        scene.heat_png, scene.heat_peak = heat.png, heat.peak_per_km2
    if "workers" in layers:
        scene.workers = [(w["lon"], w["lat"], w["type"], w["status"])
                         for w in store.workers(scope, viewer)["items"] if w["lon"] is not None]
    return scene
