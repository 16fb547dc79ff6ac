"""The live poll, shared by the dashboard and the big screen: what changed, is the store there, must the panels catch up.

Every few seconds the browser asks one cheap question (the store's data and
position versions). :func:`poll` turns the answer and what the browser
remembers from the last poll into a plain decision: re-read the ticker, patch
moved workers, re-run the panels, or show the outage banner. Moved workers are
sent as a small Patch of their coordinates, never the whole layer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from dash import Patch, no_update

from dashboard.view.guards import OUTAGE
from geo import clock
from geo.access import Viewer
from geo.crs import geojson_to_gcj02, wgs84_to_gcj02
from geo.privacy import worker_key_period
from geo.scope import Scope
from geo.store.store import Store
from layers import workers


class Changes(NamedTuple):
    """What changed since the browser's last poll: ``data`` (new appeals or events, or another view than
    last time) and ``positions`` (workers moved)."""

    data: bool
    positions: bool


@dataclass(frozen=True)
class Poll:
    """One poll's outcome; ``memory`` goes back to the browser for the next one."""

    memory: dict
    #: Re-run the panels: new data since the last poll, or the store is back after an outage.
    catch_up: bool = False
    #: The store answers again after an outage.
    recovered: bool = False
    #: What ``read`` returned (None during an outage).
    payload: Any = None

    @property
    def ok(self) -> bool:
        """The store answered this poll."""
        return self.memory["ok"]

    @property
    def updated(self) -> str | None:
        """HH:MM:SS of the last poll that reached the store, or None."""
        value = self.memory.get("updated")
        return value if isinstance(value, str) else None

    def outputs(self, refreshes, workers=(no_update, no_update), banner=(no_update, no_update)) -> tuple:
        """What every page's poll answers (in ``LiveIds.outputs`` order): memory, refresh count, the worker
        layer's (points, index) and the banner's (text, hidden). During an outage only the banner changes."""
        if not self.ok:
            return self.memory, no_update, no_update, no_update, outage_banner(self.updated), False
        return self.memory, counter(refreshes) + 1 if self.catch_up else no_update, *workers, *banner


def poll(last, versions: Callable[[], dict], read: Callable[[Changes], Any], now: datetime, key: str = "") -> Poll:
    """One live poll: ``versions()`` asks the store what changed, ``read(changes)`` fetches what must be sent.

    Either may fail with an outage; the poll then keeps the browser's memory,
    marked not ok, so the next good poll recovers and catches up. ``key``
    names the view (a new view counts as changed data, for the ticker).
    """
    last = last if isinstance(last, dict) else {}
    try:
        current = versions()
        changes = Changes(data=current["data"] != last.get("data") or key != last.get("key"),
                          positions=current["positions"] != last.get("positions"))
        payload = read(changes)
    except OUTAGE:
        return Poll({**last, "ok": False})
    recovered = last.get("ok") is False
    # Never on the first poll: the panels have just run.
    catch_up = bool(last) and (current["data"] != last.get("data") or recovered)
    memory = {**current, "ok": True, "updated": now.strftime("%H:%M:%S"), "key": key}
    return Poll(memory, catch_up=catch_up, recovered=recovered, payload=payload)


def outage_banner(last_ok) -> str:
    if isinstance(last_ok, str) and len(last_ok) >= 5:
        return f"数据连接中断，显示 {last_ok[:5]} 的数据"
    return "数据连接中断，正在重试…"


def counter(value) -> int:
    """An Interval's n_intervals from the browser, as a sane integer."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def checked_index(index) -> dict | None:
    """The worker index as the browser sent it back, or None (forcing a full reload) if it is not one of ours."""
    if not isinstance(index, dict):
        return None
    keys_ok = isinstance(index.get("keys"), list) and all(isinstance(k, str) for k in index["keys"])
    period = index.get("period")
    period_ok = period is None or (isinstance(period, int) and not isinstance(period, bool))
    if not (isinstance(index.get("scope"), str) and keys_ok and period_ok and index.get("crs") in ("wgs84", "gcj02")):
        return None
    since = index.get("since")
    if since is not None:
        try:
            if not isinstance(since, str) or datetime.fromisoformat(since).tzinfo is None:
                return None
        except ValueError:
            return None
    return index


def worker_index(scope: Scope, doc: dict, crs: str = "wgs84") -> dict:
    """What the browser keeps next to a full worker layer (a :meth:`Store.workers` answer), so later polls can
    patch it: the store's keys in feature order, and the period they hold for (None: ids, they always hold)."""
    items = doc["items"]
    return {"scope": scope.code, "keys": workers.placed_keys(items), "period": doc.get("key_period"), "crs": crs,
            "since": max((w["at"] for w in items if w["at"]), default=None)}


def worker_layer(store: Store, scope: Scope, viewer: Viewer, crs: str = "wgs84", names: bool = True) -> tuple[dict, dict]:
    """The whole worker layer of a scope as the viewer may see it, and its index."""
    doc = store.workers(scope, viewer)
    points = workers.feature_collection(doc["items"], names)
    return (geojson_to_gcj02(points) if crs == "gcj02" else points), worker_index(scope, doc, crs)


def keys_expired(index: dict) -> bool:
    """The wall's worker keys have turned over since the layer was sent: the layer must be sent again."""
    return index.get("period") is not None and index["period"] != worker_key_period(clock.now())


def worker_patch(store: Store, scope: Scope, index, viewer: Viewer, names: bool = True):
    """(Patch of moved workers or no_update, new index) since the index's ``since``; the whole layer
    again once its keys have turned over."""
    index = checked_index(index)
    if not index or index.get("scope") != scope.code or not index.get("keys"):
        return no_update, no_update
    if keys_expired(index):
        return worker_layer(store, scope, viewer, index["crs"], names)
    since = datetime.fromisoformat(index["since"]) if index.get("since") else None
    rows = store.positions_since(scope, since, viewer)
    if not rows:
        return no_update, no_update
    if index.get("crs") == "gcj02":
        for row in rows:
            lon, lat = wgs84_to_gcj02(row["lon"], row["lat"])
            row["lon"], row["lat"] = float(lon), float(lat)
    patch = Patch()
    if not workers.position_patch(patch, index["keys"], rows, names):
        return no_update, no_update
    newest = max(row["at"] for row in rows).astimezone(UTC).isoformat()
    return patch, {**index, "since": newest}
