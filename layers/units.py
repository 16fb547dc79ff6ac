"""Clickable child units for drill-down (streets → communities → grids), with labels."""

from __future__ import annotations

import dash_leaflet as dl


def units_layer(layer_id: str, url: str, selected: str = "") -> dl.GeoJSON:
    return dl.GeoJSON(
        id=layer_id,
        url=url,
        hideout={"selected": selected},
        style={"variable": "zhizhi.map.unitStyle"},
        hoverStyle={"variable": "zhizhi.map.hoverStyle"},
        onEachFeature={"variable": "zhizhi.map.unitLabel"},
        zoomToBounds=False,
    )


def outline_layer(layer_id: str, url: str) -> dl.GeoJSON:
    """The current unit's own outline, drawn on top; not clickable (its style says so)."""
    return dl.GeoJSON(id=layer_id, url=url, style={"variable": "zhizhi.map.outlineStyle"})


def professional_layer(layer_id: str, url: str, kind: str) -> dl.GeoJSON:
    """One professional-grid type's outlines, dashed, over the basic grids; hovering names the unit."""
    return dl.GeoJSON(
        id=layer_id,
        url=url,
        filter={"variable": "zhizhi.map.professionalFilter"},
        hideout={"type": kind},
        style={"variable": "zhizhi.map.professionalStyle"},
        onEachFeature={"variable": "zhizhi.map.professionalLabel"},
    )
