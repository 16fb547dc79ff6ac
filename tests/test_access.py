"""Who may see what: each role gets exactly its scope, through every route, whatever it forges.

A street leader of 中韩 (370212001) asks for 沙子口 (370212002), for the
district, for an appeal of 沙子口, for 沙子口's workers and for exports of
both: every answer is a refusal or holds nothing of 沙子口. The same questions
go to a community account, a wall's device session, an admin, an anonymous
caller and a writer's API key.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
import sqlalchemy as sa

from dashboard import services
from dashboard.auth import accounts
from geo.access import OPERATOR, SYSTEM
from geo.scope import Scope, Window
from tests.conftest import client_of, sign_in

ZHONGHAN, SHAZIKOU = "370212001", "370212002"
WINDOW = "from=2026-10-01&to=2026-11-21"
KEY = "writer-secret-key"
#: A community of 中韩, for the community role.
ZHONGHAN_COMMUNITY = "370212001001"


@pytest.fixture
def app(make_app, seeded_store):
    return make_app(seeded_store.url, INGEST_API_KEYS=f"writer:{KEY}")


@pytest.fixture
def foreign_appeal(seeded_store) -> int:
    """An appeal of 沙子口."""
    page = seeded_store.appeals(Scope("street", SHAZIKOU), Window(date(2026, 10, 1), date(2026, 11, 21)), limit=1,
                                viewer=SYSTEM)
    return page["items"][0]["id"]


#: (route, what a 中韩 street account must get) — 403 refusals, or a 200 that holds nothing of 沙子口.
FOREIGN_READS = [
    (f"/api/kpis?scope=street&id={SHAZIKOU}&{WINDOW}", 403),
    (f"/api/kpis?scope=district&id=370212&{WINDOW}", 403),
    (f"/api/kpis?scope=grid&id={SHAZIKOU}001001&{WINDOW}", 403),
    (f"/api/appeals?scope=street&id={SHAZIKOU}&{WINDOW}", 403),
    (f"/api/appeals?scope=district&{WINDOW}", 403),
    (f"/api/workers?scope=street&id={SHAZIKOU}", 403),
    ("/api/workers?scope=district", 403),
    (f"/api/geo/community.geojson?parent={SHAZIKOU}", 403),
    (f"/api/map/workers.geojson?scope=street&id={SHAZIKOU}", 403),
    (f"/api/map/heat.png?scope=street&id={SHAZIKOU}&{WINDOW}", 403),
    (f"/api/map/heat.png?scope=district&{WINDOW}", 403),
    (f"/export/appeals.xlsx?scope=district&{WINDOW}", 403),
    (f"/export/appeals.xlsx?scope=street&id={SHAZIKOU}&{WINDOW}", 403),
    (f"/export/briefing.pdf?scope=street&id={SHAZIKOU}&{WINDOW}", 403),
    (f"/export/snapshot.png?scope=district&{WINDOW}", 403),
]


@pytest.mark.parametrize("role,code", [("street", ZHONGHAN), ("community", ZHONGHAN_COMMUNITY)])
@pytest.mark.parametrize("url,status", FOREIGN_READS)
def test_a_foreign_scope_is_refused(app, role, code, url, status):
    r = client_of(app, role, code).get(url)
    assert r.status_code == status, (url, r.get_data(as_text=True)[:200])
    if r.is_json:
        assert "无权访问" in r.get_json()["error"]


@pytest.mark.parametrize("role,code", [("street", ZHONGHAN), ("community", ZHONGHAN_COMMUNITY)])
def test_lists_hold_only_the_own_scope(app, role, code):
    client = client_of(app, role, code)
    # Without scope and id, every read opens the account's own unit.
    kpis = client.get(f"/api/kpis?{WINDOW}").get_json()
    assert kpis["id"] == code and kpis["kpis"]["accepted"]["value"] > 0
    appeals = client.get(f"/api/appeals?{WINDOW}&limit=1000").get_json()
    assert appeals["total"] == kpis["kpis"]["accepted"]["value"]
    assert appeals["items"] and all(a["grid_code"].startswith(code) for a in appeals["items"])
    for level in ("street", "community", "grid", "professional"):
        features = client.get(f"/api/geo/{level}.geojson").get_json()["features"]
        codes = [f["properties"]["code"] for f in features]
        if level in ("community", "grid"):
            assert codes and all(c.startswith(code) for c in codes), level
        elif level == "street":
            assert codes == ([code] if role == "street" else [])
    workers = client.get("/api/workers").get_json()["items"]
    assert workers and all(w["grid_code"].startswith(code) for w in workers)
    opened = client.get("/open311/v2/requests.json?start_date=2026-10-01T00:00:00%2B08:00"
                        "&end_date=2026-11-21T00:00:00%2B08:00").get_json()
    assert opened, "an own-scope Open311 listing is not empty"
    own_ids = {a["id"] for a in appeals["items"]}
    assert {int(r["service_request_id"]) for r in opened} <= own_ids | {a["id"] for a in _all_own(client)}


def _all_own(client) -> list[dict]:
    return client.get("/api/appeals?from=2022-10-01&to=2026-12-31&limit=1000").get_json()["items"]


def test_an_appeal_of_another_street_is_not_found(app, foreign_appeal):
    client = client_of(app, "street", ZHONGHAN)
    r = client.get(f"/open311/v2/requests/{foreign_appeal}.json")
    assert r.status_code == 404
    # The district sees it.
    assert client_of(app).get(f"/open311/v2/requests/{foreign_appeal}.json").status_code == 200


# -- forged callbacks --------------------------------------------------------------------------


def callback_body(app, output_contains: str, values: dict) -> dict:
    """The body Dash's renderer posts for the callback whose output key contains ``output_contains``."""
    key = output_contains if output_contains in app.callback_map else next(
        k for k in app.callback_map if output_contains in k)
    spec = app.callback_map[key]
    outputs = [dict(zip(("id", "property"), part.rsplit(".", 1), strict=True))
               for part in key.strip(".").split("...")]

    def fill(items):
        return [{**item, "value": values.get(f"{item['id']}.{item['property']}")} for item in items]

    return {"output": key, "outputs": outputs if len(outputs) > 1 else outputs[0],
            "inputs": fill(spec["inputs"]), "state": fill(spec.get("state", [])),
            "changedPropIds": [f"{i['id']}.{i['property']}" for i in spec["inputs"][:1]]}


