"""The live poll's plain parts: the poll itself, worker patches, the ticker, the outage banner."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

from dashboard.view import live
from dashboard.view.data import ticker
from dashboard.view.live import checked_index, counter, outage_banner
from dashboard.view.state import ViewState
from geo.access import SYSTEM
from geo.domain import LOCAL_TZ
from geo.store.errors import StoreNotReady, StoreUnavailable
from layers import workers


def test_a_patch_moves_only_the_changed_workers():
    items = [
        {"key": "W1", "name": "张*", "type": "full_time", "status": "patrolling", "lon": 1.0, "lat": 2.0},
        {"key": "W2", "name": "李*", "type": "window", "status": "standby", "lon": None, "lat": None},
        {"key": "W3", "name": "王**", "type": "industry", "status": "handling", "lon": 3.0, "lat": 4.0},
    ]
    collection = workers.feature_collection(items)
    placed = workers.placed_keys(items)
    assert placed == ["W1", "W3"] and len(collection["features"]) == 2
    before = copy.deepcopy(collection)
    moved = workers.position_patch(collection, placed, [
        {"key": "W3", "name": "王**", "type": "industry", "status": "offline", "lon": 3.5, "lat": 4.5},
        {"key": "W2", "name": "李*", "type": "window", "status": "patrolling", "lon": 9.0, "lat": 9.0},  # had no fix
    ])
    assert moved == 1
    assert collection["features"][0] == before["features"][0]
    assert collection["features"][1]["geometry"]["coordinates"] == [3.5, 4.5]
    assert collection["features"][1]["properties"]["status"] == "offline"
    assert "离线" in collection["features"][1]["properties"]["tooltip"]


def test_outage_banner_names_the_time_of_the_data_shown():
    assert outage_banner("14:05:09") == "数据连接中断，显示 14:05 的数据"
    assert "重试" in outage_banner(None)


def test_ticker_rows_carry_nothing_personal(writable_store):
    writable_store.ingest_appeals([{
        "source": "wechat", "source_ref": "ticker-1", "kind": "livelihood", "category": "noise", "priority": "normal",
        "title": "广场舞音响过大", "description": "张三 13800000000", "reporter_name": "张三",
        "reporter_phone": "13800000000", "lon": 120.4462, "lat": 36.1349, "accepted_at": datetime.now(UTC),
        "status": "accepted", "handling_level": "community"}])
    today = datetime.now(UTC).astimezone(LOCAL_TZ).date()
    rows = ticker(writable_store, ViewState.from_search("", today), SYSTEM, limit=3)
    assert rows[0]["title"] == "广场舞音响过大" and rows[0]["street"] == "中韩街道" and rows[0]["category"] == "噪音扰民"
    assert set(rows[0]) == {"id", "time", "street", "category", "title"}
    assert "13800000000" not in str(rows) and "张三" not in str(rows)
    street = ViewState.from_search("?scope=street&id=370212003&from=2026-09-21", today)
    assert ticker(writable_store, street, SYSTEM, limit=3)[0]["street"] == "王哥庄街道"


def test_forged_live_state_from_the_browser_is_ignored():
    good = {"scope": "370212", "keys": ["W1"], "period": None, "crs": "wgs84", "since": "2026-11-28T01:00:00+00:00"}
    assert checked_index(good) == good and checked_index({**good, "period": 493_000}) == {**good, "period": 493_000}
    for forged in ([], "x", {**good, "keys": "W1"}, {**good, "keys": [1]}, {**good, "crs": "bd09"},
                   {**good, "period": "1"}, {**good, "period": True},
                   {**good, "since": "garbage"}, {**good, "since": "2026-11-28T01:00:00"}, {**good, "scope": 5}):
        assert checked_index(forged) is None, forged
    assert counter(3) == 3 and counter("3") == 0 and counter(True) == 0 and counter(-1) == 0 and counter(None) == 0
    assert outage_banner({"x": 1}) == outage_banner(None)


# -- the poll both pages share ---------------------------------------------------------------

NOON = datetime(2026, 11, 28, 12, 0, 5, tzinfo=UTC)


def test_the_first_poll_reads_everything_but_does_not_rerun_the_panels():
    seen = []
    result = live.poll(None, lambda: {"data": "d1", "positions": "p1"}, seen.append, NOON, key="370212")
    assert result.ok and not result.catch_up and not result.recovered
    assert seen == [live.Changes(data=True, positions=True)]
    assert result.memory == {"data": "d1", "positions": "p1", "ok": True, "updated": "12:00:05", "key": "370212"}


def test_new_data_reruns_the_panels_and_new_positions_only_patch_workers():
    last = {"data": "d1", "positions": "p1", "ok": True, "updated": "12:00:02", "key": "370212"}
    quiet = live.poll(last, lambda: {"data": "d1", "positions": "p1"}, lambda c: c, NOON, key="370212")
    assert quiet.payload == live.Changes(data=False, positions=False) and not quiet.catch_up
    moved = live.poll(last, lambda: {"data": "d1", "positions": "p2"}, lambda c: c, NOON, key="370212")
    assert moved.payload == live.Changes(data=False, positions=True) and not moved.catch_up
    new = live.poll(last, lambda: {"data": "d2", "positions": "p1"}, lambda c: c, NOON, key="370212")
    assert new.payload == live.Changes(data=True, positions=False) and new.catch_up


def test_another_view_rereads_the_ticker_without_rerunning_the_panels():
    last = {"data": "d1", "positions": "p1", "ok": True, "updated": "12:00:02", "key": "370212"}
    other = live.poll(last, lambda: {"data": "d1", "positions": "p1"}, lambda c: c, NOON, key="370212001")
    assert other.payload.data and not other.catch_up  # the panels follow the URL themselves


def test_an_outage_keeps_the_last_data_and_the_next_good_poll_catches_up():
    last = {"data": "d1", "positions": "p1", "ok": True, "updated": "12:00:02", "key": "k"}

    def down():
        raise StoreUnavailable("数据库无法访问")

    def read_fails(_changes):
        raise StoreNotReady("尚未初始化")

    for result in (live.poll(last, down, lambda c: c, NOON, key="k"),
                   live.poll(last, lambda: {"data": "d1", "positions": "p1"}, read_fails, NOON, key="k")):
        assert not result.ok and not result.catch_up and result.payload is None
        assert result.memory == {**last, "ok": False} and result.updated == "12:00:02"
    back = live.poll({**last, "ok": False}, lambda: {"data": "d1", "positions": "p1"}, lambda c: c, NOON, key="k")
    assert back.ok and back.recovered and back.catch_up  # same data version, but the page must catch up
    assert back.memory["ok"] is True and back.updated == "12:00:05"


def test_a_forged_memory_from_the_browser_counts_as_none():
    for forged in ("x", [1], 5, {"updated": 7}):
        result = live.poll(forged, lambda: {"data": "d", "positions": "p"}, lambda c: c, NOON)
        assert result.ok and result.payload == live.Changes(data=True, positions=True)
    assert live.poll({"updated": 7}, lambda: (_ for _ in ()).throw(StoreUnavailable("x")), lambda c: c,
                     NOON).updated is None
