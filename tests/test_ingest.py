"""The ingest API on both backends: auth, validation, idempotency, transitions, pings, dead letters."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import shapely
import sqlalchemy as sa

from geo import reference
from geo.access import SYSTEM
from geo.crs import wgs84_to_gcj02
from geo.scope import DISTRICT
from geo.store import schema
from tests.conftest import client_of

KEY = "test-key-1"
HEADERS = {"X-API-Key": KEY}
#: Dead letters hold raw personal data: reading and replaying them takes an admin key.
ADMIN = {"X-API-Key": "test-admin-key"}
NOW_UTC = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
#: A point in 中韩街道 (its outline's representative point).
LON, LAT = 120.4462, 36.1349


def appeal(ref: str, **changes) -> dict:
    item = {"source": "hotline_12345", "source_ref": ref, "kind": "livelihood", "category": "noise",
            "priority": "normal", "title": "夜间施工噪音", "description": "工地夜里施工",
            "reporter_name": "张三", "reporter_phone": "13812345678", "lon": LON, "lat": LAT}
    item.update(changes)
    return item


@pytest.fixture
def app(writable_store, make_app):
    return make_app(writable_store.url, INGEST_API_KEYS=f"tests:{KEY},ops:test-admin-key:admin")


@pytest.fixture
def client(app):
    return client_of(app)


def post(client, url, body, headers=HEADERS):
    return client.post(url, data=json.dumps(body, ensure_ascii=False), headers=headers,
                       content_type="application/json")


def replay(client, letter_id, headers=ADMIN):
    """POST a dead letter's replay, as JSON like every ingest POST (it has no body)."""
    return client.post(f"/api/dead-letters/{letter_id}/replay", headers=headers, content_type="application/json")


# -- auth ------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/appeals", "/api/appeals/1/events", "/api/positions", "/api/dead-letters"])
def test_writes_need_a_key(client, url):
    method = client.get if url.endswith("dead-letters") else client.post
    assert method(url, json={}).status_code == 401
    assert method(url, json={}, headers={"X-API-Key": "wrong"}).status_code == 403


def test_dead_letters_need_an_admin_key(client, writable_store):
    assert client.get("/api/dead-letters", headers=HEADERS).status_code == 403
    assert replay(client, 1, HEADERS).status_code == 403
    assert client.get("/api/dead-letters", headers=ADMIN).status_code == 200
    stored_admin = writable_store.create_api_key("ops2", "admin")
    assert client.get("/api/dead-letters", headers={"X-API-Key": stored_admin}).status_code == 200
    assert client.get("/api/keys/me", headers=HEADERS).get_json() == {"name": "tests", "role": "writer"}


def test_stored_keys_work_and_can_be_revoked(client, writable_store):
    key = writable_store.create_api_key("hotline")
    assert post(client, "/api/appeals", appeal("K-1"), {"X-API-Key": key}).status_code == 201
    writable_store.revoke_api_key("hotline")
    assert post(client, "/api/appeals", appeal("K-2"), {"X-API-Key": key}).status_code == 403


# -- appeals ---------------------------------------------------------------------------------


def test_one_appeal_is_stored_located_and_idempotent(client, writable_store):
    r = post(client, "/api/appeals", appeal("A-1"))
    assert r.status_code == 201 and r.get_json()["status"] == "created"
    appeal_id = r.get_json()["id"]
    again = post(client, "/api/appeals", appeal("A-1", title="重发"))
    assert again.status_code == 200 and again.get_json() == {"index": 0, "status": "existing", "id": appeal_id}
    stored = writable_store.latest_appeals(DISTRICT, limit=1, viewer=SYSTEM)[0]
    assert stored["id"] == appeal_id and stored["street_code"] == "370212001" and stored["title"] == "夜间施工噪音"
    listed = client.get(f"/api/appeals?scope=street&id=370212001&from={datetime.now(UTC).date()}&limit=5")
    item = next(i for i in listed.get_json()["items"] if i["id"] == appeal_id)
    assert item["status"] == "accepted" and item["reporter_phone"] == "138****5678"
    assert item["deadline"] > item["accepted_at"]


