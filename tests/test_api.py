"""The HTTP API on both backends, through Flask's test client."""

from __future__ import annotations

import urllib.parse
from datetime import date, timedelta

import pytest

from dashboard import services
from geo.clock import local_today
from geo.domain import KEY_POPULATION_TYPES
from tests.conftest import SEED_END

KPI_KEYS = {
    "accepted",
    "closed",
    "closure_rate",
    "on_time_rate",
    "response_rate",
    "resolution_rate",
    "satisfaction_rate",
    "overdue_open",
    "mean_hours_to_close",
}
WINDOW = "from=2026-10-01&to=2026-11-21"
AS_OF = "as_of=" + SEED_END.isoformat().replace("+", "%2B")


@pytest.fixture
def client(app_client):
    return app_client


def test_a_quick_range_names_the_same_window_as_its_dates(client):
    """``range=7d`` (as a dashboard link says it) is the last 7 days, today included, like its dates."""
    doc = client.get("/api/kpis?scope=street&id=370212002&range=7d").get_json()
    dated = client.get(f"/api/kpis?scope=street&id=370212002&from={doc['from']}&to={doc['to']}&as_of="
                       + urllib.parse.quote(doc["as_of"])).get_json()
    assert doc["to"] == (local_today() + timedelta(days=1)).isoformat()
    assert (date.fromisoformat(doc["to"]) - date.fromisoformat(doc["from"])).days == 7
    assert dated["from"] == doc["from"] and dated["kpis"] == doc["kpis"]


def test_kpis_document(client):
    r = client.get(f"/api/kpis?scope=street&id=370212002&{WINDOW}&{AS_OF}")
    assert r.status_code == 200
    doc = r.get_json()
    assert doc["scope"] == "street" and doc["id"] == "370212002" and doc["name"] == "沙子口街道"
    assert doc["from"] == "2026-10-01" and doc["to"] == "2026-11-21"
    assert doc["as_of"] == "2026-11-20T12:00:00+08:00"
    assert set(doc["kpis"]) == KPI_KEYS
    for kpi in doc["kpis"].values():
        assert set(kpi) == {"value", "numerator", "denominator"}
    assert doc["kpis"]["accepted"]["value"] == doc["kpis"]["accepted"]["numerator"] > 0
    rate = doc["kpis"]["closure_rate"]
    assert rate["value"] == round(rate["numerator"] / rate["denominator"], 4)


def test_district_is_the_default_scope(client):
    doc = client.get(f"/api/kpis?{WINDOW}").get_json()
    assert doc["scope"] == "district" and doc["id"] == "370212" and doc["name"] == "崂山区"


def test_appeals_match_kpis(client):
    kpis = client.get(f"/api/kpis?scope=community&id=370212001001&{WINDOW}").get_json()
    page = client.get(f"/api/appeals?scope=community&id=370212001001&{WINDOW}&limit=1000").get_json()
    assert page["total"] == kpis["kpis"]["accepted"]["value"] == len(page["items"])
    required = {
        "id",
        "source",
        "source_ref",
        "kind",
        "category",
        "priority",
        "street_code",
        "community_code",
        "grid_code",
        "handling_level",
        "status",
        "accepted_at",
        "dispatched_at",
        "closed_at",
        "response_deadline",
        "deadline",
        "resolved",
        "satisfaction",
        "reporter_name",
        "reporter_phone",
        "lon",
        "lat",
    }
    for item in page["items"]:
        assert required <= set(item)
        assert item["reporter_phone"][3:7] == "****" and "*" in item["reporter_name"]
        assert item["accepted_at"].endswith("+08:00")


def test_geojson_levels(client):
    for level, count in (("district", 1), ("street", 5), ("community", 167), ("grid", 863)):
        r = client.get(f"/api/geo/{level}.geojson")
        assert r.status_code == 200 and r.mimetype == "application/geo+json"
        features = r.get_json()["features"]
        assert len(features) == count
        assert {"code", "name", "parent_code"} <= set(features[0]["properties"])
    grid = client.get("/api/geo/grid.geojson").get_json()["features"][0]["properties"]
    assert {"households", "population", "buildings", "legal_persons", "key_population"} <= set(grid)
    assert set(grid["key_population_by_type"]) == set(KEY_POPULATION_TYPES)
    assert all(v["text"] == "<3" or v["low"] == v["high"] >= 3 for v in grid["key_population_by_type"].values())
    professional = client.get("/api/geo/professional.geojson").get_json()["features"]
    assert len({f["properties"]["type"] for f in professional}) == 8


