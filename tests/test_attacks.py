"""Hostile requests, sent the way an attacker would send them: each hole found once stays closed.

Every test sends the request that used to break the app (a 500, a formula in a
workbook, a stuck export queue) and checks the answer a caller should get now.
Ingest tests run on both backends: PostgreSQL refuses what SQLite stores.
"""

from __future__ import annotations

import io
import json
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import openpyxl
import pypdf
import pytest

from dashboard import services
from dashboard.errors import HttpError
from dashboard.exports.exporter import start_export
from dashboard.exports.jobs import Jobs, JobSpec
from dashboard.ui import ids
from dashboard.view.screen import PATH as SCREEN_PATH
from geo.access import SYSTEM, Viewer
from geo.domain import LOCAL_TZ
from geo.ingest import MAX_DEPTH, AppealIn
from geo.scope import DISTRICT
from tests.conftest import browser_open, browser_sign_in, client_of, fetch_export

KEY = "attack-key"
HEADERS = {"X-API-Key": KEY}
ADMIN = {"X-API-Key": "attack-admin"}
#: A point in 中韩街道.
LON, LAT = 120.4462, 36.1349
OPEN311 = "/open311/v2/requests.json"


def appeal(ref: str, **changes) -> dict:
    item = {"source": "hotline_12345", "source_ref": ref, "kind": "livelihood", "category": "noise",
            "priority": "normal", "title": "夜间施工噪音", "description": "工地夜里施工",
            "reporter_name": "张三", "reporter_phone": "13812345678", "lon": LON, "lat": LAT}
    return {**item, **changes}


def open311_params(**changes) -> dict:
    item = {"api_key": KEY, "service_code": "noise", "lat": str(LAT), "long": str(LON),
            "description": "小区门口工地夜间施工", "first_name": "娜娜", "last_name": "欧阳", "phone": "13912345678"}
    return {**item, **changes}


@pytest.fixture
def app(writable_store, make_app):
    return make_app(writable_store.url, INGEST_API_KEYS=f"attacker:{KEY},ops:attack-admin:admin")


@pytest.fixture
def client(app):
    return client_of(app)


def post(client, url, body, headers=HEADERS):
    """POST as JSON, non-ASCII escaped (so a lone surrogate travels as the escape a client would send)."""
    return client.post(url, data=json.dumps(body), headers=headers, content_type="application/json")


def dead_letters(client) -> list[dict]:
    r = client.get("/api/dead-letters?limit=1000", headers=ADMIN)
    assert r.status_code == 200, r.data[:300]
    return r.get_json()["items"]


def an_appeal_id(store) -> int:
    return store.find_appeals(limit=1, viewer=SYSTEM)[0]["id"]


def a_worker_id(store) -> str:
    return store.workers(DISTRICT, viewer=SYSTEM)["items"][0]["id"]


def ping(worker_id: str) -> dict:
    return {"worker_id": worker_id, "at": datetime.now(UTC).replace(microsecond=0).isoformat(), "lon": LON,
            "lat": LAT, "status": "patrolling"}


# -- control characters and NUL at ingest ------------------------------------------------------


def test_one_nul_in_a_batch_of_a_hundred_is_refused_alone(client, writable_store):
    """PostgreSQL refuses NUL: the batch used to answer 500 (HTML) and store none of the 99 good appeals."""
    batch = [appeal(f"NUL-{i}") for i in range(99)] + [appeal("NUL-bad", title="噪音\u0000扰民")]
    r = post(client, "/api/appeals", batch)
    assert r.status_code == 200, r.data[:300]
    body = r.get_json()
    assert body["created"] == 99 and body["rejected"] == 1
    refused = body["results"][99]
    assert refused["status"] == "rejected" and any("title" in e and "U+0000" in e for e in refused["errors"])
    letters = dead_letters(client)
    assert len(letters) == 1 and json.loads(letters[0]["payload"])["title"] == "噪音\u0000扰民"
    stored = writable_store.find_appeals(ids=[x["id"] for x in body["results"][:99]], viewer=SYSTEM)
    assert len(stored) == 99


STRING_FIELDS = ("source", "source_ref", "kind", "category", "priority", "title", "description", "reporter_name",
                 "reporter_phone", "accepted_at", "crs")


