"""People: Chinese names and mobile numbers, and the grid workers (网格员) themselves."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from geo.demo.grids import Grids, prepare_grids
from geo.demo.sampling import pick, rng_for
from geo.demo.tables import REF_GRIDS, REF_WORKERS, TAG_WORKERS
from geo.demo.text import GIVEN_FIRST, GIVEN_SECOND, GIVEN_SINGLE, PHONE_PREFIXES, SURNAMES


def names(u_sur: np.ndarray, u_len: np.ndarray, u_g1: np.ndarray, u_g2: np.ndarray) -> np.ndarray:
    """Chinese full names from four uniform draws each (surname by frequency)."""
    sur = np.array([s for s, _ in SURNAMES])
    w = np.array([w for _, w in SURNAMES])
    cdf = np.cumsum(w) / w.sum()
    si = np.minimum(np.searchsorted(cdf, u_sur, side="right"), len(sur) - 1)
    single = np.array(GIVEN_SINGLE)
    first = np.array(GIVEN_FIRST)
    second = np.array(GIVEN_SECOND)
    one = u_len < 0.3
    given = np.where(
        one,
        single[pick(u_g1, np.int64(len(single)))],
        np.strings.add(first[pick(u_g1, np.int64(len(first)))], second[pick(u_g2, np.int64(len(second)))]),
    )
    return np.strings.add(sur[si], given)


def phones(u_prefix: np.ndarray, u_digits: np.ndarray) -> np.ndarray:
    """11-digit mobile numbers as strings."""
    prefixes = np.array(PHONE_PREFIXES, dtype=np.int64)
    p = prefixes[pick(u_prefix, np.int64(len(prefixes)))]
    digits = np.minimum((u_digits * 1e8).astype(np.int64), 99_999_999)
    return (p * 100_000_000 + digits).astype("U11")


def worker_columns(workers: pd.DataFrame | None, g: Grids) -> dict[str, np.ndarray]:
    """Full-time workers grouped by grid, for handler and patrol-reporter lookups."""
    empty = np.array([], dtype=object)
    if workers is None or len(workers) == 0:
        return {
            "id": empty, "name": empty, "phone": empty,
            "start": np.zeros(len(g), dtype=np.int64), "count": np.zeros(len(g), dtype=np.int64),
        }
    grid_pos = pd.Series(np.arange(len(g)), index=g.code)
    ft = workers[workers["type"] == "full_time"]
    pos = grid_pos.reindex(ft["grid_code"].astype(str).to_numpy()).to_numpy()
    keep = np.isfinite(pos)
    ft = ft[keep]
    pos = pos[keep].astype(np.int64)
    order = np.lexsort((ft["id"].to_numpy(dtype=str), pos))
    pos = pos[order]
    count = np.bincount(pos, minlength=len(g)).astype(np.int64)
    start = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)
    return {
        "id": ft["id"].to_numpy(dtype=object)[order],
        "name": ft["name"].to_numpy(dtype=str)[order],
        "phone": ft["phone"].to_numpy(dtype=str)[order],
        "start": start,
        "count": count,
    }


def generate_workers(grids: Any, seed: int) -> pd.DataFrame:
    """Grid workers (网格员) in proportion to the district's real staffing.

    Every grid gets a full-time worker and the most populous ones a second;
    industry and window workers sit in the dense, built-up grids where the
    service windows and businesses are.

    Args:
        grids: Grid records (DataFrame or dicts) with code, street_code, community_code,
            households, population and geometry.
        seed: Seed; the same grids and seed always give the same workers.

    Returns:
        DataFrame with columns id, name, type, grid_code, phone.
    """
    g = prepare_grids(grids)
    rng = rng_for(seed, TAG_WORKERS)
    n_grid = len(g)
    scale = n_grid / REF_GRIDS
    targets = dict(REF_WORKERS)
    n_ft = max(n_grid, round(targets["full_time"] * scale))
    n_ind = round(targets["industry"] * scale)
    n_win = round(targets["window"] * scale)

    size_rank = np.argsort(np.argsort(-g.population, kind="stable"), kind="stable")
    extra = n_ft - n_grid
    ft_count = 1 + extra // n_grid + (size_rank < extra % n_grid)
    ft_grid = np.repeat(np.arange(n_grid), ft_count)

    dense = g.density >= np.median(g.density)
    w = g.population * np.where(dense, 1.0, 0.15)
    ind_grid = np.sort(rng.choice(n_grid, size=n_ind, p=w / w.sum())) if n_ind else np.array([], dtype=int)

    # Window workers staff the community service centres: one per community, busiest first.
    comm = pd.DataFrame({"community": g.community, "pop": g.population, "i": np.arange(n_grid)})
    comm_pop = comm.groupby("community", sort=True)["pop"].sum().sort_values(ascending=False, kind="stable")
    main_grid = comm.sort_values(["pop", "i"], ascending=[False, True]).drop_duplicates("community")
    main_grid = main_grid.set_index("community")["i"]
    win_grid = main_grid.reindex(comm_pop.index).to_numpy()[:n_win]
    if len(win_grid) < n_win:
        more = rng.choice(n_grid, size=n_win - len(win_grid), p=w / w.sum())
        win_grid = np.concatenate([win_grid, more])
    win_grid = np.sort(win_grid.astype(np.int64))

    grid_idx = np.concatenate([ft_grid, ind_grid, win_grid]).astype(np.int64)
    types = ["full_time"] * len(ft_grid) + ["industry"] * len(ind_grid) + ["window"] * len(win_grid)
    n = len(grid_idx)
    u = rng.random((n, 6))
    return pd.DataFrame(
        {
            "id": [f"W{i + 1:05d}" for i in range(n)],
            "name": names(u[:, 0], u[:, 1], u[:, 2], u[:, 3]).astype(object),
            "type": types,
            "grid_code": g.code[grid_idx],
            "phone": phones(u[:, 4], u[:, 5]).astype(object),
        }
    )
