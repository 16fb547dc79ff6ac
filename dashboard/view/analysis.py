"""What the 未诉先办 views read: the run a view shows, hotspots, forecasts and the list, with their labels.

Shared by the JSON API, the dashboard's panel and layer, the wall and the exports,
so each shows the same run's results the same way.
"""

from __future__ import annotations

from datetime import datetime

from geo import domain
from geo.access import Viewer
from geo.analysis.hotspots import ALL, PATTERNS
from geo.analysis.proactive import KINDS, STATUSES
from geo.scope import InvalidQuery, Scope, quoted


def category_arg(raw: str | None, allow_all: bool = False) -> str | None:
    """A category code (or ``all`` for the hotspots of all categories together); empty means every category."""
    if not raw:
        return None
    if raw in domain.CATEGORY_BY_CODE or (allow_all and raw == ALL):
        return raw
    raise InvalidQuery(f"诉求类别{quoted(raw)}无效")


def status_arg(raw: str | None) -> str | None:
    """Comma-separated item statuses (待研判 pending, 已派发 dispatched, …); empty means all."""
    if not raw:
        return None
    codes = [code.strip() for code in raw.split(",") if code.strip()]
    unknown = [code for code in codes if code not in STATUSES]
    if unknown or not codes:
        raise InvalidQuery(f"事项状态{quoted(','.join(unknown) or raw)}无效，应为 {'、'.join(STATUSES)} 之一")
    return ",".join(codes)


def current_run(store, as_of: datetime | None = None) -> dict | None:
    """The run a view shows: the newest finished one, or the newest computed for ``as_of`` or before."""
    return store.latest_run(as_of)


def hotspots_doc(store, scope: Scope, viewer: Viewer, category: str | None = None,
                 as_of: datetime | None = None) -> dict:
    """``GET /api/hotspots``: the run's hotspots touching the scope, with Chinese labels."""
    store.resolve(scope, viewer)
    run = current_run(store, as_of)
    items = store.hotspots(scope, viewer, category, run["id"] if run else None)
    for item in items:
        item["pattern_label"] = PATTERNS.get(item["pattern"], item["pattern"])
        item["category_label"] = "全部类别" if item["category"] == ALL else domain.CATEGORY_LABELS[item["category"]]
        item["expected"] = round(item["expected"], 2)
    return {"scope": scope.level, "id": scope.code, "run": run_info(run), "items": items}


def items_doc(store, scope: Scope, viewer: Viewer, status: str | None = None, category: str | None = None) -> dict:
    """``GET /api/proactive-items``: the lists of the scope and the units inside it."""
    store.resolve(scope, viewer)
    items = store.proactive_items(scope, viewer, status=status, category=category)
    for item in items:
        item["category_label"] = domain.CATEGORY_LABELS.get(item["category"], item["category"])
        item["level_label"] = domain.LEVEL_LABELS.get(item["level"], item["level"])
    return {"scope": scope.level, "id": scope.code, "total": len(items), "items": items,
            "statuses": STATUSES, "kinds": KINDS}


def run_info(run: dict | None) -> dict | None:
    if run is None:
        return None
    return {"id": run["id"], "as_of": run["as_of"].astimezone(domain.LOCAL_TZ).isoformat(),
            "finished_at": run["finished_at"].astimezone(domain.LOCAL_TZ).isoformat() if run["finished_at"] else None}