def test_nul_in_any_string_field_of_an_appeal_is_refused_and_dead_lettered(client):
    batch = [appeal("GOOD-1")]
    values = {**appeal("X"), "accepted_at": "2026-11-01T09:00:00+08:00", "crs": "wgs84"}
    for field in STRING_FIELDS:
        value = values[field]
        batch.append(appeal(f"BAD-{field}", **{field: value[:3] + "\u0000" + value[3:]}))
    r = post(client, "/api/appeals", batch)
    assert r.status_code == 200, r.data[:300]
    statuses = [x["status"] for x in r.get_json()["results"]]
    assert statuses == ["created"] + ["rejected"] * len(STRING_FIELDS)
    assert len(dead_letters(client)) == len(STRING_FIELDS)


@pytest.mark.parametrize("title", ["a\u0001b", "标题\u007f", "换行\n标题", "制表\t符", "代理\ud800"])
def test_control_characters_in_a_title_are_refused_with_a_chinese_reason(client, title):
    r = post(client, "/api/appeals", appeal("CTRL-1", title=title))
    assert r.status_code == 422, r.data[:300]
    (reason,) = r.get_json()["errors"]
    assert reason.startswith("title: ") and ("控制字符" in reason or "代理字符" in reason)
    assert len(dead_letters(client)) == 1


def test_a_description_keeps_its_lines_but_not_other_control_characters(client):
    assert post(client, "/api/appeals", appeal("DESC-1", description="第一行\r\n第二行\t备注")).status_code == 201
    r = post(client, "/api/appeals", appeal("DESC-2", description="响铃\u0007"))
    assert r.status_code == 422 and "description" in r.get_json()["errors"][0]


def test_nul_in_events_and_worker_pings_is_refused_per_item(client, writable_store):
    appeal_id = an_appeal_id(writable_store)
    r = post(client, f"/api/appeals/{appeal_id}/events", {"to_status": "dispatched", "actor": "社区\u0000"})
    assert r.status_code == 422 and "actor" in r.get_json()["errors"][0]
    worker = a_worker_id(writable_store)
    r = post(client, "/api/positions", [ping(worker), ping("W\u0000"), {**ping(worker), "status": "\u0000"}])
    assert r.status_code == 200, r.data[:300]
    assert [x["status"] for x in r.get_json()["results"]] == ["recorded", "rejected", "rejected"]
    assert len(dead_letters(client)) == 3


@pytest.mark.parametrize("field", ["description", "first_name", "last_name", "phone", "address_string", "media_url",
                                   "email", "device_id", "service_code", "jurisdiction_id", "idempotency_key"])
@pytest.mark.parametrize("encoding", ["form", "json"])
def test_nul_in_any_open311_field_is_a_400_in_the_spec_format(client, field, encoding):
    params = open311_params(**{field: "noise\u0000x"})
    r = (client.post(OPEN311, data=params) if encoding == "form" else post(client, OPEN311, params, {}))
    assert r.status_code == 400, r.data[:300]
    (error,) = r.get_json()
    assert error["code"] == 400 and error["description"].startswith(field) and "U+0000" in error["description"]
    (letter,) = dead_letters(client)
    assert letter["endpoint"] == "open311/requests" and "api_key" not in json.loads(letter["payload"])


def test_a_raw_nul_in_a_body_that_is_not_json_is_still_dead_lettered(client):
    """JSON forbids raw control characters, so this body is refused; filing it on PostgreSQL must not fail."""
    r = client.post("/api/appeals", data=b'{"title": "a\x00b"}', headers=HEADERS, content_type="application/json")
    assert r.status_code == 400 and "JSON" in r.get_json()["error"]
    (letter,) = dead_letters(client)
    assert letter["payload"] == '{"title": "a\\u0000b"}'
    r = client.post(OPEN311, data=b'{"api_key": "' + KEY.encode() + b'", "x": "\x00"}', headers=HEADERS,
                    content_type="application/json")
    assert r.status_code == 400 and r.get_json()[0]["code"] == 400
    assert len(dead_letters(client)) == 2
    assert KEY not in json.dumps(dead_letters(client))  # the key never reaches a dead letter


def test_a_dead_letter_with_nul_is_replayed_and_refused_again_for_the_same_reason(client):
    post(client, "/api/appeals", appeal("REPLAY-NUL", reporter_name="张\u0000三"))
    (letter,) = dead_letters(client)
    r = client.post(f"/api/dead-letters/{letter['id']}/replay", headers=ADMIN, content_type="application/json")
    assert r.status_code == 422 and "reporter_name" in r.get_json()["result"]["errors"][0]