def post_callback(client, app, output: str, values: dict, prefix: str = ""):
    return client.post(f"{prefix}/_dash-update-component", data=json.dumps(callback_body(app, output, values)),
                       content_type="application/json")


@pytest.mark.parametrize("output", ["scope-title.children", "map.viewport", "grid-section.hidden",
                                    "live-state.data"])
@pytest.mark.parametrize("search", [f"?scope=street&id={SHAZIKOU}&{WINDOW}", f"?scope=district&id=370212&{WINDOW}",
                                    f"?scope=grid&id={SHAZIKOU}001001&{WINDOW}"])
def test_forged_callbacks_get_nothing_of_another_street(app, output, search):
    client = client_of(app, "street", ZHONGHAN)
    r = post_callback(client, app, output, {"url.search": search, "live-tick.n_intervals": 1})
    body = r.get_data(as_text=True)
    assert r.status_code in (204, 200), body[:300]
    assert "沙子口" not in body and SHAZIKOU not in body.replace(f"id={SHAZIKOU}", "")


def test_a_forged_timeline_click_on_another_streets_appeal_shows_nothing(app, foreign_appeal):
    click = {"panel-appeals.cellClicked": {"rowId": str(foreign_appeal), "colId": "title", "value": "x"}}
    r = post_callback(client_of(app, "street", ZHONGHAN), app, "panel-timeline.children", click)
    assert r.status_code in (200, 204)
    assert "受理" not in r.get_data(as_text=True)  # no timeline
    shown = post_callback(client_of(app), app, "panel-timeline.children", click)
    assert "受理" in shown.get_data(as_text=True)  # the district sees it: the click itself was well formed


