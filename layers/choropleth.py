"""Grid polygons coloured by a metric: the geometry comes once by URL, colours by ``hideout``."""

from __future__ import annotations

import dash_leaflet as dl
import numpy as np

#: Grid choropleth metrics: code → (label, unit). The KPI ones carry their KPI's name.
METRICS: dict[str, tuple[str, str]] = {
    "density": ("诉求密度", "件/km²"),
    "closure_rate": ("办结率", "%"),
    "overdue_open": ("超期未办结", "件"),
    "satisfaction_rate": ("满意率", "%"),
}
#: Sequential palettes, low → high. Rates run red (bad) → green (good).
PALETTES = {
    "density": ["#fff5eb", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704"],
    "overdue_open": ["#f7f7f7", "#fcc5c0", "#fa9fb5", "#dd3497", "#7a0177"],
    "closure_rate": ["#d73027", "#fc8d59", "#fee08b", "#91cf60", "#1a9850"],
    "satisfaction_rate": ["#d73027", "#fc8d59", "#fee08b", "#91cf60", "#1a9850"],
}
#: Rates use fixed, meaningful class breaks (shares, upper bounds of each class but the last).
RATE_BREAKS = [0.80, 0.90, 0.95, 0.98]
NO_DATA = "#e6e9ee"


def metric_values(metric: str, counts: dict[str, dict], areas: dict[str, float]) -> dict[str, float | None]:
    """Per-grid value of the metric from the store's per-grid KPI sums."""
    out: dict[str, float | None] = {}
    for code, area in areas.items():
        c = counts.get(code)
        if metric == "density":
            out[code] = round((c["accepted"] if c else 0) / area, 2) if area else None
        elif metric == "overdue_open":
            out[code] = c["overdue_open"] if c else 0
        elif metric == "closure_rate":
            out[code] = round(c["closed"] / c["accepted"], 4) if c and c["accepted"] else None
        elif metric == "satisfaction_rate":
            out[code] = round(c["satisfied"] / c["rated"], 4) if c and c["rated"] else None
        else:
            raise ValueError(metric)
    return out


def class_breaks(metric: str, values: dict[str, float | None]) -> list[float]:
    """Upper bounds of the first four of five classes."""
    if metric in ("closure_rate", "satisfaction_rate"):
        return RATE_BREAKS
    present = np.array([v for v in values.values() if v is not None and v > 0], dtype=float)
    if present.size == 0:
        return [1, 2, 3, 4]
    qs = np.quantile(present, [0.2, 0.4, 0.6, 0.8])
    breaks = sorted({round(float(q), 2) for q in qs})
    while len(breaks) < 4:
        breaks.append(breaks[-1] + 1 if breaks else 1)
    return breaks


def hideout(metric: str, values: dict[str, float | None], scope_code: str, selected: str = "",
            classed_among: dict[str, float | None] | None = None) -> dict:
    """Everything the browser needs to recolour the grids; no geometry. The classes come from
    ``classed_among`` (a wider set of grids' values) when given, else from ``values``."""
    return {
        "metric": metric,
        "values": values,
        "breaks": class_breaks(metric, values if classed_among is None else classed_among),
        "colors": PALETTES[metric],
        "noData": NO_DATA,
        "scope": scope_code,
        "selected": selected,
    }


def legend_items(style: dict) -> list[tuple[str, str]]:
    """(colour, label) pairs for the legend, in class order."""
    label, unit = METRICS[style["metric"]]
    breaks = style["breaks"]
    percent = unit == "%"

    def fmt(v: float) -> str:
        return f"{v * 100:.0f}%" if percent else f"{v:g}"

    items = [(style["colors"][0], f"< {fmt(breaks[0])}")]
    for i in range(1, len(breaks)):
        items.append((style["colors"][i], f"{fmt(breaks[i - 1])} – {fmt(breaks[i])}"))
    items.append((style["colors"][-1], f"≥ {fmt(breaks[-1])}"))
    items.append((style["noData"], "无数据"))
    return items


def grid_layer(layer_id: str, style: dict) -> dl.GeoJSON:
    """Empty until its geometry is loaded (assets/map.js, ``loadLayers``); ``style`` is its hideout."""
    return dl.GeoJSON(
        id=layer_id,
        hideout=style,
        style={"variable": "zhizhi.map.gridStyle"},
        hoverStyle={"variable": "zhizhi.map.hoverStyle"},
        zoomToBounds=False,
    )
