"""Clickable child units for drill-down (streets → communities → grids), with labels."""

from __future__ import annotations

import dash_leaflet as dl


def units_layer(layer_id: str) -> dl.GeoJSON:
    """Empty until its geometry is loaded (assets/map.js, ``loadLayers``)."""
    return dl.GeoJSON(
        id=layer_id,
        hideout={"selected": ""},
        style={"variable": "zhizhi.map.unitStyle"},
        hoverStyle={"variable": "zhizhi.map.hoverStyle"},
        onEachFeature={"variable": "zhizhi.map.unitLabel"},
        zoomToBounds=False,
    )


def outline_layer(layer_id: str) -> dl.GeoJSON:
    """The current unit's own outline, drawn on top; not clickable (its style says so). Loaded like the units."""
    return dl.GeoJSON(id=layer_id, style={"variable": "zhizhi.map.outlineStyle"})


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
