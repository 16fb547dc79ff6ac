"""One run of the 未诉先办 analysis: read grouped counts, detect, store the results, file the list.

Used by ``python app.py analyze`` and by the server's schedule. A run takes the
store's lock row first, so two processes (or two machines on one database)
never run at once; the results carry the run's ``as_of``, so a past list can
be reproduced with ``--as-of``.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

import pandas as pd

from geo import clock, domain
from geo.access import SYSTEM
from geo.analysis import forecast as forecasting
from geo.analysis import hotspots as detection
from geo.analysis import key_population, proactive, repeats
from geo.domain import LOCAL_TZ

#: The lock row's name.
LOCK_NAME = "analysis"
#: Weeks of actuals stored with each forecast, for its chart; years of history the forecast reads.
FORECAST_ACTUAL_WEEKS = 12
FORECAST_HISTORY_WEEKS = 3 * 52
FORECAST_HORIZON = 4
#: Days of recent appeals the repeat finder compares.
REPEAT_DAYS = 60


class AnalysisBusy(RuntimeError):
    """Another process holds the analysis lock."""


def analyze(store, as_of: datetime | None = None, progress: Callable[[str], None] = print) -> dict:
    """Runs every detection for ``as_of`` (default now), stores the results and files the list.

    Raises:
        AnalysisBusy: another process is running the analysis.
    """
    as_of = (as_of or clock.now()).astimezone(LOCAL_TZ)
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    if not store.acquire_lock(LOCK_NAME, holder):
        raise AnalysisBusy("另一个进程正在运行分析任务，请稍后再试")
    run_id = store.begin_run(as_of)
    timings: dict[str, float] = {}
    try:
        summary = _run(store, run_id, as_of, timings, progress)
        store.finish_run(run_id, "done", summary)
        return {"run_id": run_id, "as_of": as_of.isoformat(), **summary}
    except Exception as exc:
        store.finish_run(run_id, "failed", {"error": str(exc)[:500], "seconds": timings})
        raise
    finally:
        store.release_lock(LOCK_NAME, holder)


def _run(store, run_id: int, as_of: datetime, timings: dict, progress: Callable[[str], None]) -> dict:
    end = as_of.date()
    began = time.monotonic()

    def lap(step: str) -> None:
        nonlocal began
        timings[step] = round(time.monotonic() - began, 3)
        began = time.monotonic()

    index = store.grid_index()
    graph = detection.grid_graph(index.codes, index.tree.geometries)
    codes = graph.grids
    lap("weights")

    counts = store.problem_counts(end, detection.CUBE_WEEKS + detection.BASELINE_WEEKS)
    lap("read_counts")
    categories = [c.code for c in domain.CATEGORIES] + [detection.ALL]
    found = detection.find_hotspots(counts, graph, end, categories)
    lap("hotspots")
    history = detection.baseline_weeks_with_data(counts)
    if history < detection.MIN_BASELINE_WEEKS:
        progress(f"新兴热点：历史数据仅 {history} 周（需 {detection.MIN_BASELINE_WEEKS} 周作基线），本次不做热点分析")
    else:
        progress(f"新兴热点：{len(found)} 处（{len(codes)} 个网格 × {len(categories)} 类 × {detection.CUBE_WEEKS} 周）")

    weekly = store.weekly_counts(end, FORECAST_HISTORY_WEEKS)
    lap("read_weekly")
    predicted = _forecasts(weekly)
    lap("forecast")
    progress(f"季节预测：{predicted['unit_code'].nunique() if len(predicted) else 0} 个单位 × "
             f"{predicted['category'].nunique() if len(predicted) else 0} 类，未来 {FORECAST_HORIZON} 周")

    recent = store.recent_appeals(as_of - timedelta(days=REPEAT_DAYS), as_of)
    lap("read_recent")
    groups = repeats.find_repeats(recent)
    lap("repeats")
    progress(f"重复诉求：{len(groups)} 组（近 {REPEAT_DAYS} 天 {len(recent):,} 件）")

    kp = key_population.signals(counts, codes, store.key_population_totals(), key_population.CATEGORIES)
    lap("key_population")
    labels = "、".join(domain.CATEGORY_LABELS[c] for c in key_population.CATEGORIES)
    progress(f"重点人群信号：{len(kp)} 个网格（{labels}）")

    active = [h for h in found if h.pattern in detection.ACTIVE_PATTERNS]
    store.save_results(run_id, [_hotspot_row(h) for h in active], predicted,
                       [_repeat_row(g) for g in groups], kp)
    lap("save")
    names = {code: name for level in ("street", "community", "grid")
             for code, name in store.unit_names(level, SYSTEM).items()}
    candidates = (proactive.hotspot_candidates(active, names, {i: list(h.series) for i, h in enumerate(active)})
                  + proactive.forecast_candidates(predicted, names)
                  + proactive.repeat_candidates(groups, names, as_of)
                  + proactive.key_population_candidates(kp, names))
    filed = store.file_proactive_items(run_id, as_of, candidates)
    lap("list")
    progress(f"未诉先办清单：新增 {filed['created']} 项，更新 {filed['updated']} 项")
    return {
        "baseline_weeks": history,
        "hotspots": len(active),
        "patterns": dict(Counter(h.pattern for h in active)),
        "forecast_series": int(predicted.groupby(["unit_code", "category"]).ngroups) if len(predicted) else 0,
        "repeat_groups": len(groups),
        "key_population_signals": len(kp),
        "items": filed,
        "seconds": timings,
    }


def _forecasts(weekly: pd.DataFrame) -> pd.DataFrame:
    """Forecasts of every street and the district, with the last weeks' actuals, as rows to store."""
    columns = ["unit_code", "category", "week", "actual", "mean", "lo80", "hi80", "lo95", "hi95", "method"]
    if weekly.empty:
        return pd.DataFrame(columns=columns)
    ahead = pd.concat([forecasting.forecast(weekly, FORECAST_HORIZON),
                       forecasting.forecast_district(weekly, FORECAST_HORIZON)], ignore_index=True)
    ahead = ahead.rename(columns={"street_code": "unit_code"}).drop(columns=["horizon"])
    ahead["actual"] = None
    district = forecasting.district_counts(weekly)
    actual = pd.concat([weekly, district], ignore_index=True).rename(columns={"street_code": "unit_code",
                                                                                "count": "actual"})
    last_weeks = sorted(actual["week"].unique())[-FORECAST_ACTUAL_WEEKS:]
    actual = actual[actual["week"].isin(last_weeks)]
    for column in ("mean", "lo80", "hi80", "lo95", "hi95", "method"):
        actual[column] = None
    return pd.concat([actual[columns], ahead[columns]], ignore_index=True)


def _hotspot_row(h: detection.Hotspot) -> dict:
    communities = {code[:12] for code in h.grids}
    return {
        "category": h.category, "pattern": h.pattern, "score": h.score, "observed": h.observed,
        "expected": h.expected, "significance": h.significance, "start_day": h.start,
        "street_code": h.grids[0][:9], "community_code": communities.pop() if len(communities) == 1 else None,
        "grid_rows": [dict(d) for d in h.grid_details],
    }


def _repeat_row(g: repeats.RepeatGroup) -> dict:
    return {
        "category": g.category, "street_code": g.street_code, "community_code": g.community_code,
        "grid_code": g.grid_code, "count": g.count, "first_at": _instant(g.first_accepted_at),
        "last_at": _instant(g.last_accepted_at), "title": g.title, "similarity": float(g.mean_similarity),
        "appeal_ids": json.dumps([int(i) for i in g.ids]),
    }


def _instant(value) -> datetime:
    return pd.Timestamp(value).to_pydatetime()
