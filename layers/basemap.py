"""Base maps: an offline vector base drawn from our own boundaries, or configured tiles.

The default needs no network. Tile providers are opt-in (``TILE_PROVIDERS``);
a GCJ-02 provider (Amap) makes every overlay request GCJ-02 coordinates so
they line up with its streets. A tile that fails to load leaves the vector
base visible underneath, so an unreachable tile server never breaks the page.
"""

from __future__ import annotations

from dataclasses import dataclass

import dash_leaflet as dl

OSM_ATTRIBUTION = "© OpenStreetMap contributors"
#: Where a map of the district opens before it flies to the view's unit.
LAOSHAN_CENTER = [36.19, 120.56]


@dataclass(frozen=True)
class Provider:
    code: str
    label: str
    url: str | None  # None: vector only
    crs: str = "wgs84"
    dark: bool = False
    attribution: str = OSM_ATTRIBUTION
    subdomains: str = "abc"


def providers(tianditu_key: str = "", custom_url: str = "", custom_crs: str = "wgs84") -> dict[str, Provider]:
    """All providers this deployment could offer, by code."""
    out = {
        "vector-light": Provider("vector-light", "矢量底图（浅色，离线）", None),
        "vector-dark": Provider("vector-dark", "矢量底图（深色，离线）", None, dark=True),
        "osm": Provider("osm", "OpenStreetMap", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"),
        "amap": Provider(
            "amap",
            "高德地图（GCJ-02）",
            "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
            crs="gcj02",
            attribution="© 高德地图 | 边界 © OpenStreetMap contributors",
            subdomains="1234",
        ),
    }
    if tianditu_key:
        out["tianditu"] = Provider(
            "tianditu",
            "天地图",
            "https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec"
            "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=" + tianditu_key,
            attribution="© 天地图 | 边界 © OpenStreetMap contributors",
            subdomains="01234567",
        )
    if custom_url:
        out["custom"] = Provider("custom", "内部瓦片服务", custom_url, crs=custom_crs, attribution="内部瓦片")
    return out


def laoshan_map(map_id: str, class_name: str, children: list, **options) -> dl.Map:
    """A Leaflet map of the district (both pages'); ``options`` are the page's own Leaflet map options."""
    return dl.Map(id=map_id, center=LAOSHAN_CENTER, zoom=11, zoomSnap=0.25, className=class_name, children=children,
                  **options)


def base_layers(provider: Provider, neighbours_url: str, land_url: str) -> list:
    """The vector base always, tiles on top of it when the provider has them."""
    layers = [
        # Not clickable: their styles say interactive: false (assets/map.js says why there).
        dl.GeoJSON(id="base-neighbours", url=neighbours_url,
                   style={"variable": "zhizhi.map.neighbourStyle"}, hideout={"dark": provider.dark}),
        dl.GeoJSON(id="base-land", url=land_url,
                   style={"variable": "zhizhi.map.landStyle"}, hideout={"dark": provider.dark}),
    ]
    if provider.url:
        layers.append(dl.TileLayer(url=provider.url, attribution=provider.attribution, subdomains=provider.subdomains,
                                   maxZoom=18))
    return layers
