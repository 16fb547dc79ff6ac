"""对比: 2–4 units of one level side by side, for the view's window and filters.

The KPIs come from one grouped :meth:`Store.kpi_counts` over the units' common
parent and :func:`geo.kpis.compute` (the cards' formula, not a copy), the trend
from :meth:`Store.daily_counts` per unit, summed by week for long windows.
"""

from __future__ import annotations

from datetime import datetime

from dashboard.view.data import cached, gather
from dashboard.view.playback import step_of
from dashboard.view.shared_cache import ViewCache
from dashboard.view.state import ViewState
from geo import kpis as kpi_math
from geo.access import Viewer
from geo.domain import LEVELS
from geo.scope import CODE_LENGTH, Scope
from geo.store.store import APPEAL_SCOPE_COLUMN, Store


def common_parent(scopes: list[Scope]) -> Scope:
    """The smallest unit that holds all of ``scopes`` (one query then covers them all)."""
    codes = [s.code for s in scopes]
    level = scopes[0].level
    for parent in reversed(LEVELS[: LEVELS.index(level)]):
        prefix = codes[0][: CODE_LENGTH[parent]]
        if all(code.startswith(prefix) for code in codes):
            return Scope(parent, prefix)
    raise ValueError("units outside the district")  # every code starts with the district's


def buckets(days: list[dict], step: str) -> list[dict]:
    """Daily counts summed per step: ``start``, ``end`` (inclusive), ``days`` in it, ``accepted``.

    The last week of a window may be short; it says how many days it holds, so a low bar is not misread.
    """
    size = 7 if step == "week" else 1
    out = []
    for i in range(0, len(days), size):
        chunk = days[i:i + size]
        out.append({"start": chunk[0]["day"], "end": chunk[-1]["day"], "days": len(chunk),
                    "accepted": sum(d["accepted"] for d in chunk)})
    return out


def compare(store: Store, state: ViewState, as_of: datetime, viewer: Viewer, cache: ViewCache | None = None) -> dict:
    """``step`` and per compared unit (in the link's order) its name, KPIs (as /api/kpis has them) and trend."""
    scopes = state.compare_scopes()
    parent = common_parent(scopes)

    def compute():
        names = [store.resolve(scope, viewer).name for scope in scopes]
        column = APPEAL_SCOPE_COLUMN[scopes[0].level]
        groups, *trends = gather(
            lambda: store.kpi_counts(parent, state.window, as_of, state.filters, group_by=column, viewer=viewer),
            *[lambda s=s: store.daily_counts(s, state.window, state.filters, viewer=viewer) for s in scopes],
        )
        step = step_of((state.window.end - state.window.start).days)
        return {
            "step": step,
            "units": [{"level": s.level, "code": s.code, "name": name,
                       "kpis": kpi_math.as_json(kpi_math.compute(groups.get(s.code, {}))),
                       "trend": buckets(trend, step)}
                      for s, name, trend in zip(scopes, names, trends, strict=True)],
        }

    # The parent holds every compared unit: a viewer who may see it may see them (cached checks it on every call).
    return cached(cache, store, "compare", viewer, parent, (state.data_search(), as_of), compute)