def test_geojson_is_cacheable(client):
    first = client.get("/api/geo/street.geojson")
    again = client.get("/api/geo/street.geojson", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_workers(client):
    doc = client.get("/api/workers?scope=street&id=370212001").get_json()
    assert doc["total"] == len(doc["items"]) > 0
    item = doc["items"][0]
    assert set(item) >= {"id", "name", "type", "grid_code", "status", "lon", "lat", "at"}
    assert item["type"] in {"full_time", "industry", "window"} and "*" in item["name"]


def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.get_json() == {"status": "up"}


@pytest.mark.parametrize(
    "url,status,words",
    [
        ("/api/kpis?scope=county&id=370212", 400, "未知的范围"),
        ("/api/kpis?scope=street&id=370212009", 404, "370212009"),
        ("/api/kpis?scope=street&id=12345", 400, "9 位数字"),
        ("/api/kpis?scope=grid&id=370212001001999", 404, "370212001001999"),
        ("/api/kpis?from=2026-13-01", 400, "不是有效日期"),
        ("/api/kpis?from=2026-11-10&to=2026-11-01", 400, "晚于"),
        ("/api/kpis?range=forever", 400, "未知的时间范围“forever”"),
        ("/api/kpis?range=7d&from=2026-11-01", 400, "二选一"),
        ("/api/kpis?range=7d&range=30d", 400, "参数重复：快捷时间范围"),
        ("/api/kpis?kind=nonsense", 400, "nonsense"),
        ("/api/kpis?as_of=2026-11-20T12:00:00", 400, "时区"),
        ("/api/appeals?limit=0", 400, "条数上限"),
        ("/api/appeals?limit=abc", 400, "条数上限应为整数，收到“abc”"),
        ("/api/appeals?offset=-1", 400, "起始序号"),
        ("/api/workers?scope=community&id=370212001099", 404, "370212001099"),
        ("/api/geo/planet.geojson", 400, "planet"),
        ("/api/kpis?to=0001-01-01", 400, "超出支持范围"),
        ("/api/kpis?from=2026-11-01&to=9999-12-31", 400, "超出支持范围"),
        ("/api/kpis?as_of=9999-12-31T23:59:59-08:00", 400, "超出支持范围"),
        ("/api/kpis?from=20261101", 400, "起始日期“20261101”不是有效日期"),
        ("/api/kpis?scope=street&id=370212%D9%A0%D9%A0%D9%A1", 400, "9 位数字"),
        ("/api/appeals?limit=%D9%A5", 400, "条数上限"),
        ("/api/kpis?scope=street&id=370212001&id=370212002", 400, "参数重复：单位编码（id）"),
        ("/api/kpis?scope=street&id=370212001%27%20OR%201=1--", 400, "9 位数字"),
        ("/api/nonexistent", 404, "未知的接口"),
        ("/api/geo/grid.json", 404, "未知的接口"),
    ],
)
def test_bad_input_gets_a_clear_4xx(client, url, status, words):
    r = client.get(url)
    assert r.status_code == status
    assert words in r.get_json()["error"]


def test_unreachable_database_is_503_not_500(make_app):
    # Nobody can sign in to a database that is not there: sign-in is off here (loopback), the outage is the point.
    app = make_app("postgresql+psycopg://postgres@127.0.0.1:1/nothing", AUTH_DISABLED="1")
    client = app.server.test_client()
    r = client.get("/api/kpis")
    assert r.status_code == 503 and "数据库无法访问" in r.get_json()["error"]
    assert r.headers["Retry-After"]
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json() == {"status": "down"}  # up/down, nothing more
    # With sign-in on, an anonymous caller is refused before the database is asked anything.
    anonymous = make_app("postgresql+psycopg://postgres@127.0.0.1:1/nothing").server.test_client()
    assert anonymous.get("/api/kpis").status_code == 401


def test_unmigrated_store_is_503_with_a_way_out(make_app, tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'blank.sqlite3'}", AUTH_DISABLED="1")
    client = app.server.test_client()
    r = client.get("/api/kpis")
    assert r.status_code == 503 and "python app.py migrate" in r.get_json()["error"]
    assert client.get("/healthz").status_code == 503


@pytest.mark.postgis
def test_postgres_without_postgis_over_http(postgres, make_app):
    name = postgres.create(postgis=False)
    try:
        app = make_app(postgres.url(name), AUTH_DISABLED="1")
        client = app.server.test_client()
        r = client.get("/api/kpis")
        assert r.status_code == 503 and "migrate" in r.get_json()["error"]
        health = client.get("/healthz")
        assert health.status_code == 503 and health.get_json() == {"status": "down"}
        app.server.extensions[services.STORE_KEY].dispose()
    finally:
        postgres.drop(name)


def test_heat_image_of_an_unknown_unit_is_404(client):
    assert client.get("/api/map/heat.png?scope=street&id=370212999").status_code == 404
    r = client.get("/api/map/heat.png?from=2026-10-01&to=2026-11-21")
    assert r.status_code == 200 and r.mimetype == "image/png" and len(r.data) < 150_000
