"""Time in and out: the generator computes in float epoch seconds and hands back UTC timestamps."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

_NAT = np.iinfo(np.int64).min


def to_epoch_s(when: Any, name: str) -> float:
    """Seconds since the epoch; naive times are refused because 8 h of error would go unnoticed."""
    ts = pd.Timestamp(when)
    if ts.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware, got {when!r}")
    return ts.timestamp()


def timestamps(seconds: np.ndarray) -> pd.DatetimeIndex:
    """UTC timestamps from float seconds; NaN/inf become NaT."""
    ok = np.isfinite(seconds)
    ns = np.full(seconds.shape, _NAT, dtype=np.int64)
    ns[ok] = np.round(seconds[ok]).astype(np.int64) * 1_000_000_000
    return pd.DatetimeIndex(ns.view("M8[ns]")).tz_localize("UTC")
