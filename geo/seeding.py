"""Fills a store with the reference geography and believable demo data."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from geo import clock, demo, reference
from geo.domain import DEMO_SEED, LAUNCH_DATE, LOCAL_TZ
from geo.store.errors import NotEmpty
from geo.store.store import Store

#: The published average: about 11,000 appeals in the first two months.
APPEALS_PER_DAY = 180


def history_bounds(end: datetime | None, days: int | None) -> tuple[datetime, datetime]:
    """[start, end) of the demo history: from launch (or ``days`` back) to ``end`` (default now)."""
    end = (end or clock.now()).replace(second=0, microsecond=0)
    if end.tzinfo is None:
        raise ValueError("--end 必须带时区，例如 2026-11-27T12:00:00+08:00")
    launch = datetime.fromisoformat(LAUNCH_DATE).replace(tzinfo=LOCAL_TZ)
    start = end - timedelta(days=days) if days else launch
    if start >= end:
        raise ValueError(f"历史区间为空：起点 {start.isoformat()} 不早于终点 {end.isoformat()}")
    return start, end


def seed(
    store: Store,
    *,
    appeals: int | None = None,
    days: int | None = None,
    end: datetime | None = None,
    seed: int = DEMO_SEED,
    reset: bool = False,
    chunk_size: int = 100_000,
    progress: Callable[[str], None] = print,
    plants: Sequence[demo.Plant] = (),
) -> dict:
    """Seeds an empty store (or a reset one); returns what was written.

    ``plants`` adds known hotspots (see :class:`geo.demo.Plant`) on top of the
    ``appeals``, so a hotspot detector can be validated against a real store.
    """
    start, end = history_bounds(end, days)
    n = appeals if appeals is not None else round(APPEALS_PER_DAY * (end - start) / timedelta(days=1))
    if n < 0:
        raise ValueError("--appeals 不能为负数")
    store.migrate()
    if not store.is_empty():
        if not reset:
            raise NotEmpty("存储中已有数据。如需重新生成演示数据，请加 --reset（会删除现有全部数据）。")
        progress("清空现有数据 …")
        store.reset()
    began = time.monotonic()
    layers = reference.load()
    store.load_geography(layers)
    grids = layers["grid"][["code", "street_code", "community_code", "households", "population", "geometry"]]
    progress(
        f"地理数据：{len(layers['street'])} 个街道，{len(layers['community'])} 个社区，{len(grids)} 个网格"
    )
    workers = demo.generate_workers(grids, seed)
    history, latest = demo.generate_positions(workers, grids, end, seed)
    store.load_workers(workers, history, latest)
    progress(f"网格员：{len(workers)} 名，位置记录 {len(history)} 条")
    written = 0
    for chunk, events in demo.generate_appeals(grids, workers, n, start, end, seed, chunk_size=chunk_size,
                                                   plants=plants):
        store.insert_appeals(chunk, events)
        written += len(chunk)
        rate = written / max(time.monotonic() - began, 1e-9)
        progress(f"诉求：{written:,}/{n:,}（{written / max(n, 1):.0%}，{rate:,.0f} 条/秒）")
    with store.connect(write=True) as conn:
        store.set_meta(conn, "demo_seed", str(seed))
        store.set_meta(conn, "data_start", start.isoformat())
        store.set_meta(conn, "data_end", end.isoformat())
    store.analyze()
    summary = {"appeals": written, "workers": len(workers), "grids": len(grids), "start": start, "end": end}
    progress(f"完成：{written:,} 条诉求，用时 {time.monotonic() - began:.1f} 秒")
    return summary