def test_a_forged_export_click_of_the_district_is_refused(app):
    values = {"export-xlsx.n_clicks": 1, "url.search": f"?scope=district&{WINDOW}"}
    r = post_callback(client_of(app, "street", ZHONGHAN), app, "export-job.data", values)
    body = r.get_data(as_text=True)
    assert "无权访问" in body and "download" not in body


def test_the_wall_callbacks_stay_in_the_devices_scope(app):
    wall = client_of(app, "screen", ZHONGHAN)
    screen_app = app.server.extensions[services.SCREEN_APP_KEY]
    for search in (f"?scope=street&id={SHAZIKOU}", "?scope=district&id=370212", ""):
        r = post_callback(wall, screen_app, "screen-title.children", {"screen-url.search": search}, prefix="/screen")
        body = r.get_data(as_text=True)
        assert "沙子口" not in body and "中韩街道" in body, body[:300]  # the device's own street instead


# -- roles that see no data -----------------------------------------------------------------------

DATA_ROUTES = [f"/api/kpis?{WINDOW}", f"/api/appeals?{WINDOW}", "/api/workers", "/api/geo/grid.geojson",
               f"/export/appeals.xlsx?{WINDOW}", "/open311/v2/requests.json", "/open311/v2/services.json"]


@pytest.mark.parametrize("url", DATA_ROUTES + ["/_dash-layout", "/_dash-dependencies", "/admin/audit.xlsx"])
def test_anonymous_callers_get_401(app, url):
    r = app.server.test_client().get(url)
    assert r.status_code == 401 and r.get_json()["error"] == "请先登录"


@pytest.mark.parametrize("url", ["/", "/screen/", "/admin", "/?scope=street&id=370212001"])
def test_anonymous_pages_go_to_the_sign_in_page(app, url):
    r = app.server.test_client().get(url)
    assert r.status_code == 302 and r.headers["Location"].startswith("/login?next=")


def test_healthz_is_open_and_says_only_up_or_down(app):
    r = app.server.test_client().get("/healthz")
    assert r.status_code == 200 and r.get_json() == {"status": "up"}


@pytest.mark.parametrize("url", DATA_ROUTES)
def test_a_writer_key_cannot_read(app, url):
    r = app.server.test_client().get(url, headers={"X-API-Key": KEY})
    assert r.status_code == 401


def test_a_writer_key_still_writes_and_reads_only_its_roster(app):
    client = app.server.test_client()
    roster = client.get("/api/ingest/workers", headers={"X-API-Key": KEY}).get_json()
    assert roster["items"] and set(roster["items"][0]) == {"id", "type", "grid_code"}  # no names, no positions
    assert client.get("/api/ingest/workers").status_code == 401


@pytest.mark.parametrize("url", DATA_ROUTES)
def test_an_admin_reads_no_appeal_data(app, url):
    r = client_of(app, "admin").get(url)
    assert r.status_code == 403 and "管理员" in r.get_json()["error"]


def test_an_admin_page_is_for_admins_only(app):
    assert client_of(app, "admin").get("/admin").status_code == 200
    assert client_of(app).get("/admin").status_code == 302  # a district account goes back to its dashboard
    assert client_of(app).get("/admin/audit.xlsx").status_code == 403


@pytest.mark.parametrize("url", [f"/api/appeals?{WINDOW}", f"/export/appeals.xlsx?{WINDOW}", "/api/workers",
                                 "/open311/v2/requests.json", "/_dash-layout"])
def test_a_wall_reads_only_what_the_wall_shows(app, url):
    r = client_of(app, "screen", ZHONGHAN).get(url)
    assert r.status_code == 403 and "大屏" in r.get_json()["error"]


