"""Personal data typed into an appeal reaches no surface: every one is read over HTTP and searched.

An appeal is planted through the store's ingest with a phone number, an ID
card number, an e-mail address and a bank card number in its title and
description (and a named, phoned actor in its timeline). Then the JSON API,
the grid table and the timeline callbacks, the ticker, the wall's callbacks,
the PDF briefing, the XLSX workbook and Open311 are read the way browsers and
clients read them, and none may hold any of it — while each is checked to
show the appeal, so the test fails if a surface simply lost it.
"""

from __future__ import annotations

import io
import json
import re
from datetime import datetime

import openpyxl
import pypdf
import pytest
from dash._utils import split_callback_id

from dashboard.ui import ids
from geo.access import SYSTEM
from geo.domain import LOCAL_TZ
from tests.conftest import client_of, fetch_export

PHONE = "13812345678"
ID_NUMBER = "37021219900101123X"
EMAIL = "zhang.san@example.com"
CARD = "6222021234567890128"  # passes the Luhn check, as real cards do
CARD_GROUPED = "6222 0212 3456 7890 128"
REPORTER, REPORTER_PHONE = "欧阳娜娜", "13912345678"
#: Nothing of these may appear anywhere, in any spelling we can think of.
RAW = (PHONE, "138-1234-5678", ID_NUMBER, ID_NUMBER.lower(), EMAIL, CARD, CARD_GROUPED, REPORTER, REPORTER_PHONE,
       "张三")
TITLE = f"噪音扰民 {PHONE} {EMAIL}"
DESCRIPTION = (f"夜间施工噪音很大。身份证{ID_NUMBER}，退款银行卡 {CARD_GROUPED}，卡号{CARD}，"
               f"联系电话 138-1234-5678，邮箱 {EMAIL}")
#: A point in 中韩街道.
LON, LAT = 120.4462, 36.1349
WINDOW = "from=2026-09-21&to=2026-11-21"


@pytest.fixture
def planted(writable_store):
    """The planted appeal's id and grid: accepted long ago and still open, so it is overdue (the briefing lists it)."""
    [(appeal_id, created)] = writable_store.ingest_appeals([{
        "source": "hotline_12345", "source_ref": "PII-1", "kind": "livelihood", "category": "noise",
        "priority": "normal", "title": TITLE, "description": DESCRIPTION, "reporter_name": REPORTER,
        "reporter_phone": REPORTER_PHONE, "lon": LON, "lat": LAT,
        "accepted_at": datetime(2026, 10, 1, 9, 0, tzinfo=LOCAL_TZ), "status": "accepted",
        "handling_level": "community"}])
    assert created
    writable_store.add_event(appeal_id, {"to_status": "dispatched", "actor": f"网格员张三 {PHONE}",
                                         "at": datetime(2026, 10, 1, 10, 0, tzinfo=LOCAL_TZ)})
    return appeal_id, writable_store.appeal_detail(appeal_id, SYSTEM)["grid_code"]


@pytest.fixture
def client(make_app, writable_store):
    return client_of(make_app(writable_store.url))


def clean(text: str, surface: str) -> str:
    """``text`` after checking it holds none of the raw data, also with its whitespace and line breaks gone
    (a PDF table wraps long numbers)."""
    squeezed = re.sub(r"\s+", "", text)
    found = [raw for raw in RAW if raw in text or re.sub(r"\s+", "", raw) in squeezed]
    assert not found, f"{surface} shows {found}"
    return text