def test_batch_answers_per_item_and_never_duplicates(client, writable_store):
    before = writable_store.count("appeals")
    items = [appeal(f"B-{i}") for i in range(50)] + [appeal("B-bad", kind="nonsense"), appeal("B-3")]
    r = post(client, "/api/appeals", items)
    body = r.get_json()
    assert r.status_code == 200 and body["created"] == 50 and body["rejected"] == 1 and body["existing"] == 1
    assert body["results"][50]["errors"] == ["kind: 未知的诉求类型 'nonsense'，可选：livelihood, development, enforcement"]
    assert body["results"][51]["id"] == body["results"][3]["id"]
    retry = post(client, "/api/appeals", {"appeals": items}).get_json()
    assert retry["existing"] == 51 and "created" not in retry
    assert writable_store.count("appeals") == before + 50


def test_concurrent_writers_of_the_same_appeals_store_each_once(writable_store):
    """No table lock: writers go on side by side, and when two race on one key, one row is stored and both
    callers get its id."""
    store = writable_store
    before = store.count("appeals")
    batches = [[appeal(f"C-{i}") for i in range(start, start + 60)] for start in (0, 30, 15, 45)]
    batches += [list(reversed(b)) for b in batches]  # the same keys in the opposite order: no deadlock either
    singles = [[appeal(f"C-{i}")] for i in range(0, 90, 7)]
    results: dict[int, list] = {}

    def write(n, records):
        results[n] = store.ingest_appeals([{**r, "accepted_at": NOW_UTC, "status": "accepted",
                                            "handling_level": "community"} for r in records])

    threads = [threading.Thread(target=write, args=(n, b)) for n, b in enumerate(batches + singles)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == len(threads)  # no writer failed
    assert store.count("appeals") == before + 105  # C-0 … C-104, each once
    ids: dict[str, set[int]] = {}
    for n, records in enumerate(batches + singles):
        for record, (appeal_id, _created) in zip(records, results[n], strict=True):
            ids.setdefault(record["source_ref"], set()).add(appeal_id)
    assert all(len(v) == 1 for v in ids.values())  # every caller got the one stored id
    assert sum(created for r in results.values() for _, created in r) == 105  # and exactly one was told "created"


def test_gcj02_points_are_converted(client, writable_store):
    lon, lat = wgs84_to_gcj02(LON, LAT)
    r = post(client, "/api/appeals", appeal("G-1", lon=float(lon), lat=float(lat), crs="gcj02"))
    assert r.status_code == 201
    item = client.get(f"/api/appeals?scope=street&id=370212001&from={datetime.now(UTC).date()}&limit=1000")
    stored = next(i for i in item.get_json()["items"] if i["id"] == r.get_json()["id"])
    assert abs(stored["lon"] - LON) < 1e-5 and abs(stored["lat"] - LAT) < 1e-5


def test_a_point_just_off_the_coast_goes_to_the_nearest_grid(client, writable_store):
    land = shapely.union_all([shapely.geometry.shape(f["geometry"]) for f in reference.read_geojson("district")["features"]])
    ring = land.buffer(0.002).exterior  # ~180–220 m outside the land, inside the 500 m margin
    point = next(p for p in (ring.interpolate(t, normalized=True) for t in np.linspace(0, 1, 400))
                 if writable_store.locate(p.x, p.y) == [None])
    r = post(client, "/api/appeals", appeal("S-1", lon=point.x, lat=point.y))
    assert r.status_code == 201, r.get_json()
    stored = writable_store.latest_appeals(DISTRICT, limit=1, viewer=SYSTEM)[0]
    nearest = min(writable_store.boundaries("grid", viewer=SYSTEM)["features"],
                  key=lambda f: shapely.geometry.shape(f["geometry"]).distance(point))
    assert stored["id"] == r.get_json()["id"] and stored["street_code"] == nearest["properties"]["code"][:9]
    far = land.buffer(0.02).exterior.interpolate(0.5, normalized=True)  # ~2 km out at sea
    assert post(client, "/api/appeals", appeal("S-2", lon=far.x, lat=far.y)).status_code == 422


BAD = [
    ({"lon": LAT, "lat": LON}, "写反"),  # swapped
    ({"lon": 121.2, "lat": 36.1}, "不在崂山区内"),
    ({"crs": "bd09"}, "crs"),
    ({"accepted_at": "2026-11-28T09:00:00"}, "时区"),
    ({"accepted_at": (datetime.now(UTC) + timedelta(days=2)).isoformat()}, "晚于当前时间"),
    ({"category": "ufo"}, "category"),
    ({"source": "fax"}, "source"),
    ({"title": ""}, "title"),
    ({"reporter_phone": "call me"}, "reporter_phone"),
    ({"lon": "abc"}, "lon"),
    ({"unexpected": 1}, "unexpected"),
]


@pytest.mark.parametrize("change,reason", BAD)
def test_invalid_appeals_are_rejected_with_reasons_and_dead_lettered(client, change, reason):
    item = appeal("BAD-1", **change)
    r = post(client, "/api/appeals", item)
    assert r.status_code == 422 and any(reason in e for e in r.get_json()["errors"]), r.get_json()
    letters = client.get("/api/dead-letters", headers=ADMIN).get_json()
    assert letters["total"] == 1
    assert json.loads(letters["items"][0]["payload"]) == item and letters["items"][0]["key_name"] == "tests"


def test_missing_fields_and_malformed_bodies(client):
    r = post(client, "/api/appeals", {"source": "wechat"})
    assert r.status_code == 422 and "source_ref: 缺少必填字段" in r.get_json()["errors"]
    broken = client.post("/api/appeals", data="{not json", headers=HEADERS, content_type="application/json")
    assert broken.status_code == 400 and "JSON" in broken.get_json()["error"]
    assert post(client, "/api/appeals", []).status_code == 400
    assert post(client, "/api/appeals", "text").status_code == 400
    assert post(client, "/api/appeals", [appeal(f"X-{i}") for i in range(1001)]).status_code == 413
    letters = client.get("/api/dead-letters", headers=ADMIN).get_json()["items"]
    assert {x["payload"] for x in letters} >= {"{not json"}


def test_an_out_of_order_event_is_dead_lettered_then_replayed(client):
    appeal_id = post(client, "/api/appeals", appeal("R-1")).get_json()["id"]
    early = post(client, f"/api/appeals/{appeal_id}/events", {"to_status": "in_progress", "actor": "城管科"})
    assert early.status_code == 409
    letter = client.get("/api/dead-letters", headers=ADMIN).get_json()["items"][0]
    assert letter["endpoint"] == f"events/{appeal_id}"
    assert replay(client, letter["id"]).status_code == 422  # still early
    assert post(client, f"/api/appeals/{appeal_id}/events", {"to_status": "dispatched", "actor": "社区"}).status_code == 201
    replayed = replay(client, letter["id"])
    assert replayed.status_code == 200 and replayed.get_json()["result"]["appeal_status"] == "in_progress"
    assert replay(client, letter["id"]).status_code == 409
    assert client.get("/api/dead-letters", headers=ADMIN).get_json()["total"] == 0
    assert client.get("/api/dead-letters?pending=0", headers=ADMIN).get_json()["total"] == 1
    assert replay(client, 424242).status_code == 404


# -- workflow events -------------------------------------------------------------------------


def new_appeal(client, ref="E-1") -> int:
    return post(client, "/api/appeals", appeal(ref)).get_json()["id"]


def test_the_workflow_runs_through_and_kpis_follow(client, writable_store):
    appeal_id = new_appeal(client)
    steps = [
        {"to_status": "dispatched", "actor": "社区网格员"},
        {"to_status": "dispatched", "actor": "街道", "handling_level": "street", "ref": "esc-1"},
        {"to_status": "in_progress", "actor": "城管科"},
        {"to_status": "feedback", "actor": "城管科"},
        {"to_status": "visited", "actor": "回访员", "resolved": True, "satisfaction": "satisfied"},
        {"to_status": "closed", "actor": "崂先办"},
    ]
    for step in steps:
        r = post(client, f"/api/appeals/{appeal_id}/events", step)
        assert r.status_code == 201, r.get_json()
    assert r.get_json()["appeal_status"] == "closed" and r.get_json()["handling_level"] == "street"
    retry = post(client, f"/api/appeals/{appeal_id}/events", steps[1])
    assert retry.status_code == 200 and retry.get_json()["status"] == "duplicate"
    today = datetime.now(UTC).date()
    items = client.get(f"/api/appeals?scope=street&id=370212001&from={today}&limit=1000").get_json()["items"]
    stored = next(i for i in items if i["id"] == appeal_id)
    assert stored["status"] == "closed" and stored["closed_at"] and stored["satisfaction"] == "satisfied"
    timeline = writable_store.appeal_events(appeal_id, viewer=SYSTEM)
    assert [e["to_status"] for e in timeline] == [s["to_status"] for s in steps]
    # The KPI flags follow the events: answered and closed within their deadlines, minutes after 受理.
    flags = stored_flags(writable_store, appeal_id)
    assert flags[:2] == (1, 1) and 0 <= flags[2] < 600


def stored_flags(store, appeal_id: int) -> tuple:
    a = schema.appeals
    with store.connect() as conn:
        return tuple(conn.execute(sa.select(a.c.responded_on_time, a.c.closed_on_time, a.c.close_seconds)
                                  .where(a.c.id == appeal_id)).one())


def test_writers_that_still_say_level_are_understood(client):
    """Events from writers built before the handling level had its own name (and their dead letters)."""
    appeal_id = new_appeal(client)
    assert post(client, f"/api/appeals/{appeal_id}/events", {"to_status": "dispatched", "actor": "x"}).status_code == 201
    r = post(client, f"/api/appeals/{appeal_id}/events", {"to_status": "dispatched", "actor": "街道", "level": "street"})
    assert r.status_code == 201 and r.get_json()["handling_level"] == "street"


@pytest.mark.parametrize("before,event,reason", [
    ([], {"to_status": "closed", "actor": "x"}, "不能从“受理”变为“办结”"),
    ([], {"to_status": "feedback", "actor": "x"}, "不能从“受理”变为“反馈”"),
    ([{"to_status": "dispatched", "actor": "x"}], {"to_status": "dispatched", "actor": "x"}, "升级"),
    ([{"to_status": "dispatched", "actor": "x", "handling_level": "street"}],
     {"to_status": "in_progress", "actor": "x", "handling_level": "community"}, "不能下降"),
    ([], {"to_status": "dispatched", "actor": "x", "reopen": True}, "只有已办结"),
])
def test_transitions_the_workflow_forbids(client, before, event, reason):
    appeal_id = new_appeal(client)
    for step in before:
        assert post(client, f"/api/appeals/{appeal_id}/events", step).status_code == 201
    r = post(client, f"/api/appeals/{appeal_id}/events", event)
    assert r.status_code == 409 and reason in r.get_json()["errors"][0], r.get_json()


def test_a_closed_appeal_takes_only_a_reopen(client, writable_store):
    appeal_id = new_appeal(client)
    for step in ("dispatched", "in_progress", "feedback"):
        post(client, f"/api/appeals/{appeal_id}/events", {"to_status": step, "actor": "x"})
    post(client, f"/api/appeals/{appeal_id}/events", {"to_status": "visited", "actor": "x", "resolved": False})
    post(client, f"/api/appeals/{appeal_id}/events", {"to_status": "closed", "actor": "x"})
    refused = post(client, f"/api/appeals/{appeal_id}/events", {"to_status": "feedback", "actor": "x"})
    assert refused.status_code == 409 and "reopen" in refused.get_json()["errors"][0]
    assert stored_flags(writable_store, appeal_id)[1] == 1
    reopened = post(client, f"/api/appeals/{appeal_id}/events", {"to_status": "in_progress", "actor": "x", "reopen": True})
    assert reopened.status_code == 201 and reopened.get_json()["appeal_status"] == "in_progress"
    assert stored_flags(writable_store, appeal_id) == (1, 0, None)  # open again: no close, no duration


def test_event_payload_rules(client):
    appeal_id = new_appeal(client)
    url = f"/api/appeals/{appeal_id}/events"
    assert post(client, url, {"to_status": "visited", "actor": "x"}).status_code == 422  # resolved missing
    assert post(client, url, {"to_status": "flying", "actor": "x"}).status_code == 422
    early = post(client, url, {"to_status": "dispatched", "actor": "x", "at": "2020-01-01T00:00:00+08:00"})
    assert early.status_code == 409 and "早于" in early.get_json()["errors"][0]
    assert post(client, "/api/appeals/123456789/events", {"to_status": "dispatched", "actor": "x"}).status_code == 404


# -- positions -------------------------------------------------------------------------------


def test_positions_move_workers_and_refuse_unknown_ones(client, writable_store):
    worker = writable_store.workers(DISTRICT, viewer=SYSTEM)["items"][0]
    now = datetime.now(UTC).replace(microsecond=0)
    pings = [
        {"worker_id": worker["id"], "at": now.isoformat(), "lon": LON, "lat": LAT, "status": "handling"},
        {"worker_id": "nobody", "at": now.isoformat(), "lon": LON, "lat": LAT, "status": "patrolling"},
        {"worker_id": worker["id"], "at": now.isoformat(), "lon": LON, "lat": LAT, "status": "asleep"},
    ]
    body = post(client, "/api/positions", {"positions": pings}).get_json()
    assert [r["status"] for r in body["results"]] == ["recorded", "rejected", "rejected"]
    moved = next(w for w in writable_store.workers(DISTRICT, viewer=SYSTEM)["items"]
                 if w["id"] == worker["id"])
    assert (moved["lon"], moved["lat"], moved["status"]) == (LON, LAT, "handling")
    older = {**pings[0], "at": (now - timedelta(minutes=5)).isoformat(), "lon": LON + 0.001}
    post(client, "/api/positions", [older])
    still = next(w for w in writable_store.workers(DISTRICT, viewer=SYSTEM)["items"]
                 if w["id"] == worker["id"])
    assert still["lon"] == LON  # an older ping does not move the latest position back
    assert client.get("/api/dead-letters", headers=ADMIN).get_json()["total"] == 2


def test_reopen_cannot_lower_the_level(client):
    appeal_id = new_appeal(client, "L-1")
    steps = [{"to_status": "dispatched", "actor": "x", "handling_level": "district"}, {"to_status": "in_progress", "actor": "x"},
             {"to_status": "feedback", "actor": "x"}, {"to_status": "visited", "actor": "x", "resolved": True},
             {"to_status": "closed", "actor": "x"}]
    for step in steps:
        assert post(client, f"/api/appeals/{appeal_id}/events", step).status_code == 201
    r = post(client, f"/api/appeals/{appeal_id}/events",
             {"to_status": "in_progress", "actor": "x", "reopen": True, "handling_level": "community"})
    assert r.status_code == 409 and "不能下降" in r.get_json()["errors"][0]


def test_ids_beyond_bigint_and_deep_json_are_clean_errors(client):
    huge = 2**64
    assert post(client, f"/api/appeals/{huge}/events", {"to_status": "dispatched", "actor": "x"}).status_code == 404
    assert replay(client, huge).status_code == 404
    deep = client.post("/api/appeals", data="[" * 100_000, headers=HEADERS, content_type="application/json")
    assert deep.status_code == 400
    big = client.post("/api/appeals", data=b"x" * (9 * 1024 * 1024), headers=HEADERS, content_type="application/json")
    assert big.status_code == 413