# -- nesting depth ----------------------------------------------------------------------------


def nested(depth: int) -> str:
    return '{"title": ' + "[" * depth + "]" * depth + "}"


def ingest_urls(store) -> list[str]:
    return ["/api/appeals", f"/api/appeals/{an_appeal_id(store)}/events", "/api/positions"]


def test_deep_nesting_is_a_400_in_chinese_and_kept_as_a_dead_letter(client, writable_store):
    """Depth 975 used to exhaust the recursion limit when the dead letter was written (a 500)."""
    for url in ingest_urls(writable_store):
        r = client.post(url, data=nested(975), headers=HEADERS, content_type="application/json")
        assert r.status_code == 400, (url, r.data[:300])
        assert f"嵌套超过 {MAX_DEPTH} 层" in r.get_json()["error"]
    letters = dead_letters(client)
    assert len(letters) == 3 and all(x["payload"] == nested(975) for x in letters)
    assert all(x["reasons"] == [f"payload: 嵌套超过 {MAX_DEPTH} 层"] for x in letters)
    deep_description = nested(975).replace('"title"', '"description"')
    r = client.post(OPEN311, data=deep_description, headers=HEADERS, content_type="application/json")
    assert r.status_code == 400 and "嵌套" in r.get_json()[0]["description"]


def test_no_depth_near_the_recursion_limit_is_a_500(client, writable_store):
    """Wherever the interpreter's limit is, a body nested just below it must not reach the JSON dump."""
    limit = sys.getrecursionlimit()
    for url in ingest_urls(writable_store):
        for depth in range(limit - 80, limit + 5, 3):
            r = client.post(url, data=nested(depth), headers=HEADERS, content_type="application/json")
            assert r.status_code == 400, (url, depth, r.status_code)


def test_a_body_as_deep_as_allowed_still_gets_its_per_field_answer(client):
    depth = MAX_DEPTH - 1
    r = client.post("/api/appeals", data=nested(depth), headers=HEADERS, content_type="application/json")
    assert r.status_code == 422 and any(e.startswith("title: ") for e in r.get_json()["errors"])


# -- media types -------------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                                          None])
def test_ingest_takes_only_json(client, writable_store, content_type):
    """A cross-site form can send text/plain or a form with a body that parses as JSON: it is refused unread."""
    body = json.dumps(appeal("TYPE-1"))
    for url in ingest_urls(writable_store):
        headers = {**HEADERS, **({"Content-Type": content_type} if content_type else {})}
        r = client.post(url, data=body, headers=headers)
        assert r.status_code == 415, (url, r.status_code, r.data[:200])
        assert "请求体类型应为 application/json" in r.get_json()["error"]
    r = client.post("/api/dead-letters/1/replay", headers={**ADMIN, "Content-Type": "text/plain"})
    assert r.status_code == 415
    assert dead_letters(client) == []
    assert writable_store.find_appeals(ids=None, start=datetime.now(UTC) - timedelta(hours=1), viewer=SYSTEM) == []


