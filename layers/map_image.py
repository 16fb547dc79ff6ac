"""The map as a still image, drawn on the server from our own geometry.

Exports must work offline and match the screen, so they do not screenshot
tiles: the same base shapes, grid colours (the choropleth's ``hideout``), heat
image and worker points the browser draws are painted here with Pillow, in
Web Mercator like the live map. Polygons are drawn at twice the size and
scaled down, which stands in for the antialiasing Pillow's polygons lack.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import shapely
from PIL import Image, ImageDraw, ImageFont

from geo.domain import WORKER_STATUSES, WORKER_TYPES
from layers import choropleth, heat
from layers.workers import STATUS_COLORS, TYPE_COLORS

SUPERSAMPLE = 2
SEA = "#dfe9f3"
NEIGHBOUR = ("#eef0f3", "#c9ced6")
LAND = ("#ffffff", "#8a97a8")
UNIT_LINE = "#33475b"
SCOPE_LINE = "#0b3d91"
CREDIT = "© OpenStreetMap contributors"


@dataclass
class MapScene:
    """What to draw; every layer but the base is optional, as on the live map."""

    #: (min lon, min lat, max lon, max lat) to fit.
    bounds: tuple[float, float, float, float]
    land: shapely.Geometry
    neighbours: list[shapely.Geometry] = field(default_factory=list)
    #: (grid code, polygon) and the choropleth style that colours them.
    grids: list[tuple[str, shapely.Geometry]] = field(default_factory=list)
    grid_style: dict | None = None
    #: Child units: (name, polygon); outlined and labelled.
    units: list[tuple[str, shapely.Geometry]] = field(default_factory=list)
    scope_outline: shapely.Geometry | None = None
    heat_png: bytes | None = None
    #: Appeals per km² at the heat image's hottest colour (the legend's top).
    heat_peak: float | None = None
    #: (lon, lat, type, status)
    workers: list[tuple[float, float, str, str]] = field(default_factory=list)
    legend_title: str = ""


class Frame:
    """Web Mercator fit of ``bounds`` into a ``width`` × ``height`` pixel box."""

    def __init__(self, bounds, width: int, height: int, pad: int):
        minx, miny, maxx, maxy = bounds
        self.width, self.height = width, height
        x0, y0 = self._merc(np.array([minx]), np.array([miny]))
        x1, y1 = self._merc(np.array([maxx]), np.array([maxy]))
        span_x, span_y = max(float(x1[0] - x0[0]), 1e-9), max(float(y1[0] - y0[0]), 1e-9)
        self.scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)
        self.cx, self.cy = (x0[0] + x1[0]) / 2, (y0[0] + y1[0]) / 2
        self.centre_lat = (miny + maxy) / 2

    @staticmethod
    def _merc(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.radians(lon), np.log(np.tan(np.pi / 4 + np.radians(lat) / 2))

    def pixels(self, lon, lat) -> tuple[np.ndarray, np.ndarray]:
        x, y = self._merc(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
        return self.width / 2 + (x - self.cx) * self.scale, self.height / 2 - (y - self.cy) * self.scale

    def ring(self, coords) -> list[tuple[float, float]]:
        arr = np.asarray(coords)
        xs, ys = self.pixels(arr[:, 0], arr[:, 1])
        return list(zip(xs.tolist(), ys.tolist(), strict=True))

    def visible(self, geom: shapely.Geometry) -> bool:
        minx, miny, maxx, maxy = geom.bounds
        (x0, x1), (y1, y0) = self.pixels([minx, maxx], [miny, maxy])
        return x1 >= 0 and x0 <= self.width and y1 >= 0 and y0 <= self.height


def _polygons(geom: shapely.Geometry) -> Iterable[shapely.Polygon]:
    if geom is None or geom.is_empty:
        return []
    if isinstance(geom, shapely.Polygon):
        return [geom]
    return [g for g in getattr(geom, "geoms", []) if isinstance(g, shapely.Polygon)]


def _fill(draw: ImageDraw.ImageDraw, frame: Frame, geom, fill, outline=None, width: int = 1) -> None:
    for poly in _polygons(geom):
        draw.polygon(frame.ring(poly.exterior.coords), fill=fill, outline=None)
        for hole in poly.interiors:
            draw.polygon(frame.ring(hole.coords), fill=(0, 0, 0, 0))
        if outline:
            _stroke(draw, frame, poly, outline, width)


def _stroke(draw: ImageDraw.ImageDraw, frame: Frame, geom, color, width: int) -> None:
    for poly in _polygons(geom):
        for ring in (poly.exterior, *poly.interiors):
            draw.line(frame.ring(ring.coords), fill=color, width=width, joint="curve")


def _rgba(color: str, alpha: float) -> tuple[int, int, int, int]:
    color = color.lstrip("#")
    return int(color[0:2], 16), int(color[2:4], 16), int(color[4:6], 16), round(alpha * 255)


def _class_color(value, style: dict) -> str:
    if value is None:
        return style["noData"]
    for bound, color in zip(style["breaks"], style["colors"], strict=False):
        if value < bound:
            return color
    return style["colors"][-1]


def render(scene: MapScene, width: int, height: int, font_path: str, font_index: int = 0) -> Image.Image:
    """The scene as an RGB image of ``width`` × ``height`` pixels."""
    k = SUPERSAMPLE
    frame = Frame(scene.bounds, width * k, height * k, pad=24 * k)
    image = Image.new("RGBA", (width * k, height * k), SEA)
    base = ImageDraw.Draw(image)
    for geom in scene.neighbours:
        if frame.visible(geom):
            _fill(base, frame, geom, NEIGHBOUR[0], NEIGHBOUR[1], k)
    _fill(base, frame, scene.land, LAND[0], LAND[1], int(1.5 * k))

    if scene.grids and scene.grid_style:
        layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(layer)
        values, scope = scene.grid_style["values"], scene.grid_style.get("scope", "")
        for code, geom in scene.grids:
            if frame.visible(geom) and code.startswith(scope):  # only the view's grids are coloured, as on the map
                _fill(draw, frame, geom, _rgba(_class_color(values.get(code), scene.grid_style), 0.72))
        for code, geom in scene.grids:  # the view's grids white-edged, the others grey outlines, as on the map
            if frame.visible(geom):
                edge = (255, 255, 255, 220) if code.startswith(scope) else (154, 165, 177, 180)
                _stroke(draw, frame, geom, edge, max(1, k // 2))
        image.alpha_composite(layer)

    if scene.heat_png:
        _paste_heat(image, frame, scene.heat_png)

    lines = ImageDraw.Draw(image)
    for _, geom in scene.units:
        _stroke(lines, frame, geom, UNIT_LINE, int(1.6 * k))
    if scene.scope_outline is not None:
        _stroke(lines, frame, scene.scope_outline, SCOPE_LINE, int(3.5 * k))
    for lon, lat, kind, status in scene.workers:
        (x,), (y,) = frame.pixels([lon], [lat])
        r = max(4, width // 320) * k
        lines.ellipse([x - r, y - r, x + r, y + r], fill=TYPE_COLORS.get(kind, "#1f6feb"),
                      outline=STATUS_COLORS.get(status, "#ffffff"), width=k)

    image = image.resize((width, height), Image.LANCZOS)
    draw = ImageDraw.Draw(image)
    label_font = ImageFont.truetype(font_path, max(12, width // 55), index=font_index)
    placed: list[tuple[float, float, float, float]] = []
    for name, geom in sorted(scene.units, key=lambda unit: -unit[1].area):  # big units keep their labels
        point = geom.representative_point()
        xs, ys = frame.pixels([point.x], [point.y])
        x, y = float(xs[0]) / k, float(ys[0]) / k
        box = draw.textbbox((x, y), name, font=label_font, anchor="mm", stroke_width=2)
        if any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed):
            continue  # crowded: the outline still shows the unit, as on the live map when zoomed out
        placed.append(box)
        draw.text((x, y), name, font=label_font, fill="#1f2d3d", anchor="mm", stroke_width=2, stroke_fill="#ffffff")
    small = ImageFont.truetype(font_path, max(11, width // 85), index=font_index)
    draw.text((width - 8, height - 6), CREDIT, font=small, fill="#4a5568", anchor="rd",
              stroke_width=2, stroke_fill="#ffffff")
    _scale_bar(draw, frame, k, small, height)
    image = image.convert("RGB")
    _legend(image, scene, ImageFont.truetype(font_path, max(12, width // 70), index=font_index), width)
    return image


def _paste_heat(image: Image.Image, frame: Frame, png: bytes) -> None:
    """The heat image over its lattice bounds (lat/lon rows; the Mercator stretch is < 0.5% over Laoshan).

    Only the part inside the frame is scaled: zoomed into a community, the whole
    lattice would otherwise be blown up to tens of thousands of pixels.
    """
    (south, west), (north, east) = heat.BOUNDS
    (x0, x1), (y1, y0) = frame.pixels([west, east], [south, north])
    left, top = max(0.0, float(x0)), max(0.0, float(y0))
    right, bottom = min(float(frame.width), float(x1)), min(float(frame.height), float(y1))
    if right <= left or bottom <= top:
        return
    source = Image.open(io.BytesIO(png)).convert("RGBA")
    sx, sy = source.width / (x1 - x0), source.height / (y1 - y0)
    box = ((left - x0) * sx, (top - y0) * sy, (right - x0) * sx, (bottom - y0) * sy)
    size = (max(1, round(right - left)), max(1, round(bottom - top)))
    overlay = source.resize(size, Image.BILINEAR, box=box)
    overlay.putalpha(overlay.getchannel("A").point(lambda a: int(a * 0.8)))  # the live map's opacity
    image.alpha_composite(overlay, (round(left), round(top)))


def _scale_bar(draw: ImageDraw.ImageDraw, frame: Frame, k: int, font, height: int) -> None:
    """A metric scale bar of a round length, about a sixth of the width."""
    metres_per_px = 6_378_137 * math.cos(math.radians(frame.centre_lat)) / (frame.scale / k)
    target = frame.width / k / 6 * metres_per_px
    length = 10 ** math.floor(math.log10(target))
    for step in (5, 2, 1):
        if step * length <= target:
            length *= step
            break
    px = length / metres_per_px
    x, y = 12, height - 14
    draw.line([(x, y), (x + px, y)], fill="#1f2d3d", width=3)
    for end in (x, x + px):
        draw.line([(end, y - 5), (end, y)], fill="#1f2d3d", width=2)
    text = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    draw.text((x + px + 6, y), text, font=font, fill="#1f2d3d", anchor="lm", stroke_width=2, stroke_fill="#ffffff")


def legend_entries(scene: MapScene) -> list[tuple]:
    """What the legend says, as the live map's legend does: grid classes, heat ramp, worker colours.

    Entries are ("title", text), ("swatch", colour, text), ("ramp", low, high) and
    ("dots", [(fill, ring, text), …]) for a row of inline markers.
    """
    entries: list[tuple] = []
    if scene.grids and scene.grid_style:
        entries.append(("title", scene.legend_title))
        entries += [("swatch", color, text) for color, text in choropleth.legend_items(scene.grid_style)]
    if scene.heat_png:
        entries.append(("title", "诉求热力"))
        entries.append(("ramp", "低", f"高（约 {scene.heat_peak:,.0f} 件/km²）" if scene.heat_peak else "高"))
    if scene.workers:
        entries.append(("title", "网格员（圆心：类型；描边：状态）"))
        entries.append(("dots", [(color, "#ffffff", WORKER_TYPES[code]) for code, color in TYPE_COLORS.items()]))
        entries.append(("dots", [("#ffffff", color, WORKER_STATUSES[code]) for code, color in STATUS_COLORS.items()]))
    return entries


def _heat_ramp(width: int, height: int) -> Image.Image:
    """The heat image's colours from none to the peak, over white like the map's land."""
    level = np.linspace(0, 1, width)
    stops = heat.RAMPS["light"]  # the exports draw on the light base, as the heat image they carry
    rgba = np.stack([np.interp(level, stops[:, 0], stops[:, c + 1]) for c in range(4)], axis=-1)
    strip = Image.fromarray(np.repeat(rgba[None, :, :], height, axis=0).astype(np.uint8), "RGBA")
    ramp = Image.new("RGBA", strip.size, "#ffffff")
    ramp.alpha_composite(strip)
    return ramp.convert("RGB")


def _legend(image: Image.Image, scene: MapScene, font, width: int) -> None:
    entries = legend_entries(scene)
    if not entries:
        return
    draw = ImageDraw.Draw(image)
    size = font.size
    row, gap, pad = int(size * 1.5), size // 2, 8
    ramp_w = size * 9

    def dots_width(items) -> float:
        return sum(size + 4 + draw.textlength(text, font=font) + gap for _, _, text in items)

    widths = {
        "title": lambda e: draw.textlength(e[1], font=font),
        "swatch": lambda e: size + 6 + draw.textlength(e[2], font=font),
        "ramp": lambda e: max(ramp_w, draw.textlength(f"{e[1]}  {e[2]}", font=font)),
        "dots": lambda e: dots_width(e[1]),
    }
    box_w = int(max(widths[e[0]](e) for e in entries)) + 2 * pad
    heights = [2 * row if e[0] == "ramp" else row for e in entries]
    x, y = width - box_w - 10, 10
    draw.rounded_rectangle([x, y, x + box_w, y + sum(heights) + 2 * pad - gap // 2], radius=6, fill="#ffffff",
                           outline="#c9ced6")
    top = y + pad
    for entry, height in zip(entries, heights, strict=True):
        kind, left = entry[0], x + pad
        if kind == "title":
            draw.text((left, top), entry[1], font=font, fill="#1f2d3d")
        elif kind == "swatch":
            draw.rectangle([left, top + 2, left + size, top + 2 + size], fill=entry[1], outline="#8a97a8")
            draw.text((left + size + 6, top), entry[2], font=font, fill="#1f2d3d")
        elif kind == "ramp":
            span = box_w - 2 * pad
            image.paste(_heat_ramp(span, size), (left, top + 2))
            draw.rectangle([left, top + 2, left + span, top + 2 + size], outline="#8a97a8")
            draw.text((left, top + row), entry[1], font=font, fill="#1f2d3d")
            draw.text((x + box_w - pad, top + row), entry[2], font=font, fill="#1f2d3d", anchor="ra")
        else:
            for fill, ring, text in entry[1]:
                r = size // 2
                draw.ellipse([left, top + 2, left + 2 * r, top + 2 + 2 * r], fill=fill, outline=ring,
                             width=max(2, size // 6))
                draw.text((left + size + 4, top), text, font=font, fill="#1f2d3d")
                left += size + 4 + draw.textlength(text, font=font) + gap
        top += height
