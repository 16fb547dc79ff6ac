"""Exports are opened and checked: the same numbers as the API for the same query."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest

from app import create_app
from dashboard import settings
from dashboard.figures import format_kpi
from geo.kpis import KPI_LABELS

QUERY = "scope=street&id=370212001&from=2026-10-01&to=2026-11-21"
AS_OF_FREE = ("accepted", "closed", "closure_rate", "response_rate", "resolution_rate", "satisfaction_rate")


@pytest.fixture
def client(seeded_store, tmp_path):
    app = create_app(settings.load({"DATABASE_URL": seeded_store.url, "DATA_DIR": str(tmp_path)}))
    return app.server.test_client()


def workbook(client, query: str):
    r = client.get(f"/export/appeals.xlsx?{query}")
    assert r.status_code == 200, r.get_json()
    assert r.mimetype.endswith("spreadsheetml.sheet")
    return openpyxl.load_workbook(io.BytesIO(r.data), read_only=True)


def test_xlsx_matches_the_api(client):
    wb = workbook(client, QUERY)
    assert wb.sheetnames == ["概览", "趋势", "类别", "下级排名", "诉求明细"]
    appeals = client.get(f"/api/appeals?{QUERY}&limit=1").get_json()
    rows = list(wb["诉求明细"].iter_rows(values_only=True))
    assert len(rows) - 1 == appeals["total"] > 0
    header = rows[0]
    phone, name = header.index("联系电话"), header.index("诉求人")
    assert all(re.fullmatch(r"1[0-9]{2}\*{4}[0-9]{4}", r[phone]) for r in rows[1:])
    assert all("*" in r[name] for r in rows[1:])
    assert "lon" not in header and "描述" not in header
    kpis = client.get(f"/api/kpis?{QUERY}").get_json()["kpis"]
    overview = {r[0]: r for r in wb["概览"].iter_rows(values_only=True) if r and r[0]}
    assert "中韩街道" in overview["范围"][1]
    for key in AS_OF_FREE:
        label, unit = KPI_LABELS[key]
        assert overview[f"{label}（{unit}）"][1] == format_kpi(key, kpis[key])
    ranking = list(wb["下级排名"].iter_rows(values_only=True))[1:]
    communities = client.get("/api/geo/community.geojson?parent=370212001").get_json()["features"]
    assert len(ranking) == len(communities)
    trend = list(wb["趋势"].iter_rows(values_only=True))[1:]
    assert len(trend) == 51 and sum(r[1] for r in trend) == appeals["total"]


def test_xlsx_follows_filters(client):
    wb = workbook(client, QUERY + "&kind=development")
    rows = list(wb["诉求明细"].iter_rows(values_only=True))[1:]
    total = client.get(f"/api/appeals?{QUERY}&kind=development&limit=1").get_json()["total"]
    assert len(rows) == total and all(r[5] == "发展诉求" for r in rows)


@pytest.mark.parametrize("query,status", [("scope=street&id=370212999", 404), ("from=2026-13-01", 400),
                                          ("kind=x", 400), ("id=1&id=2", 400)])
def test_xlsx_bad_input(client, query, status):
    assert client.get(f"/export/appeals.xlsx?{query}").status_code == status