def test_a_wall_opens_its_own_scope(app):
    wall = client_of(app, "screen", ZHONGHAN)
    assert wall.get("/").headers["Location"] == "/screen/"
    assert wall.get("/screen/").status_code == 200
    grids = wall.get("/api/geo/grid.geojson").get_json()["features"]
    assert grids and all(f["properties"]["code"].startswith(ZHONGHAN) for f in grids)
    assert wall.get(f"/api/map/heat.png?scope=street&id={SHAZIKOU}&{WINDOW}").status_code == 403


@pytest.mark.parametrize("change", ["disable", "reset"])
def test_a_disabled_or_reset_account_is_signed_out_at_its_next_request(make_app, writable_store, change):
    app = make_app(writable_store.url)
    made = accounts.add_account(writable_store, f"leader-{change}", "street", ZHONGHAN, password="first-password-1")
    client = app.server.test_client()
    assert sign_in(client, made.username, made.secret).status_code == 302
    assert client.get(f"/api/kpis?{WINDOW}").status_code == 200
    if change == "disable":
        accounts.disable_account(writable_store, made.username)
    else:
        accounts.reset_secret(writable_store, made.username)
    assert client.get(f"/api/kpis?{WINDOW}").status_code == 401
    assert sign_in(app.server.test_client(), made.username, made.secret).status_code == 401


# -- 查看完整信息 --------------------------------------------------------------------------------


def reveal(client, appeal_id: int):
    """The click on 查看完整信息, as the renderer posts it (a pattern-matching callback)."""
    body = {"output": '{"appeal":["MATCH"],"type":"appeal-full"}.children',
            "outputs": {"id": {"type": "appeal-full", "appeal": str(appeal_id)}, "property": "children"},
            "inputs": [{"id": {"type": "unmask", "appeal": str(appeal_id)}, "property": "n_clicks", "value": 1}],
            "changedPropIds": [f'{{"appeal":"{appeal_id}","type":"unmask"}}.n_clicks']}
    return client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")


def test_full_information_only_on_a_click_only_in_scope_and_always_audited(make_app, writable_store):
    app = make_app(writable_store.url)
    store = app.server.extensions[services.STORE_KEY]
    window = Window(date(2026, 10, 1), date(2026, 11, 21))
    own = store.appeals(Scope("street", ZHONGHAN), window, limit=1, viewer=SYSTEM)["items"][0]
    foreign = store.appeals(Scope("street", SHAZIKOU), window, limit=1, viewer=SYSTEM)["items"][0]
    with store.connect() as conn:
        phone = conn.execute(sa.text("SELECT reporter_phone FROM appeals WHERE id = :id"), {"id": own["id"]}).scalar()
    assert phone and phone not in json.dumps(own, ensure_ascii=False)  # listings are masked
    leader = client_of(app, "street", ZHONGHAN)
    shown = reveal(leader, own["id"]).get_data(as_text=True)
    assert phone in shown and "本次查看已记入审计日志" in shown
    refused = reveal(leader, foreign["id"]).get_data(as_text=True)
    assert "无权访问" in refused and foreign["title"] not in refused
    audit = [e for e in store.audit_entries(OPERATOR, action="unmask")["items"]]
    assert [(e["actor"], e["detail"]["appeal_id"], e["scope_code"]) for e in audit] == [
        ("test-street-370212001", own["id"], own["grid_code"])]  # one entry, for the one view that happened
    assert reveal(client_of(app, "screen", ZHONGHAN), own["id"]).status_code == 403  # a wall never unmasks


def test_an_export_job_is_its_owners_only(make_app, seeded_store):
    app = make_app(seeded_store.url, EXPORT_WAIT_SECONDS="0")
    owner, other = client_of(app), client_of(app, "street", ZHONGHAN)
    started = owner.get(f"/export/appeals.xlsx?scope=street&id={ZHONGHAN}&{WINDOW}")
    assert started.status_code == 202
    job = started.get_json()
    for url in (job["status_url"], job["status_url"] + "/download"):
        r = other.get(url)
        assert r.status_code == 404 and r.get_json()["error"] == "未找到该导出任务", url
    assert owner.get(job["status_url"]).status_code == 200
