"""Grid workers' GPS pings: a status that follows the working day and a walk inside the home grid.

:mod:`dashboard.tools.simulator` walks its live patrol with the same pieces
(:func:`status_probs` here, the speed, keep and near-grid tables in
:mod:`geo.demo.tables`), so live pings look like the seeded ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely

from geo.crs import KM_PER_DEG_LAT, km_per_deg_lon
from geo.demo.epoch import timestamps, to_epoch_s
from geo.demo.grids import prepare_grids
from geo.demo.sampling import choose, rng_for, sample_in_polygons
from geo.demo.tables import (
    DAY_S,
    HOUR_S,
    LOCAL_OFFSET_S,
    NEAR_GRID_DEG,
    SPEED_M_PER_MIN,
    STATUS_DAY,
    STATUS_EDGE,
    STATUS_KEEP,
    STATUS_NIGHT,
    STATUS_WINDOW_DAY,
    TAG_POSITIONS,
    WORKER_STATUS_CODES,
)


def status_probs(local_hour: np.ndarray, window: np.ndarray) -> np.ndarray:
    """(n, 4) status probabilities for each ping's local hour."""
    day = (local_hour >= 8) & (local_hour < 18)
    edge = ((local_hour >= 7) & (local_hour < 8)) | ((local_hour >= 18) & (local_hour < 22))
    p = np.where(day[:, None], STATUS_DAY, np.where(edge[:, None], STATUS_EDGE, STATUS_NIGHT))
    return np.where((window & day)[:, None], STATUS_WINDOW_DAY, p)


def generate_positions(
    workers: pd.DataFrame,
    grids: Any,
    end: Any,
    seed: int,
    hours: float = 2,
    every_minutes: int = 10,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """GPS pings of each worker patrolling their home grid, for the live map.

    Each worker walks a persistent-heading random walk kept inside (or within
    ~100 m of) the home grid; status follows the working day, so the map is
    busy at 10:00 and quiet at 03:00.

    Args:
        workers: Output of :func:`generate_workers`.
        grids: The grids the workers were made for.
        end: Time of the last ping (timezone-aware).
        seed: Seed.
        hours: Length of the history.
        every_minutes: Ping interval.

    Returns:
        (history, latest): columns worker_id, at (UTC), lon, lat, status; latest is
        each worker's last history row.
    """
    end_s = to_epoch_s(end, "end")
    g = prepare_grids(grids)
    rng = rng_for(seed, TAG_POSITIONS)
    grid_pos = pd.Series(np.arange(len(g)), index=g.code)
    home = grid_pos.reindex(workers["grid_code"].astype(str).to_numpy()).to_numpy()
    if len(home) and not np.all(np.isfinite(home)):
        raise ValueError("every worker's grid_code must be one of the grids")
    home = home.astype(np.int64)
    n = len(home)
    steps = max(1, int(hours * 60 // every_minutes))
    window = workers["type"].to_numpy() == "window"

    near = shapely.buffer(g.geoms, NEAR_GRID_DEG)
    shapely.prepare(near)
    x, y = sample_in_polygons(g.geoms, g.bounds, home, rng)
    jitter = rng.integers(0, every_minutes * 60, n)
    heading = rng.uniform(0, 2 * np.pi, n)
    lon_m = 1000 * km_per_deg_lon(36.1)
    lat_m = 1000 * KM_PER_DEG_LAT

    xs = np.empty((steps, n))
    ys = np.empty((steps, n))
    ts = np.empty((steps, n))
    st = np.empty((steps, n), dtype=np.int64)
    status = np.zeros(n, dtype=np.int64)
    for k in range(steps):
        t = end_s - jitter - (steps - 1 - k) * every_minutes * 60
        local_hour = ((t + LOCAL_OFFSET_S) % DAY_S) / HOUR_S
        fresh = choose(status_probs(local_hour, window), rng.random(n))
        keep = (rng.random(n) < STATUS_KEEP) & (k > 0)
        status = np.where(keep, status, fresh)
        if k > 0:
            dist = np.array(SPEED_M_PER_MIN)[status] * every_minutes * rng.uniform(0.5, 1.5, n)
            heading = heading + rng.normal(0, 0.6, n)
            moved = np.zeros(n, dtype=bool)
            for _ in range(4):
                nx = x + dist * np.cos(heading) / lon_m
                ny = y + dist * np.sin(heading) / lat_m
                ok = ~moved & shapely.contains_xy(near[home], nx, ny)
                x = np.where(ok, nx, x)
                y = np.where(ok, ny, y)
                moved |= ok
                # Blocked: turn around (roughly) and take a shorter step.
                heading = np.where(moved, heading, heading + np.pi + rng.normal(0, 0.5, n))
                dist = np.where(moved, dist, dist / 2)
        xs[k], ys[k], ts[k], st[k] = x, y, t, status

    worker_ids = workers["id"].to_numpy(dtype=object)
    history = pd.DataFrame(
        {
            "worker_id": np.repeat(worker_ids, steps),
            "at": timestamps(ts.T.ravel().astype(float)),
            "lon": xs.T.ravel(),
            "lat": ys.T.ravel(),
            "status": np.array(WORKER_STATUS_CODES, dtype=object)[st.T.ravel()],
        }
    )
    latest = history.iloc[np.arange(n) * steps + steps - 1].reset_index(drop=True)
    return history, latest
