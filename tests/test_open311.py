"""Open311 GeoReport v2 on both backends: services, POST (form and JSON), listings, filters, errors, no personal data."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from dashboard.ingest import open311
from geo import domain
from geo.access import SYSTEM
from geo.clock import local_today
from geo.domain import LOCAL_TZ
from geo.scope import DISTRICT, InvalidQuery, Window
from tests.conftest import client_of

KEY = "test-key-1"
HEADERS = {"X-API-Key": KEY}
#: Dead letters hold raw personal data: reading and replaying them takes an admin key.
ADMIN = {"X-API-Key": "test-admin-key"}
#: A point in 中韩街道 (its outline's representative point).
LON, LAT = 120.4462, 36.1349
URL = "/open311/v2/requests.json"
#: The reporter's personal data: none of it may ever appear in a GET answer.
PERSONAL = ("欧阳", "娜娜", "13912345678", "nana@example.com")


def params(**changes) -> dict:
    item = {"api_key": KEY, "service_code": "noise", "lat": str(LAT), "long": str(LON),
            "description": "小区门口工地夜间施工，噪音很大，严重影响休息", "address_string": "松岭路 1 号",
            "first_name": "娜娜", "last_name": "欧阳", "phone": "13912345678", "email": "nana@example.com"}
    item.update(changes)
    return {k: v for k, v in item.items() if v is not None}


@pytest.fixture
def app(writable_store, make_app):
    return make_app(writable_store.url, INGEST_API_KEYS=f"tests:{KEY},ops:test-admin-key:admin")


@pytest.fixture
def client(app):
    return client_of(app)


def post_form(client, body, headers=None):
    return client.post(URL, data=body, headers=headers or {})


def post_json(client, body, headers=None):
    return client.post(URL, data=json.dumps(body, ensure_ascii=False), headers=headers or {},
                       content_type="application/json")


def get(client, url):
    """A GET answer as JSON, after checking that no personal data is anywhere in it (escaped or not)."""
    r = client.get(url)
    text = r.get_data(as_text=True) + json.dumps(r.get_json(), ensure_ascii=False)
    assert not [p for p in PERSONAL if p in text], text
    return r


def created(client, **changes) -> str:
    r = post_form(client, params(**changes))
    assert r.status_code == 201, r.get_json()
    return r.get_json()[0]["service_request_id"]


def assert_spec_error(r, status: int, text: str = "") -> None:
    body = r.get_json()
    assert r.status_code == status and isinstance(body, list) and body, body
    assert all(set(e) == {"code", "description"} and e["code"] == status for e in body), body
    assert any(text in e["description"] for e in body), body


# -- pure mappings ---------------------------------------------------------------------------


ROW = {"id": 7, "category": "road_facilities", "status": "dispatched", "handling_level": "street", "title": "井盖缺失",
       "description": "", "lon": LON, "lat": LAT, "street_name": "中韩街道", "community_name": "某社区",
       "accepted_at": datetime(2026, 11, 1, 1, 0, tzinfo=UTC), "updated_at": datetime(2026, 11, 2, 1, 0, tzinfo=UTC),
       "deadline": datetime(2026, 11, 8, 1, 0, tzinfo=UTC),
       "reporter_name": "欧阳娜娜", "reporter_phone": "13912345678"}


def test_an_appeal_maps_to_a_service_request_without_personal_data():
    out = open311.service_request(ROW)
    assert out["service_request_id"] == "7" and out["status"] == "open" and out["status_notes"] == "派单（街道）"
    assert out["service_name"] == "道路设施" and out["description"] == "井盖缺失"  # no description: the title
    assert out["agency_responsible"] == "中韩街道（街道级处置）" and out["address"] == "崂山区中韩街道某社区"
    assert out["requested_datetime"] == "2026-11-01T09:00:00+08:00"
    assert out["updated_datetime"] == "2026-11-02T09:00:00+08:00" and out["expected_datetime"].endswith("+08:00")
    assert (out["lat"], out["long"]) == (LAT, LON)  # as the store listed them (rounded there: see the GETs)
    assert set(out) == {"service_request_id", "status", "status_notes", "service_name", "service_code",
                        "description", "agency_responsible", "service_notice", "requested_datetime",
                        "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat",
                        "long", "media_url"}
    assert not [p for p in PERSONAL if p in json.dumps(out, ensure_ascii=False)]
    closed = open311.service_request({**ROW, "status": "closed", "updated_at": None})
    assert closed["status"] == "closed" and closed["status_notes"] == "办结（街道）"
    assert closed["updated_datetime"] == closed["requested_datetime"]  # no event yet: the acceptance


def test_a_post_maps_to_an_appeal():
    appeal = open311.to_appeal(params(media_url="https://img.example/1.jpg"), "O311-x")
    assert appeal["kind"] == "livelihood" and appeal["category"] == "noise" and appeal["source"] == "wechat"
    assert appeal["reporter_name"] == "欧阳娜娜" and appeal["reporter_phone"] == "13912345678"
    assert (appeal["lon"], appeal["lat"]) == (str(LON), str(LAT)) and appeal["source_ref"] == "O311-x"
    assert appeal["description"].endswith("地址：松岭路 1 号\n图片：https://img.example/1.jpg")
    assert appeal["title"] == "小区门口工地夜间施工，噪音很大，严重影响休息"
    assert "email" not in json.dumps(appeal) and "nana@" not in json.dumps(appeal)
    assert open311.to_appeal(params(description=None), "r")["title"] == "噪音扰民"
    assert open311.title_of("一" * 40, "x") == "一" * 29 + "…"
    assert open311.reporter_name("Jane", "Doe") == "Jane Doe" and open311.reporter_name("", None) is None
    assert open311.source_ref("a", "k1") == open311.source_ref("a", "k1") != open311.source_ref("b", "k1")
    assert open311.source_ref("a", None) != open311.source_ref("a", None)


def test_query_helpers():
    assert open311.statuses_for("closed") == ("closed",)
    assert "closed" not in open311.statuses_for("open") and "accepted" in open311.statuses_for("open")
    assert open311.statuses_for("open,closed") == open311.statuses_for(None) == ()
    with pytest.raises(InvalidQuery):
        open311.statuses_for("pending")
    assert open311.parse_time("2026-11-01", "start_date") == datetime(2026, 11, 1, tzinfo=LOCAL_TZ)
    assert open311.parse_time("2026-11-01", "end_date", end=True).hour == 23
    assert open311.parse_time("2026-11-01T00:00:00Z", "x") == datetime(2026, 11, 1, tzinfo=UTC)
    for bad in ("2026-11-01T00:00:00", "yesterday", "1999-01-01"):
        with pytest.raises(InvalidQuery):
            open311.parse_time(bad, "start_date")
    now = datetime(2026, 11, 28, tzinfo=UTC)
    assert open311.request_window(None, None, now) == (now - timedelta(days=90), now)
    with pytest.raises(InvalidQuery, match="90"):
        open311.request_window(now - timedelta(days=91), now, now)
    assert open311.client_reasons(["lon: 应为数字", "payload: 坐标不在崂山区内"]) == [
        "long: 应为数字", "lat/long: 坐标不在崂山区内"]


# -- services --------------------------------------------------------------------------------


def test_services_list_every_category(client):
    services = get(client, "/open311/v2/services.json").get_json()
    assert [s["service_code"] for s in services] == [c.code for c in domain.CATEGORIES]
    noise = next(s for s in services if s["service_code"] == "noise")
    assert noise["service_name"] == "噪音扰民" and noise["group"] == "民生诉求"
    assert noise["type"] == "realtime" and noise["metadata"] is False
    assert {s["group"] for s in services} == set(domain.KINDS.values())
    assert get(client, "/open311/v2/services/noise.json").get_json() == {"service_code": "noise", "attributes": []}
    assert_spec_error(client.get("/open311/v2/services/ufo.json"), 404, "ufo")
    assert_spec_error(client.get("/open311/v2/services.xml"), 400, "JSON")
    assert_spec_error(client.get("/open311/v2/services.json?jurisdiction_id=nyc.gov"), 400, "辖区")
    assert client.get("/open311/v2/services.json?jurisdiction_id=370212").status_code == 200


# -- POST ------------------------------------------------------------------------------------


def test_form_and_json_posts_create_open_requests_without_personal_data(client, writable_store):
    form = post_form(client, params())
    assert form.status_code == 201 and form.mimetype == "application/json"
    [answer] = form.get_json()
    assert set(answer) == {"service_request_id", "service_notice", "account_id"} and "7 天" in answer["service_notice"]
    as_json = post_json(client, {**params(lat=LAT, long=LON), "service_code": "sanitation"})
    assert as_json.status_code == 201
    ids = [answer["service_request_id"], as_json.get_json()[0]["service_request_id"]]
    assert ids[0] != ids[1]
    for request_id, code in zip(ids, ("noise", "sanitation"), strict=True):
        [item] = get(client, f"/open311/v2/requests/{request_id}.json").get_json()
        assert item["service_request_id"] == request_id and item["service_code"] == code
        assert item["status"] == "open" and item["status_notes"] == "受理（社区）"
        assert item["agency_responsible"] == "中韩街道（社区级处置）" and item["address"].startswith("崂山区中韩街道")
        assert "松岭路 1 号" in item["description"] and item["requested_datetime"].endswith("+08:00")
        assert (item["lat"], item["long"]) == (round(LAT, 3), round(LON, 3))  # ~100 m in public, not the doorstep
    listed = get(client, f"{URL}?service_request_id={','.join(ids)}").get_json()
    assert sorted(i["service_request_id"] for i in listed) == sorted(ids)
    get(client, URL)  # the default listing, checked for personal data too
    window = Window.parse(None, None, local_today())
    stored = [a for a in writable_store.appeals(DISTRICT, window, limit=100, viewer=SYSTEM)["items"] if str(a["id"]) in ids]
    assert len(stored) == 2 and {a["source"] for a in stored} == {"wechat"}
    assert {a["kind"] for a in stored} == {"livelihood"}
    assert all(a["reporter_name"] and "*" in a["reporter_name"] for a in stored)  # kept (masked) for the command center


def test_a_retry_with_the_same_idempotency_key_is_not_duplicated(client, writable_store):
    before = writable_store.count("appeals")
    first = post_form(client, params(), headers={"Idempotency-Key": "app-42"})
    again = post_json(client, params(), headers={"Idempotency-Key": "app-42"})
    field = post_form(client, params(idempotency_key="app-42"))
    assert first.status_code == 201 and again.status_code == 200 and field.status_code == 200
    assert first.get_json()[0]["service_request_id"] == again.get_json()[0]["service_request_id"] \
        == field.get_json()[0]["service_request_id"]
    other_key = writable_store.create_api_key("another-app")  # its Idempotency-Key values are its own
    other = post_form(client, params(api_key=other_key), headers={"Idempotency-Key": "app-42"})
    assert other.status_code == 201 and other.get_json()[0]["service_request_id"] != first.get_json()[0]["service_request_id"]
    assert post_form(client, params()).status_code == 201  # no key: every POST is a new request
    assert writable_store.count("appeals") == before + 3
    clash = post_form(client, params(idempotency_key="a"), headers={"Idempotency-Key": "b"})
    assert_spec_error(clash, 400, "Idempotency-Key")


def test_posts_need_a_valid_key(client):
    assert_spec_error(post_form(client, params(api_key=None)), 403, "api_key")  # the spec: 403 for key problems
    assert_spec_error(post_form(client, params(api_key="wrong")), 403, "密钥")
    assert_spec_error(post_json(client, params(api_key="wrong")), 403)
    assert post_form(client, params(api_key=None), headers=HEADERS).status_code == 201  # the native header works too
    assert client.get("/api/dead-letters", headers=ADMIN).get_json()["total"] == 0  # strangers leave no letters


BAD = [
    ({"lat": "abc"}, "lat: 应为数字"),
    ({"long": "east"}, "long: 应为数字"),
    ({"lat": "36.1", "long": "121.2"}, "不在崂山区内"),
    ({"lat": str(LON), "long": str(LAT)}, "写反"),
    ({"long": None}, "lat/long"),
    ({"service_code": "ufo"}, "service_code: 未知的服务"),
    ({"service_code": None}, "service_code: 缺少必填字段"),
    ({"phone": "call me"}, "phone"),
    ({"attribute[size]": "big"}, "metadata"),
    ({"colour": "red"}, "colour: 未知字段"),
    ({"jurisdiction_id": "nyc.gov"}, "辖区"),
]


@pytest.mark.parametrize("change,reason", BAD)
def test_invalid_posts_get_spec_errors_and_are_dead_lettered(client, change, reason):
    r = post_form(client, params(**change))
    assert_spec_error(r, 400, reason)
    letters = client.get("/api/dead-letters", headers=ADMIN).get_json()
    assert letters["total"] == 1 and letters["items"][0]["endpoint"] == "open311/requests"
    kept = json.loads(letters["items"][0]["payload"])
    assert kept == {k: v for k, v in params(**change).items() if k != "api_key"}  # as sent, minus the secret
    assert letters["items"][0]["key_name"] == "tests" and KEY not in letters["items"][0]["payload"]


def test_a_malformed_json_body_is_dead_lettered(client):
    r = client.post(URL, data="{not json", headers=HEADERS, content_type="application/json")
    assert_spec_error(r, 400, "JSON")
    assert_spec_error(post_json(client, [params()], HEADERS), 400, "JSON")
    payloads = {x["payload"] for x in client.get("/api/dead-letters", headers=ADMIN).get_json()["items"]}
    assert "{not json" in payloads


def test_a_dead_lettered_request_is_replayed_once_its_service_exists(client, monkeypatch):
    assert_spec_error(post_form(client, params(service_code="snow_removal"), {"Idempotency-Key": "s-1"}), 400)
    letter = client.get("/api/dead-letters", headers=ADMIN).get_json()["items"][0]
    replay = f"/api/dead-letters/{letter['id']}/replay"
    refused = client.post(replay, headers=ADMIN, content_type="application/json")
    assert refused.status_code == 422 and "snow_removal" in refused.get_json()["result"]["errors"][0]
    monkeypatch.setitem(domain.CATEGORY_BY_CODE, "snow_removal",
                        domain.Category("snow_removal", "除雪", "livelihood", "区城市管理局"))
    replayed = client.post(replay, headers=ADMIN, content_type="application/json")
    assert replayed.status_code == 200, replayed.get_json()
    appeal_id = replayed.get_json()["result"]["id"]
    [item] = get(client, f"/open311/v2/requests/{appeal_id}.json").get_json()
    assert item["service_code"] == "snow_removal" and item["service_name"] == "除雪"
    retry = post_form(client, params(service_code="snow_removal"), {"Idempotency-Key": "s-1"})
    assert retry.status_code == 200 and retry.get_json()[0]["service_request_id"] == str(appeal_id)
    assert client.post(replay, headers=ADMIN, content_type="application/json").status_code == 409


# -- GET -------------------------------------------------------------------------------------


def test_unknown_requests_and_paths(client):
    assert_spec_error(client.get("/open311/v2/requests/987654321.json"), 404, "987654321")
    assert_spec_error(client.get("/open311/v2/requests/abc.json"), 404)
    assert_spec_error(client.get("/open311/v2/requests/1.xml"), 400, "JSON")
    assert_spec_error(client.get("/open311/v2/tokens/1.json"), 404, "未知的接口")
    assert_spec_error(client.delete(URL), 404)
    assert client.get(f"{URL}?service_request_id=987654321").get_json() == []


def test_filters(client):
    noise, sanitation = created(client), created(client, service_code="sanitation")
    today = datetime.now(LOCAL_TZ).date()

    def ids(query: str) -> set[str]:
        return {i["service_request_id"] for i in get(client, f"{URL}?{query}").get_json()}

    assert noise in ids("service_code=noise") and sanitation not in ids("service_code=noise")
    assert {noise, sanitation} <= ids("service_code=noise,sanitation")
    assert {noise, sanitation} <= ids(f"start_date={today}&end_date={today}&status=open")
    assert not {noise, sanitation} & ids(f"end_date={today - timedelta(days=1)}")
    assert not {noise, sanitation} & ids("status=closed")
    assert ids(f"service_request_id={noise}&service_code=sanitation") == {noise}  # ids override other filters
    window = get(client, f"{URL}?start_date=2026-11-10T00:00:00%2B08:00&end_date=2026-11-12").get_json()
    assert window and all("2026-11-10" <= i["requested_datetime"][:10] <= "2026-11-12" for i in window)
    assert len(get(client, f"{URL}?start_date=2026-09-01&end_date=2026-11-28").get_json()) == open311.MAX_REQUESTS
    assert_spec_error(client.get(f"{URL}?start_date=2026-01-01&end_date=2026-11-01"), 400, "90")
    assert_spec_error(client.get(f"{URL}?start_date=2026-11-01T00:00:00"), 400, "时区")
    assert_spec_error(client.get(f"{URL}?status=pending"), 400, "状态")
    assert_spec_error(client.get(f"{URL}?service_code=ufo"), 400, "ufo")
    assert_spec_error(client.get(f"{URL}?service_request_id=1,x"), 400, "service_request_id")
    assert {noise, sanitation} <= ids("status=open&status=closed&service_code=noise&service_code=sanitation")
    assert_spec_error(client.get(f"{URL}?start_date={today}&start_date={today}"), 400, "重复")


def test_status_follows_the_native_workflow_to_closed(client):
    request_id = created(client)
    events = f"/api/appeals/{request_id}/events"
    steps = [
        ({"to_status": "dispatched", "actor": "社区"}, "open", "派单（社区）"),
        ({"to_status": "dispatched", "actor": "街道", "handling_level": "street"}, "open", "派单（街道）"),
        ({"to_status": "in_progress", "actor": "城管科"}, "open", "办理（街道）"),
        ({"to_status": "feedback", "actor": "城管科"}, "open", "反馈（街道）"),
        ({"to_status": "visited", "actor": "回访员", "resolved": True}, "open", "回访（街道）"),
        ({"to_status": "closed", "actor": "崂先办"}, "closed", "办结（街道）"),
    ]
    for event, status, notes in steps:
        assert client.post(events, json=event, headers=HEADERS).status_code == 201
        [item] = get(client, f"/open311/v2/requests/{request_id}.json").get_json()
        assert (item["status"], item["status_notes"]) == (status, notes)
    assert item["agency_responsible"] == "中韩街道（街道级处置）"
    assert item["updated_datetime"] >= item["requested_datetime"]
    assert request_id in {i["service_request_id"] for i in get(client, f"{URL}?status=closed").get_json()}


def test_an_outage_is_a_503_in_the_spec_format(make_app):
    # Nobody can sign in to a database that is not there: reads run with sign-in off (loopback).
    app = make_app("postgresql+psycopg://postgres@127.0.0.1:1/nothing", INGEST_API_KEYS=f"tests:{KEY}",
                   AUTH_DISABLED="1")
    client = app.server.test_client()
    for r in (client.get(URL), client.get("/open311/v2/requests/1.json"), post_form(client, params())):
        assert_spec_error(r, 503, "数据库无法访问")
        assert r.headers["Retry-After"] == "5"
    assert client.get("/open311/v2/services.json").status_code == 200  # needs no database


def test_contact_details_typed_into_the_description_are_not_republished(client):
    text = "我家电话13812345678，邮箱 zhang@example.com，身份证370212199001011234"
    created = post_form(client, params(description=text))
    assert created.status_code == 201
    [item] = client.get(f"/open311/v2/requests/{created.get_json()[0]['service_request_id']}.json").get_json()
    assert "13812345678" not in item["description"] and "zhang@example.com" not in item["description"]
    assert "370212199001011234" not in item["description"]
    assert item["description"] == "我家电话138****5678，邮箱 z***@example.com，身份证3****************4\n地址：松岭路 1 号"


def test_absurd_json_nesting_is_a_400_not_a_500(client):
    r = client.post(URL, data="[" * 100_000, content_type="application/json", headers={"X-API-Key": KEY})
    assert r.status_code == 400
