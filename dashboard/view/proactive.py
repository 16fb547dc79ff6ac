"""What the wall and the exports show of 未诉先办: open items by list level and by status, and the top hotspots.

Both read the same store methods with the caller's viewer (the wall reads as
the 大屏 role), so the wall's tiles, the briefing's section and the workbook's
sheet agree with ``/api/proactive-items`` and ``/api/hotspots``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from geo import domain
from geo.access import Viewer
from geo.analysis.hotspots import ACTIVE_PATTERNS, ALL, PATTERNS
from geo.analysis.proactive import OPEN_STATUSES, STATUSES
from geo.scope import Scope

#: The lists an item can be on, top down, with the names the wall and the exports give them.
LIST_LABELS = {"district": "区级清单", "street": "街道清单", "community": "社区清单"}
#: Hotspots a summary keeps at most (the wall shows 3 of them at 16:9 and all on ultra-wide walls).
TOP_HOTSPOTS = 5
#: How an all-categories hotspot is named.
ALL_LABEL = "全部类别"


@dataclass(frozen=True)
class Summary:
    """One scope's 未诉先办 at a glance.

    Attributes:
        run: The analysis run shown (None: the analysis has never finished a run).
        open_by_level: Open items (待研判 + 已派发 + 处置中) per list, for the lists at and below the scope.
        by_status: All items of those lists per status, in the workflow's order.
        hotspots: The strongest active hotspots touching the scope, labelled (see :func:`top_hotspots`).
    """

    run: dict | None
    open_by_level: dict[str, int]
    by_status: dict[str, int]
    hotspots: list[dict]

    @property
    def open_total(self) -> int:
        return sum(self.open_by_level.values())


def list_scope(scope: Scope) -> Scope:
    """Where a scope's items are listed: a grid has no list of its own and reads its community's."""
    return Scope("community", scope.code[:12]) if scope.level == "grid" else scope


def list_levels(scope: Scope) -> tuple[str, ...]:
    """The lists at and below ``scope``: a street holds no district item, so it shows no 区级清单."""
    levels = tuple(LIST_LABELS)
    level = list_scope(scope).level
    return levels[levels.index(level):]


def open_by_level(counts: dict[str, dict[str, int]], levels: tuple[str, ...]) -> dict[str, int]:
    """Open items per list from :meth:`Store.proactive_counts` (level → status → n)."""
    return {level: sum(counts.get(level, {}).get(status, 0) for status in OPEN_STATUSES) for level in levels}


def by_status(counts: dict[str, dict[str, int]]) -> dict[str, int]:
    """Items per status over every list, in :data:`STATUSES` order."""
    return {status: sum(per.get(status, 0) for per in counts.values()) for status in STATUSES}


def top_hotspots(store, scope: Scope, viewer: Viewer, run: dict | None, limit: int = TOP_HOTSPOTS) -> list[dict]:
    """The run's strongest active hotspots touching ``scope``, with Chinese labels and the place's name.

    Each: ``category``, ``category_label``, ``pattern``, ``pattern_label``, ``place`` (its community, or its
    street when it spans communities), ``observed``, ``expected`` (inside the scope), ``score``, ``start``.
    A hotspot of all categories together is kept only where no category's hotspot already covers its grids.
    """
    if run is None:
        return []
    found = [h for h in store.hotspots(scope, viewer, None, run["id"]) if h["pattern"] in ACTIVE_PATTERNS]
    covered = {code for h in found if h["category"] != ALL for code in h["grid_codes"]}
    kept = [h for h in found if h["category"] != ALL or not covered.intersection(h["grid_codes"])][:limit]
    if not kept:
        return []
    names = {**store.unit_names("street", viewer), **store.unit_names("community", viewer)}
    out = []
    for h in kept:
        place_code = h["community_code"] or h["street_code"]
        out.append({
            "category": h["category"],
            "category_label": ALL_LABEL if h["category"] == ALL else domain.CATEGORY_LABELS[h["category"]],
            "pattern": h["pattern"],
            "pattern_label": PATTERNS[h["pattern"]],
            "place": names.get(place_code, place_code),
            "observed": int(h["observed"]),
            "expected": round(float(h["expected"]), 1),
            "score": float(h["score"]),
            "start": h["start"],
        })
    return out


def summary(store, scope: Scope, viewer: Viewer, as_of: datetime | None = None,
            limit: int = TOP_HOTSPOTS) -> Summary:
    """Counts and top hotspots of ``scope`` as ``viewer`` may see them; the run is the newest (for ``as_of``)."""
    lists = list_scope(scope)
    counts = store.proactive_counts(lists, viewer)
    run = store.latest_run(as_of)
    return Summary(run, open_by_level(counts, list_levels(scope)), by_status(counts),
                   top_hotspots(store, scope, viewer, run, limit))


def open_items(store, scope: Scope, viewer: Viewer, limit: int = 200) -> list[dict]:
    """The open items of the scope's lists, as the store orders them (strongest first), labelled."""
    items = store.proactive_items(list_scope(scope), viewer, status=",".join(OPEN_STATUSES), limit=limit)
    for item in items:
        item["category_label"] = domain.CATEGORY_LABELS.get(item["category"], item["category"])
        item["list_label"] = LIST_LABELS.get(item["level"], item["level"])
    return items
