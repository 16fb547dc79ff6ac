"""Demand heat map: appeals binned on the server, smoothed, sent as one PNG.

Why a raster: dash-leaflet has no heat-map component, and a browser heat
layer needs every point shipped to it (megabytes at 1M appeals). Binning in
SQL returns at most one row per lattice cell, and the PNG of the smoothed
lattice is tens of kilobytes whatever the number of appeals. Restyling only
changes the image URL; no geometry is resent.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy.ndimage import gaussian_filter

from geo.crs import KM_PER_DEG_LAT, km_per_deg_lon
from geo.domain import HEAT_CELL as CELL
from geo.domain import HEAT_ORIGIN as ORIGIN
from geo.domain import HEAT_SHAPE as SHAPE

BOUNDS = [[ORIGIN[1], ORIGIN[0]], [ORIGIN[1] + SHAPE[1] * CELL, ORIGIN[0] + SHAPE[0] * CELL]]
#: Smoothing radius in cells (~270 m).
SIGMA = 2.0
#: Each output pixel is UPSCALE² lattice pixels, so browsers do not show blocks.
UPSCALE = 2

#: Colour ramps by base map (position on the sqrt scale, R, G, B, alpha), one per base and only here:
#: the image and the legends' CSS gradients (:func:`css_gradient`) both come from these stops.
#: light: transparent → yellow → orange → red → dark red, for a light base.
#: dark: blue → cyan → green → yellow → near white, brighter at every step over the dark base: the light
#: ramp's oranges and dark reds over navy read as brown, and its hottest spots as the darkest.
RAMPS = {
    "light": np.array([
        [0.00, 255, 255, 178, 0],
        [0.10, 255, 237, 160, 60],
        [0.35, 254, 178, 76, 170],
        [0.60, 253, 141, 60, 200],
        [0.80, 240, 59, 32, 220],
        [1.00, 189, 0, 38, 235],
    ]),
    "dark": np.array([
        [0.00, 40, 110, 255, 0],
        [0.10, 50, 130, 255, 110],
        [0.30, 0, 200, 235, 165],
        [0.55, 90, 235, 130, 200],
        [0.78, 255, 225, 50, 225],
        [1.00, 255, 250, 205, 245],
    ]),
}
#: Below this level (of the sqrt scale) the image is transparent: the base shows through where nobody called.
FLOOR = 0.05


@dataclass(frozen=True)
class Heat:
    png: bytes
    #: Appeals per km² at the hottest smoothed cell (the legend's top).
    peak_per_km2: float
    total: int


def density(cells: list[tuple[int, int, int]]) -> np.ndarray:
    grid = np.zeros((SHAPE[1], SHAPE[0]), dtype=float)
    for col, row, count in cells:
        if 0 <= col < SHAPE[0] and 0 <= row < SHAPE[1]:
            grid[row, col] += count
    return gaussian_filter(grid, SIGMA, mode="constant")


def cell_area_km2() -> float:
    return (CELL * km_per_deg_lon(ORIGIN[1] + SHAPE[1] * CELL / 2)) * (CELL * KM_PER_DEG_LAT)


def peak_per_km2(cells: list[tuple[int, int, int]], mask: np.ndarray) -> float:
    return float((density(cells) * mask).max()) / cell_area_km2()


def render(cells: list[tuple[int, int, int]], mask: np.ndarray, reference_per_km2: float | None = None,
           ramp: str = "light") -> Heat:
    """The PNG in ``ramp``'s colours; they scale to ``reference_per_km2`` (e.g. the parent street's peak) when given."""
    stops = RAMPS[ramp]
    smooth = density(cells) * mask
    own = float(smooth.max())
    peak = max(own, (reference_per_km2 or 0.0) * cell_area_km2())
    level = np.sqrt(smooth / peak) if peak > 0 else smooth  # sqrt: sparse villages stay visible
    rgba = np.zeros(level.shape + (4,), dtype=np.uint8)
    for channel in range(4):
        rgba[..., channel] = np.interp(level, stops[:, 0], stops[:, channel + 1])
    rgba[level < FLOOR] = 0
    image = Image.fromarray(rgba[::-1], "RGBA")  # row 0 is the southern edge; images start at the top
    image = image.resize((SHAPE[0] * UPSCALE, SHAPE[1] * UPSCALE), Image.BILINEAR)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=3)  # ~2× faster than the default, a few KB larger
    return Heat(buffer.getvalue(), peak / cell_area_km2(), sum(c[2] for c in cells))


def css_gradient(ramp: str) -> str:
    """The ramp as a CSS gradient for a legend, left (few appeals) to right (the peak)."""
    stops = ", ".join(f"rgba({r:.0f}, {g:.0f}, {b:.0f}, {max(a, 60) / 255:.2f}) {t * 100:.0f}%"
                      for t, r, g, b, a in RAMPS[ramp])
    return f"linear-gradient(90deg, {stops})"


def scale_ticks(peak_per_km2: float, positions: tuple[float, ...] = (0.0, 0.5, 1.0)) -> list[tuple[float, float]]:
    """(position on the legend's ramp, appeals/km²) pairs: the ramp is a square-root scale of the peak, so
    its middle is a quarter of the peak, not half."""
    return [(t, peak_per_km2 * t * t) for t in positions]