def as_text(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def fire(client, prefix: str, output: str, values: dict, trigger: str):
    """Calls a callback the way dash-renderer does: a POST to ``_dash-update-component`` with the inputs and
    states it declares (found in ``_dash-dependencies`` by one of its outputs and its trigger). Returns its answer."""
    def outputs_of(spec) -> list[dict]:
        if "." not in spec["output"]:  # a callback with no output (it only sets props in the browser)
            return []
        found = split_callback_id(spec["output"])
        return found if isinstance(found, list) else [found]

    deps = client.get(f"{prefix}_dash-dependencies").get_json()
    spec = next(d for d in deps if output in [f"{o['id']}.{o['property'].split('@')[0]}" for o in outputs_of(d)]
                and trigger in [f"{i['id']}.{i['property']}" for i in d["inputs"]])

    def fill(items):
        return [{**i, "value": values.get(f"{i['id']}.{i['property']}")} for i in items]

    body = {"output": spec["output"], "outputs": split_callback_id(spec["output"]), "inputs": fill(spec["inputs"]),
            "state": fill(spec["state"]), "changedPropIds": [trigger]}
    r = client.post(f"{prefix}_dash-update-component", json=body)
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    return r.get_json()["response"]


def export(client, url: str) -> bytes:
    """An export as a browser gets it: at once, or by polling its job."""
    r = fetch_export(client, url)
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    return r.data


def test_no_surface_shows_personal_data_typed_into_an_appeal(client, planted):
    appeal_id, grid = planted
    query = f"scope=grid&id={grid}&{WINDOW}"

    # The JSON API.
    page = client.get(f"/api/appeals?{query}&limit=1000").get_json()
    [item] = [i for i in page["items"] if i["id"] == appeal_id]
    clean(as_text(page), "/api/appeals")
    assert item["title"] == "噪音扰民 138****5678 z***@example.com" and "3****************X" in item["description"]
    assert item["reporter_name"] == "欧阳**" and item["reporter_phone"] == "139****5678"

    # The grid table and the appeal's timeline (dash-ag-grid rowData, then a click on the row).
    grid_view = fire(client, "/", f"{ids.GRID_SECTION}.hidden", {f"{ids.URL}.search": f"?{query}"}, f"{ids.URL}.search")
    rows = grid_view[ids.APPEAL_TABLE]["rowData"]
    assert [r["title"] for r in rows if r["id"] == str(appeal_id)] == [item["title"]]
    clean(as_text(grid_view), "the grid table")
    timeline = fire(client, "/", f"{ids.TIMELINE}.children",
                    {f"{ids.APPEAL_TABLE}.cellClicked": {"rowId": str(appeal_id), "colId": "title"}},
                    f"{ids.APPEAL_TABLE}.cellClicked")
    assert "网格员张*" in as_text(timeline)
    clean(as_text(timeline), "the timeline")

    # The dashboard's live ticker (the newest appeals of the view: the day the planted one came in).
    poll = fire(client, "/", f"{ids.TICKER}.children",
                {f"{ids.LIVE_TICK}.n_intervals": 1,
                 f"{ids.URL}.search": f"?scope=grid&id={grid}&from=2026-10-01&to=2026-10-02"},
                f"{ids.LIVE_TICK}.n_intervals")
    assert "噪音扰民 138****5678" in as_text(poll[ids.TICKER])
    clean(as_text(poll), "the ticker")

    # The wall: its panels (with its ticker) and its live poll (with the worker layer).
    wall = fire(client, "/screen/", f"{ids.SCREEN_TICKER}.children",
                {f"{ids.SCREEN_URL}.search": f"?scope=grid&id={grid}&from=2026-10-01&to=2026-10-02",
                 f"{ids.SCREEN_VIEWPORT}.data": {"w": 1920, "h": 1080}}, f"{ids.SCREEN_URL}.search")
    assert "噪音扰民 138****5678" in as_text(wall[ids.SCREEN_TICKER])
    clean(as_text(wall), "the wall")
    wall_poll = fire(client, "/screen/", f"{ids.SCREEN_LIVE}.data",
                     {f"{ids.LIVE_TICK}.n_intervals": 1, f"{ids.SCREEN_URL}.search": ""}, f"{ids.LIVE_TICK}.n_intervals")
    layer = wall_poll[ids.SCREEN_WORKERS]["data"]
    assert layer["features"] and all(set(f["properties"]) == {"type", "status"} for f in layer["features"])
    assert not re.search(r"W[0-9]{4,}", as_text(wall_poll)), "the wall's page holds worker ids"

    # The PDF briefing (the overdue list prints the title) and the XLSX workbook (诉求明细).
    pdf = pypdf.PdfReader(io.BytesIO(export(client, f"/export/briefing.pdf?{query}")))
    text = "".join(p.extract_text() for p in pdf.pages).replace("\x00", "")  # pypdf spells CID text with NULs
    assert "噪音扰民" in text and "138****5678" in re.sub(r"\s+", "", text)
    clean(text, "the PDF briefing")
    book = openpyxl.load_workbook(io.BytesIO(export(client, f"/export/appeals.xlsx?{query}")), read_only=True)
    cells = [[c for c in row] for ws in book.worksheets for row in ws.iter_rows(values_only=True)]
    assert [r for r in cells if r and r[0] == appeal_id and item["title"] in r]
    clean(as_text([[str(c) for c in row] for row in cells]), "the XLSX workbook")

    # Open311, one request and the listing.
    [request] = client.get(f"/open311/v2/requests/{appeal_id}.json").get_json()
    assert request["description"].startswith("夜间施工噪音很大。身份证3****************X")
    clean(as_text(request), "Open311 requests/<id>.json")
    listing = client.get(f"/open311/v2/requests.json?service_request_id={appeal_id}").get_json()
    assert [r["service_request_id"] for r in listing] == [str(appeal_id)]
    clean(as_text(listing), "Open311 requests.json")


def test_the_checks_would_catch_raw_data():
    """The searches above find the data in every spelling they look for (a test that cannot fail proves nothing)."""
    for raw in RAW:
        with pytest.raises(AssertionError):
            clean(f"前缀 {raw} 后缀", "a surface")
    with pytest.raises(AssertionError):
        clean("身份证3702121990\n0101123X", "a wrapped PDF cell")
