"""Live updates: a cheap poll of the store's data versions drives everything else.

Every ``LIVE_POLL_MS`` the page asks one question: did appeals or positions
change? New appeals bump the minute ``REFRESH`` counter, so KPIs, heat and
charts recompute at once (their cache keys include the data version), and the
ticker is re-read. Moved workers are patched into the map's point layer, so
only their coordinates travel. If the database goes away the page keeps what
it shows under a banner, and catches up by itself when it returns.
"""

from __future__ import annotations

from datetime import UTC, datetime

from dash import Input, Output, Patch, State, no_update

from dashboard import ids, layout
from dashboard.api import get_store, viewer_scope
from dashboard.views import ticker, view_state
from geo.crs import wgs84_to_gcj02
from geo.domain import LOCAL_TZ
from geo.store.errors import StoreNotReady, StoreUnavailable
from layers import workers

OUTAGE = (StoreUnavailable, StoreNotReady)


def clock() -> datetime:
    return datetime.now(LOCAL_TZ)


def outage_banner(last_ok) -> str:
    if isinstance(last_ok, str) and len(last_ok) >= 5:
        return f"数据连接中断，显示 {last_ok[:5]} 的数据"
    return "数据连接中断，正在重试…"


def checked_index(index) -> dict | None:
    """The worker index as the browser sent it back, or None (forcing a full reload) if it is not one of ours."""
    if not isinstance(index, dict):
        return None
    ids_ok = isinstance(index.get("ids"), list) and all(isinstance(i, str) for i in index["ids"])
    if not (isinstance(index.get("scope"), str) and ids_ok and index.get("crs") in ("wgs84", "gcj02")):
        return None
    since = index.get("since")
    if since is not None:
        try:
            if not isinstance(since, str) or datetime.fromisoformat(since).tzinfo is None:
                return None
        except ValueError:
            return None
    return index


def catch_up(last: dict, versions: dict) -> bool:
    """Whether the panels must re-run: new data since the last poll, or the store is back after an
    outage (never on the first poll: they have just run)."""
    return bool(last) and (versions["data"] != last.get("data") or last.get("ok") is False)


def counter(value) -> int:
    """An Interval's n_intervals from the browser, as a sane integer."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def worker_index(scope, items: list[dict], crs: str = "wgs84") -> dict:
    """What the browser keeps next to a full worker layer, so later polls can patch it."""
    return {"scope": scope.code, "ids": workers.placed_ids(items), "crs": crs,
            "since": max((w["at"] for w in items if w["at"]), default=None)}


def worker_patch(store, scope, index: dict | None, names: bool = True):
    """(Patch of moved workers or no_update, new index) since the index's ``since``."""
    index = checked_index(index)
    if not index or index.get("scope") != scope.code or not index.get("ids"):
        return no_update, no_update
    since = datetime.fromisoformat(index["since"]) if index.get("since") else None
    rows = store.positions_since(scope, since, viewer_scope())
    if not rows:
        return no_update, no_update
    if index.get("crs") == "gcj02":
        for row in rows:
            lon, lat = wgs84_to_gcj02(row["lon"], row["lat"])
            row["lon"], row["lat"] = float(lon), float(lat)
    patch = Patch()
    if not workers.position_patch(patch, index["ids"], rows, names):
        return no_update, no_update
    newest = max(row["at"] for row in rows).astimezone(UTC).isoformat()
    return patch, {**index, "since": newest}


def register(app) -> None:
    @app.callback(
        Output(ids.LIVE_STATE, "data"),
        Output(ids.REFRESH, "n_intervals", allow_duplicate=True),
        Output(ids.TICKER, "children"),
        Output(ids.WORKER_POINTS, "data", allow_duplicate=True),
        Output(ids.WORKER_INDEX, "data", allow_duplicate=True),
        Output(ids.LIVE_INDICATOR, "children"),
        Output(ids.LIVE_BANNER, "children"),
        Output(ids.LIVE_BANNER, "hidden"),
        Input(ids.LIVE_TICK, "n_intervals"),
        Input(ids.URL, "search"),
        State(ids.LIVE_STATE, "data"),
        State(ids.WORKER_INDEX, "data"),
        State(ids.REFRESH, "n_intervals"),
        prevent_initial_call="initial_duplicate",
    )
    def poll(_tick, search, last, index, refreshes):
        last = last if isinstance(last, dict) else {}
        store = get_store()
        now = clock().strftime("%H:%M:%S")
        try:
            state = view_state(search, store, viewer_scope())
            versions = store.live_versions()
            scope_changed = last.get("scope") != state.scope.code
            data_changed = versions["data"] != last.get("data")
            rows = ticker(store, state.scope, viewer_scope()) if data_changed or scope_changed else None
            points, new_index = (worker_patch(store, state.scope, index)
                                 if versions["positions"] != last.get("positions") else (no_update, no_update))
        except OUTAGE:
            return ({**last, "ok": False}, no_update, no_update, no_update, no_update,
                    layout.live_indicator(last.get("updated", "—"), ok=False), outage_banner(last.get("updated")),
                    False)
        return (
            {**versions, "ok": True, "updated": now, "scope": state.scope.code},
            counter(refreshes) + 1 if catch_up(last, versions) else no_update,
            layout.ticker_rows(rows) if rows is not None else no_update,
            points,
            new_index,
            layout.live_indicator(now, ok=True),
            "",
            True,
        )
