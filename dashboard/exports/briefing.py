"""Everything a briefing (简报) shows, gathered once for the PDF and the PNG.

The numbers come from the same view functions as the dashboard's panels, for
the same :class:`ViewState` and as-of minute, so an export agrees with the
screen it was taken from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import shapely

from dashboard.view import data as view_data
from dashboard.view.state import LAYERS, ViewState
from dashboard.view.text import minute_text
from geo import reference
from geo.access import Viewer
from geo.domain import CATEGORY_LABELS, KINDS, LEVEL_LABELS, SOURCES, STATUSES
from geo.scope import Scope
from geo.store.store import Store
from layers.choropleth import METRICS
from layers.map_image import MapScene

#: Rows of the overdue list in a briefing; the total is always printed.
OVERDUE_ROWS = 40
#: Categories shown in the chart.
TOP_CATEGORIES = 10

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

    @property
    def scope_text(self) -> str:
        return f"{LEVEL_LABELS[self.state.scope.level]} · {self.head['name']}"

    @property
    def as_of_text(self) -> str:
        return minute_text(self.head["as_of"])

    @property
    def top_categories(self) -> list[tuple[str, int]]:
        ranked = sorted(self.panels["category"].items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_CATEGORIES]
        return [(CATEGORY_LABELS[code], n) for code, n in ranked]


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
    names = [LAYERS[code] for code in state.layers]
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
    progress(0.4, "准备地图")
    scene = map_scene(store, state, as_of, viewer, cache)
    streets = store.unit_names("street", viewer)
    return Briefing(state, as_of, head, data, ranking, overdue, scene, streets)


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
        scene.heat_png = view_data.heat(store, state, viewer, cache).png
    if "workers" in layers:
        scene.workers = [(w["lon"], w["lat"], w["type"], w["status"])
                         for w in store.workers(scope, viewer)["items"] if w["lon"] is not None]
    return scene
