"""Emerging hotspots on the map: the grid geometry comes once by URL, which grids show and their colours by ``hideout``.

The layer draws only the grids that are hot in the latest analysis run (its
filter reads the hideout), above the drill-down units, so a click on a hotspot
opens its evidence while every other grid still drills down as before.
"""

from __future__ import annotations

import dash_leaflet as dl

from geo.analysis.hotspots import ALL, PATTERNS
from geo.domain import CATEGORY_LABELS

#: Pattern → fill colour: reds and oranges for what is new or growing, purple for what stays, lighter for what comes
#: and goes, grey-blue for what is fading. Each reads on the light and on the dark base map (white or dark outline).
PATTERN_COLORS: dict[str, str] = {
    "new": "#d7191c",
    "intensifying": "#f03b20",
    "consecutive": "#fd8d3c",
    "persistent": "#8e44ad",
    "sporadic": "#fdbe85",
    "oscillating": "#c9a0dc",
    "diminishing": "#7f9cbf",
    "historical": "#b8c0cc",
}
#: How a grid hot in several categories is shown: by its most urgent pattern (PATTERNS is ordered that way).
URGENCY = {code: rank for rank, code in enumerate(PATTERNS)}


def category_text(category: str) -> str:
    return "全部类别" if category == ALL else CATEGORY_LABELS.get(category, category)


def grid_patterns(hotspots: list[dict]) -> dict[str, dict]:
    """Per hot grid: its most urgent pattern and what is hot there ("物业管理·新增热点"), from the store's hotspots.

    A grid's own pattern is used where the run gave one, else its hotspot's. Grids of a hotspot that are not
    hot themselves (its neighbours in the sums) are not drawn.
    """
    out: dict[str, dict] = {}
    for h in hotspots:
        own = {g["grid_code"]: g.get("pattern") for g in h.get("grids", [])}
        for code in h["grid_codes"]:
            pattern = own.get(code) if own.get(code) in PATTERNS else h["pattern"]
            if pattern not in PATTERNS:
                continue
            text = f"{category_text(h['category'])}·{PATTERNS[pattern]}"
            seen = out.get(code)
            if seen is None:
                out[code] = {"pattern": pattern, "tips": [text]}
                continue
            if text not in seen["tips"]:
                seen["tips"].append(text)
            if URGENCY[pattern] < URGENCY[seen["pattern"]]:
                seen["pattern"] = pattern
    return out


def hideout(hotspots: list[dict], dark: bool = False) -> dict:
    """Everything the browser needs to draw the hot grids: code → pattern, the colours, the hover text; no geometry."""
    grids = grid_patterns(hotspots)
    return {
        "patterns": {code: g["pattern"] for code, g in sorted(grids.items())},
        "tips": {code: "；".join(g["tips"]) for code, g in sorted(grids.items())},
        "colors": PATTERN_COLORS,
        "dark": dark,
    }


def legend_items(style: dict) -> list[tuple[str, str, int]]:
    """(colour, pattern label, number of grids) for the patterns on the map, most urgent first."""
    counts: dict[str, int] = {}
    for pattern in style.get("patterns", {}).values():
        counts[pattern] = counts.get(pattern, 0) + 1
    return [(PATTERN_COLORS[p], label, counts[p]) for p, label in PATTERNS.items() if p in counts]


def hotspot_layer(layer_id: str) -> dl.GeoJSON:
    """The grids again, hot ones drawn; its geometry is the grid layer's (assets/map.js, ``loadLayers``)."""
    return dl.GeoJSON(
        id=layer_id,
        hideout={"patterns": {}, "tips": {}, "colors": PATTERN_COLORS, "dark": False},
        filter={"variable": "zhizhi.map.hotspotFilter"},
        style={"variable": "zhizhi.map.hotspotStyle"},
        hoverStyle={"variable": "zhizhi.map.hotspotHover"},
        zoomToBounds=False,
    )