def test_json_with_a_charset_is_json(client):
    r = client.post("/api/appeals", data=json.dumps(appeal("TYPE-2")).encode("utf-8"),
                    headers={**HEADERS, "Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 201, r.data[:300]


def test_open311_takes_a_form_or_json_and_nothing_else(client):
    assert client.post(OPEN311, data=open311_params()).status_code == 201
    assert post(client, OPEN311, open311_params(description="另一条诉求"), {}).status_code == 201
    for content_type in ("text/plain", "multipart/form-data; boundary=x", "application/xml"):
        r = client.post(OPEN311, data=json.dumps(open311_params()), headers={"Content-Type": content_type})
        assert r.status_code == 415, (content_type, r.data[:200])
        (error,) = r.get_json()
        assert error["code"] == 415 and "application/x-www-form-urlencoded" in error["description"]


# -- exports of hostile titles ----------------------------------------------------------------

#: Titles a citizen may type that a spreadsheet would run: each must arrive in the workbook as plain text.
FORMULAS = ('=HYPERLINK("http://x.invalid","点击")', "=cmd|' /C calc'!A0", "+1+cmd|' /C calc'!A0", "-2+3",
            "@SUM(A1:A9)")


def overdue_window(at: datetime) -> str:
    """The query of the one local day ``at`` falls on: urgent appeals accepted then are overdue now."""
    day = at.astimezone(LOCAL_TZ).date()
    return f"from={day}&to={day + timedelta(days=1)}"


def titles_in_workbook(data: bytes) -> dict:
    sheet = openpyxl.load_workbook(io.BytesIO(data))["诉求明细"]
    column = [c.value for c in sheet[1]].index("标题")
    return {row[column].value: row[column] for row in sheet.iter_rows(min_row=2)}


def test_formula_titles_stay_text_in_the_workbook_and_print_in_the_briefing(client):
    at = (datetime.now(UTC) - timedelta(days=3)).replace(microsecond=0)
    batch = [appeal(f"FORMULA-{i}", title=title, priority="urgent", accepted_at=at.isoformat())
             for i, title in enumerate(FORMULAS)]
    assert post(client, "/api/appeals", batch).get_json()["created"] == len(FORMULAS)
    query = overdue_window(at)
    r = fetch_export(client, f"/export/appeals.xlsx?{query}")
    assert r.status_code == 200, r.data[:300]
    cells = {title: cell for title, cell in titles_in_workbook(r.data).items() if title in FORMULAS}
    assert set(cells) == set(FORMULAS)  # shown literally, not evaluated
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in cells.values())
    pdf = fetch_export(client, f"/export/briefing.pdf?{query}")
    assert pdf.status_code == 200, pdf.data[:300]
    pages = pypdf.PdfReader(io.BytesIO(pdf.data)).pages
    text = "".join(page.extract_text() for page in pages).replace("\x00", "")  # pypdf pads CID text with NULs
    assert "HYPERLINK" in text and "cmd|" in text
    assert fetch_export(client, f"/export/snapshot.png?{query}").status_code == 200


def test_control_characters_stored_before_ingest_refused_them_do_not_break_exports(client, writable_store):
    """Every XLSX export holding such a title used to answer 500 (openpyxl's IllegalCharacterError)."""
    at = (datetime.now(UTC) - timedelta(days=3)).replace(microsecond=0)
    record = AppealIn.model_validate(appeal("OLD-CTRL", priority="urgent", accepted_at=at.isoformat())).record(at)
    writable_store.ingest_appeals([{**record, "title": "控制\u0001字符\u007f\ufffe", "reporter_name": "=张\u0002三"}])
    query = overdue_window(at)
    r = fetch_export(client, f"/export/appeals.xlsx?{query}")
    assert r.status_code == 200, r.data[:300]
    assert "控制字符" in titles_in_workbook(r.data)
    for url in (f"/export/briefing.pdf?{query}", f"/export/snapshot.png?{query}"):
        assert fetch_export(client, url).status_code == 200, url


# -- forged callback requests ------------------------------------------------------------------

UPDATE = {"dashboard": "/_dash-update-component", "wall": f"{SCREEN_PATH}_dash-update-component"}


@pytest.fixture
def dash_client(make_app, seeded_sqlite_path):
    """The app on the shared seeded SQLite store: callbacks only read (the backend does not matter to them)."""
    return client_of(make_app(f"sqlite:///{seeded_sqlite_path}"))


def dependencies(client, app: str) -> list[dict]:
    """The server-side callbacks of one Dash app, as the renderer learns them from ``_dash-dependencies``."""
    prefix = UPDATE[app].removesuffix("_dash-update-component")
    return [d for d in client.get(f"{prefix}_dash-dependencies").get_json() if not d.get("clientside_function")]


def concrete(identity):
    """A pattern-matching id as the renderer sends it: the one matched component's id (wildcards → "1")."""
    if isinstance(identity, str) and identity.startswith("{"):
        return {k: "1" if isinstance(v, list) else v for k, v in json.loads(identity).items()}
    return identity


def outputs_of(output: str):
    names = output[2:-2].split("...") if output.startswith("..") else [output]
    items = [dict(zip(("id", "property"), n.rsplit(".", 1), strict=True)) for n in names]
    items = [{**item, "id": concrete(item["id"])} for item in items]
    return items if output.startswith("..") else items[0]


def callback_body(dep: dict, values: dict, changed: str | None = None) -> dict:
    """The body dash-renderer POSTs for a callback: every input and state with its value, the trigger named."""

    def filled(items):
        return [{**item, "id": concrete(item["id"]), "value": values.get(f"{item['id']}.{item['property']}")}
                for item in items]

    first = dep["inputs"][0]
    trigger = changed or f"{first['id']}.{first['property']}"
    if trigger.startswith("{"):
        identity, _, prop = trigger.rpartition(".")
        trigger = json.dumps(concrete(identity), sort_keys=True, separators=(",", ":")) + "." + prop
    body = {"output": dep["output"], "outputs": outputs_of(dep["output"]), "inputs": filled(dep["inputs"]),
            "changedPropIds": [trigger]}
    if dep["state"]:
        body["state"] = filled(dep["state"])
    return body


def dependency(client, app: str, output_marker: str) -> dict:
    return next(d for d in dependencies(client, app) if output_marker in d["output"])


@pytest.mark.parametrize("forged", [[], {}, ["30d"], {"value": "30d"}, 30])
def test_a_forged_preset_gets_a_notice_not_a_500(dash_client, forged):
    dep = dependency(dash_client, "dashboard", f"{ids.PRESET}.value")
    body = callback_body(dep, {f"{ids.URL}.search": "", f"{ids.PRESET}.value": forged}, f"{ids.PRESET}.value")
    r = dash_client.post(UPDATE["dashboard"], json=body)
    assert r.status_code == 200, r.data[:300]
    banner = r.get_json()["response"][ids.ERROR_BANNER]
    assert banner["hidden"] is False and "取值无效" in banner["children"]


@pytest.mark.parametrize("forged", [{}, [], ["osm"], 1])
def test_a_forged_base_map_gets_a_notice_not_a_500(dash_client, forged):
    dep = dependency(dash_client, "dashboard", f"{ids.BASEMAP}.value")
    body = callback_body(dep, {f"{ids.URL}.search": "", f"{ids.BASEMAP}.value": forged}, f"{ids.BASEMAP}.value")
    r = dash_client.post(UPDATE["dashboard"], json=body)
    assert r.status_code == 200, r.data[:300]
    banner = r.get_json()["response"][ids.ERROR_BANNER]
    assert banner["hidden"] is False and "取值无效" in banner["children"]


@pytest.mark.parametrize("forged", ["space", "osm", "vector-dark%00"])
def test_a_forged_base_map_link_gets_the_default_base_map(dash_client, forged):
    """A base map nobody offers (osm is a real provider, but not offered by default): notice and default."""
    dep = dependency(dash_client, "dashboard", f"{ids.BASEMAP}.value")
    r = dash_client.post(UPDATE["dashboard"], json=callback_body(dep, {f"{ids.URL}.search": f"?basemap={forged}"}))
    assert r.status_code == 200, r.data[:300]
    response = r.get_json()["response"]
    assert "链接参数有误" in response[ids.ERROR_BANNER]["children"]
    assert response[ids.BASEMAP]["value"] == "vector-light" and "basemap" not in response[ids.URL]["search"]


#: Values of the wrong type for any control: each callback must turn them into a notice or its default.
WRONG_TYPES = ([], {}, 7, "x", {"properties": []})


@pytest.mark.parametrize("app", UPDATE)
def test_no_callback_answers_500_to_a_value_of_the_wrong_type(dash_client, app):
    deps = [d for d in dependencies(dash_client, app) if "export-job.data" not in d["output"]]  # it starts jobs
    failures = []
    for dep in deps:
        for item in dep["inputs"] + dep["state"]:
            name = f"{item['id']}.{item['property']}"
            trigger = name if item in dep["inputs"] else None
            for value in WRONG_TYPES:
                body = callback_body(dep, {f"{ids.URL}.search": "", name: value}, trigger)
                status = dash_client.post(UPDATE[app], json=body).status_code
                if status not in (200, 204):
                    failures.append((dep["output"][:40], name, value, status))
    assert not failures, failures


def test_a_forged_search_on_the_export_button_is_a_notice(dash_client):
    dep = dependency(dash_client, "dashboard", "export-job.data")
    body = callback_body(dep, {"export-xlsx.n_clicks": 1, f"{ids.URL}.search": 5}, "export-xlsx.n_clicks")
    r = dash_client.post(UPDATE["dashboard"], json=body)
    assert r.status_code == 200 and "无法导出" in json.dumps(r.get_json(), ensure_ascii=False)


def malformed_bodies(good: dict) -> dict[str, object]:
    return {
        "an unknown output": {**good, "output": "nope.children"},
        "no output": {k: v for k, v in good.items() if k != "output"},
        "one input too few": {**good, "inputs": good["inputs"][:-1]},
        "one input too many": {**good, "inputs": [*good["inputs"], good["inputs"][0]]},
        "inputs as an object": {**good, "inputs": {"id": "url"}},
        "an input that is a number": {**good, "inputs": [1] * len(good["inputs"])},
        "another component's input": {**good, "inputs": [{**good["inputs"][0], "id": "zzz"}, *good["inputs"][1:]]},
        "outputs of another callback": {**good, "outputs": [{"id": "zzz", "property": "children"}]},
        "a trigger that is no input": {**good, "changedPropIds": ["{not json.value"]},
        "a trigger list that is a string": {**good, "changedPropIds": "url.search"},
        "a JSON list": [good],
        "JSON null": None,
    }


@pytest.mark.parametrize("app", UPDATE)
def test_malformed_callback_bodies_are_a_400_in_chinese(dash_client, app):
    good = callback_body(dependencies(dash_client, app)[0], {f"{ids.URL}.search": ""})
    assert dash_client.post(UPDATE[app], json=good).status_code in (200, 204)
    for case, body in malformed_bodies(good).items():
        r = dash_client.post(UPDATE[app], data=json.dumps(body), content_type="application/json")
        assert r.status_code == 400, (case, r.status_code, r.data[:200])
        assert r.get_json()["error"].startswith("回调请求"), case
    for raw in ("not json", "{", "[" * 5000 + "]" * 5000):
        r = dash_client.post(UPDATE[app], data=raw, content_type="application/json")
        assert r.status_code == 400 and r.get_json()["error"].startswith("回调请求体"), raw[:10]
    r = dash_client.post(UPDATE[app], data=json.dumps(good), content_type="text/plain")
    assert r.status_code == 415 and "application/json" in r.get_json()["error"]


# -- security headers ---------------------------------------------------------------------------

#: Collects every CSP violation of a page from its first script on (CDP scripts run before, and outside, the policy).
VIOLATIONS = """
  window.cspViolations = [];
  document.addEventListener('securitypolicyviolation',
    e => window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""


@pytest.mark.browser
def test_dashboard_and_wall_run_under_the_content_security_policy(dash_duo, make_app, seeded_sqlite_path):
    """The pages render (map, charts, grid table, wall) with no violation reported, in the console or as an event."""
    app = make_app(f"sqlite:///{seeded_sqlite_path}")
    dash_duo.start_server(app, navigate=False)
    dash_duo.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": VIOLATIONS})
    browser_sign_in(dash_duo, app)  # the sign-in page runs under the same policy
    with browser_open(dash_duo, "/") as r:
        assert "script-src 'self' 'sha256-" in r.headers["Content-Security-Policy"]
    window = "from=2026-09-21&to=2026-11-21"
    pages = [
        (f"/?{window}&layers=grids,boundaries,heat,workers", "img.leaflet-image-layer"),  # the heat image
        (f"/?scope=grid&id=370212001001001&{window}", "#panel-appeals .ag-row"),  # AG Grid, the timeline panel
        (f"/screen/?{window}", "#screen-trend .main-svg"),
    ]
    for path, rendered in pages:
        dash_duo.driver.get(dash_duo.server_url + path)
        dash_duo.wait_for_element(rendered, timeout=30)
        time.sleep(1.5)  # late layers: heat image, worker markers, the vector base
        assert dash_duo.driver.execute_script("return window.cspViolations") == [], path
        console = [e["message"] for e in dash_duo.get_logs()]
        assert not [m for m in console if "Content Security Policy" in m or "Refused to" in m], (path, console)


def directive(policy: str, name: str) -> list[str]:
    return next(d.split()[1:] for d in policy.split("; ") if d.split()[0] == name)


@pytest.mark.parametrize("path", ["/", f"{SCREEN_PATH}", "/api/kpis", "/api/nothing", "/open311/v2/services.json",
                                  "/export/nothing", "/healthz"])
def test_every_answer_carries_the_security_headers(dash_client, path):
    r = dash_client.get(path)
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "same-origin"
    policy = r.headers["Content-Security-Policy"]
    assert directive(policy, "frame-ancestors") == ["'none'"] and directive(policy, "default-src") == ["'self'"]
    assert directive(policy, "object-src") == ["'none'"]
    scripts = directive(policy, "script-src")
    assert scripts[0] == "'self'" and all(s.startswith("'sha256-") for s in scripts[1:]) and len(scripts) >= 2
    assert "'unsafe-eval'" not in policy and "*" not in policy


def test_images_come_only_from_the_tile_servers_the_settings_offer(make_app, seeded_sqlite_path):
    url = f"sqlite:///{seeded_sqlite_path}"
    offline = client_of(make_app(url)).get("/").headers["Content-Security-Policy"]
    assert directive(offline, "img-src") == ["'self'", "data:"]
    osm = client_of(make_app(url, TILE_PROVIDERS="vector-light,osm")).get("/").headers["Content-Security-Policy"]
    assert directive(osm, "img-src") == ["'self'", "data:", "https://tile.openstreetmap.org"]
    referrer = client_of(make_app(url, TILE_PROVIDERS="vector-light,osm")).get("/").headers["Referrer-Policy"]
    assert referrer == "strict-origin-when-cross-origin"  # the tile servers get our origin, never the view's query
    both = client_of(make_app(url, TILE_PROVIDERS="amap,custom", TILE_URL="http://tiles.local:8080/{z}/{x}/{y}.png"))
    images = directive(both.get("/").headers["Content-Security-Policy"], "img-src")
    assert images == ["'self'", "data:", *(f"https://webrd0{n}.is.autonavi.com" for n in "1234"), "http://tiles.local:8080"]
    hostile = client_of(make_app(url, TILE_PROVIDERS="custom", TILE_URL="http://x; script-src *;/{z}/{x}/{y}.png"))
    policy = hostile.get("/").headers["Content-Security-Policy"]
    assert directive(policy, "img-src") == ["'self'", "data:"] and directive(policy, "script-src")[0] == "'self'"
    assert "script-src *" not in policy


# -- the export queue ---------------------------------------------------------------------------


def held_job(jobs: Jobs, gate: threading.Event, owner: str) -> dict:
    """An export job that runs until ``gate`` is set: a slot kept busy, as a slow export of a year would."""
    return jobs.start(JobSpec("xlsx", "x.xlsx", "application/octet-stream"),
                      lambda path, progress: gate.wait(30) and path.write_bytes(b"x"), owner=owner)


def test_one_caller_cannot_fill_the_export_queue(make_app, seeded_sqlite_path):
    """Twelve export requests used to fill the queue: a real user's export then answered 503."""
    app = make_app(f"sqlite:///{seeded_sqlite_path}", EXPORT_WAIT_SECONDS="0", EXPORT_JOBS_PER_USER="2",
                   EXPORT_JOBS_TOTAL="4")
    client = client_of(app)
    exporter = app.server.extensions[services.EXPORTER_KEY]
    gate = threading.Event()
    try:
        first = client.get("/export/appeals.xlsx?scope=street&id=370212001")
        assert first.status_code == 202, first.data[:200]
        attacker = exporter.jobs.status(first.get_json()["id"])["owner"]  # whoever this client is to the server
        assert exporter.jobs.wait(first.get_json()["id"], 60)["state"] == "done"
        held = [held_job(exporter.jobs, gate, attacker) for _ in range(2)]  # two slow exports of this client
        answers = [client.get(f"/export/{name}?scope=street&id=370212001")
                   for name in ("briefing.pdf", "snapshot.png", "appeals.xlsx") * 4]
        assert [r.status_code for r in answers] == [429] * 12
        assert all(r.headers["Retry-After"] and "导出任务在进行" in r.get_json()["error"] for r in answers)
        with app.server.test_request_context():
            store = app.server.extensions[services.STORE_KEY]
            leader = start_export("xlsx", "?scope=street&id=370212001", store, None, exporter,
                                  Viewer("district", DISTRICT, "leader"))
            assert leader["state"] in ("queued", "running", "done")  # another user still exports
            held.append(held_job(exporter.jobs, gate, "third"))
            with pytest.raises(HttpError, match="导出任务较多") as full:
                start_export("pdf", "", store, None, exporter, Viewer("district", DISTRICT, "fourth"))
            assert full.value.status == 429
    finally:
        gate.set()
    for job in held:
        exporter.jobs.wait(job["id"], 10)
    assert client.get("/export/appeals.xlsx?scope=street&id=370212001").status_code in (200, 202)
