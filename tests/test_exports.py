"""Exports are opened and checked: the same numbers as the API for the same query."""

from __future__ import annotations

import io
import re
import subprocess
import time
from datetime import date

import openpyxl
import pypdf
import pytest
from fontTools.cffLib import CFFFontSet
from PIL import Image

from dashboard.exports import fonts, pdf
from dashboard.exports.briefing import written_summary
from dashboard.exports.exporter import export_name
from dashboard.view.state import ViewState
from dashboard.view.text import format_kpi, percent, share
from geo.kpis import KPI_LABELS
from geo.scope import Scope, Window
from tests.conftest import client_of, fetch_export

QUERY = "scope=street&id=370212001&from=2026-10-01&to=2026-11-21"
AS_OF_FREE = ("accepted", "closed", "closure_rate", "response_rate", "resolution_rate", "satisfaction_rate")


@pytest.fixture
def client(app_client):
    return app_client


def workbook(client, query: str):
    r = fetch_export(client, f"/export/appeals.xlsx?{query}")
    assert r.status_code == 200, r.get_json()
    assert r.mimetype.endswith("spreadsheetml.sheet")
    return openpyxl.load_workbook(io.BytesIO(r.data), read_only=True)


def test_xlsx_matches_the_api(client):
    wb = workbook(client, QUERY)
    assert wb.sheetnames == ["概览", "趋势", "类别", "构成", "下级排名", "诉求明细", "未诉先办"]
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
        assert overview[f"{label}（{unit}）"][1] == kpis[key]["value"]
    ranking = list(wb["下级排名"].iter_rows(values_only=True))[1:]
    communities = client.get("/api/geo/community.geojson?parent=370212001").get_json()["features"]
    assert len(ranking) == len(communities)
    trend = list(wb["趋势"].iter_rows(values_only=True))[1:]
    assert len(trend) == 51 and sum(r[1] for r in trend) == appeals["total"]


def test_xlsx_follows_filters(client):
    wb = workbook(client, QUERY + "&kind=development")
    rows = list(wb["诉求明细"].iter_rows(values_only=True))[1:]
    total = client.get(f"/api/appeals?{QUERY}&kind=development&limit=1").get_json()["total"]
    kind = next(wb["诉求明细"].iter_rows(max_row=1, values_only=True)).index("类型")
    assert len(rows) == total and all(r[kind] == "发展诉求" for r in rows)


def test_xlsx_cells_are_typed_filtered_and_frozen(client):
    r = fetch_export(client, f"/export/appeals.xlsx?{QUERY}")
    wb = openpyxl.load_workbook(io.BytesIO(r.data))
    for ws in wb:
        assert ws.freeze_panes == "A2", ws.title
        assert ws.auto_filter.ref.startswith("A1:"), ws.title
        assert ws.column_dimensions["A"].width and ws.column_dimensions["B"].width, ws.title
        assert all(cell.font.bold for cell in ws[1])
    table = wb["诉求明细"]
    assert table.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(table.max_column)}{table.max_row}"
    total = client.get(f"/api/appeals?{QUERY}&limit=1").get_json()["total"]
    assert table.max_row - 1 == total

    overview = {row[0].value: row for row in wb["概览"].iter_rows(min_row=2) if row[0].value}
    rate = overview["办结率（%）"][1]
    assert rate.data_type == "n" and rate.number_format == "0.0%" and 0 < rate.value < 1
    assert isinstance(overview["受理量（件）"][1].value, int) and overview["受理量（件）"][1].value == total
    assert overview["平均办结时长（小时）"][1].number_format == "0.0"

    day = wb["趋势"]["A2"]
    assert day.is_date and day.number_format == "yyyy-mm-dd" and day.value.date() == date(2026, 10, 1)

    count = client.get(f"/api/appeals?{QUERY}&category=property_management&limit=1").get_json()["total"]
    categories = {row[0].value: row for row in wb["类别"].iter_rows(min_row=2)}
    n, part = categories["物业管理"][1], categories["物业管理"][2]
    assert n.value == count and part.number_format == "0.0%"
    assert part.value == pytest.approx(count / total)  # of all appeals, not of the top ones
    composition = [[c.value for c in row] for row in wb["构成"].iter_rows(min_row=2)]
    sources = [row for row in composition if row[0] == "来源"]
    hotline = client.get(f"/api/appeals?{QUERY}&source=hotline_12345&limit=1").get_json()["total"]
    assert next(row for row in sources if row[1] == "12345热线")[2:] == [hotline, pytest.approx(hotline / total)]
    assert sum(row[2] for row in sources) == total and sum(row[3] for row in sources) == pytest.approx(1)

    communities = {f["properties"]["code"]: f["properties"]["name"]
                   for f in client.get("/api/geo/community.geojson?parent=370212001").get_json()["features"]}
    ranking = list(wb["下级排名"].iter_rows(min_row=2))
    assert {row[1].value: row[0].value for row in ranking} == communities  # names and codes in their own columns
    assert all(row[3].number_format == "0.0%" and row[1].data_type == "s" for row in ranking)

    header = [c.value for c in table[1]]
    first = {h: c for h, c in zip(header, table[2], strict=True)}
    assert first["受理时间"].is_date and first["受理时间"].number_format == "yyyy-mm-dd hh:mm"
    assert isinstance(first["编号"].value, int)
    assert communities[first["社区编码"].value] == first["社区"].value
    assert first["网格编码"].value.startswith(first["社区编码"].value) and first["网格"].value


@pytest.mark.parametrize("query,status", [("scope=street&id=370212999", 404), ("from=2026-13-01", 400),
                                          ("kind=x", 400), ("id=1&id=2", 400)])
def test_xlsx_bad_input(client, query, status):
    assert client.get(f"/export/appeals.xlsx?{query}").status_code == status


# -- briefing PDF and PNG snapshot -------------------------------------------------------


def run(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=120).stdout


@pytest.fixture
def briefing(client, tmp_path):
    r = fetch_export(client, f"/export/briefing.pdf?{QUERY}")
    assert r.status_code == 200, r.get_json()
    assert r.mimetype == "application/pdf"
    assert "attachment" in r.headers["Content-Disposition"]
    path = tmp_path / "briefing.pdf"
    path.write_bytes(r.data)
    return path


def test_pdf_shows_the_api_numbers(client, briefing):
    text = run("pdftotext", "-layout", str(briefing), "-")
    # The briefing is as of a minute it prints; the API, asked as of that minute, must agree on every KPI.
    as_of = re.search(r"数据截至\s+(\d{4}-\d\d-\d\d \d\d:\d\d)", text).group(1)
    kpis = client.get(f"/api/kpis?{QUERY}&as_of={as_of.replace(' ', 'T')}:00%2B08:00").get_json()
    assert "中韩街道诉求办理简报" in text
    assert "2026-10-01 至 2026-11-20" in text
    for key in KPI_LABELS:
        label, unit = KPI_LABELS[key]
        assert re.search(rf"{label}\s+{re.escape(format_kpi(key, kpis['kpis'][key]))} {unit}", text), label
    communities = client.get("/api/geo/community.geojson?parent=370212001").get_json()["features"]
    assert all(f["properties"]["name"] in text for f in communities)  # the ranking lists every child
    assert "超期未办结诉求（共" in text
    assert not re.search(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])", text)  # no unmasked phone number
    assert re.search(r"1[0-9]{2}\*{4}[0-9]{4}", text)  # the overdue list shows masked ones


def test_pdf_is_a4_with_embedded_chinese_fonts(briefing, tmp_path):
    reader = pypdf.PdfReader(briefing)
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    fonts = run("pdffonts", str(briefing)).splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts  # the "emb" column
    assert any("CJK" in line for line in fonts)
    # Not tofu: the embedded subset has a real glyph for every distinct Chinese character on page 1.
    text = reader.pages[0].extract_text()
    hanzi = {c for c in text if "\u4e00" <= c <= "\u9fff"}
    glyphs = embedded_glyph_count(reader)
    assert len(hanzi) > 40 and glyphs >= len(hanzi)
    run("pdftoppm", "-r", "40", "-f", "1", "-l", "1", "-png", str(briefing), str(tmp_path / "page"))
    page = Image.open(next(tmp_path.glob("page*.png"))).convert("RGB")
    assert len(page.getcolors(1 << 20)) > 500  # text, table and map, not a blank page


def embedded_glyph_count(reader: pypdf.PdfReader) -> int:
    font = reader.pages[0]["/Resources"]["/Font"]
    for ref in font.values():
        descendant = ref.get_object()["/DescendantFonts"][0].get_object()
        data = descendant["/FontDescriptor"]["/FontFile3"].get_data()
        cff = CFFFontSet()
        cff.decompile(io.BytesIO(data), None)
        return len(cff[cff.fontNames[0]].charset)
    return 0


def test_png_snapshot_size_and_content(client):
    r = fetch_export(client, f"/export/snapshot.png?{QUERY}")
    assert r.status_code == 200 and r.mimetype == "image/png"
    image = Image.open(io.BytesIO(r.data)).convert("RGB")
    assert image.size == (1920, 1080)
    assert len(image.getcolors(1 << 20)) > 2000
    map_area = image.crop((700, 200, 1800, 1000))
    assert len(map_area.getcolors(1 << 20)) > 1000  # the map was drawn, not left empty
    big = fetch_export(client, f"/export/snapshot.png?{QUERY}&scale=2")
    assert Image.open(io.BytesIO(big.data)).size == (3840, 2160)


BAD_QUERIES = [("scope=grid&id=370212001001999", 404), ("to=2026-02-30", 400), ("layers=heat,rain", 400),
               ("metric=x", 400)]


@pytest.mark.parametrize(
    "url,status",
    [(f"{path}?{query}", status) for path in ("/export/briefing.pdf", "/export/snapshot.png")
     for query, status in BAD_QUERIES] + [("/export/snapshot.png?scale=3", 400)],
)
def test_pdf_png_bad_input(client, url, status):
    r = client.get(url)
    assert r.status_code == status and r.get_json()["error"]


def test_missing_chinese_font_is_a_clear_503(seeded_store, make_app, tmp_path):
    app = make_app(seeded_store.url, BRIEFING_FONT=str(tmp_path / "none.ttf"))
    r = client_of(app).get(f"/export/briefing.pdf?{QUERY}")
    assert r.status_code == 503 and "字体" in r.get_json()["error"]


# -- background jobs ----------------------------------------------------------------------


def test_slow_export_becomes_a_job_with_progress(seeded_store, make_app):
    app = make_app(seeded_store.url, EXPORT_WAIT_SECONDS="0")
    client = client_of(app)
    r = client.get(f"/export/appeals.xlsx?{QUERY}")
    assert r.status_code == 202
    job = r.get_json()
    assert r.headers["Location"] == job["status_url"] == f"/export/jobs/{job['id']}"
    seen = set()
    for _ in range(600):
        job = client.get(job["status_url"]).get_json()
        seen.add(job["state"])
        if job["state"] == "done":
            break
        time.sleep(0.05)
    assert job["state"] == "done" and job["progress"] == 1.0 and job["download_url"]
    download = client.get(job["download_url"])
    assert download.status_code == 200 and job["filename"].endswith(".xlsx")
    rows = len(list(openpyxl.load_workbook(io.BytesIO(download.data), read_only=True)["诉求明细"].iter_rows()))
    assert rows - 1 == client.get(f"/api/appeals?{QUERY}&limit=1").get_json()["total"]


@pytest.mark.parametrize("job_id", ["0" * 32, "..%2F..%2Fetc%2Fpasswd", "ABC", "0" * 31 + "g"])
def test_unknown_or_forged_job_ids_are_404(client, job_id):
    assert client.get(f"/export/jobs/{job_id}").status_code == 404
    assert client.get(f"/export/jobs/{job_id}/download").status_code == 404


def test_a_query_that_is_not_utf8_is_a_400(client):
    r = client.get("/export/briefing.pdf?scope=%FF%FE")
    assert r.status_code == 400 and "未知的范围层级" in r.get_json()["error"]
    r = client.get(b"/export/snapshot.png?scope=\xff".decode("latin-1"))
    assert r.status_code == 400


# -- what every export says the same way --------------------------------------------------


def kpi_doc(**values) -> dict:
    return {key: {"value": values.get(key, 0)} for key in KPI_LABELS}


def test_written_summary_from_hand_made_numbers():
    head = {"kpis": kpi_doc(accepted=607, closure_rate=0.85, overdue_open=12),
            "comparisons": {"previous": {"kpis": kpi_doc(accepted=552, closure_rate=0.88)},
                            "year_ago": {"kpis": None}}}
    now = {"property_management": 84, "sanitation": 60, "noise": 50, "heating": 30, "water_supply": 5}
    before = {"property_management": 70, "sanitation": 62, "noise": 40, "heating": 10, "water_supply": 5}
    ranking = [{"level": "community", "name": "空社区", "closure_rate": None, "accepted": 0},
               {"level": "community", "name": "甲社区", "closure_rate": 0.0, "accepted": 3},
               {"level": "community", "name": "乙社区", "closure_rate": 0.95, "accepted": 40}]
    assert written_summary(head, now, before, ranking) == [
        "本期受理 607 件，环比 ↑ 10.0%，同比 去年同期无数据。",  # 607 / 552 = 1.0996
        "办结率 85.0%，环比 ↓ 3.0 个百分点。",
        "较上期增加最多的类别：供暖（30 件，增加 20 件）、物业管理（84 件，增加 14 件）、噪音扰民（50 件，增加 10 件）。",
        "办结率最低的下级社区：甲社区（0.0%，低于 90.0%）。",
        "超期未办结 12 件。",
    ]
    head["comparisons"]["previous"]["kpis"] = None
    text = written_summary(head, now, None, ranking[2:])
    assert text[0] == "本期受理 607 件，环比 上期无数据，同比 去年同期无数据。"
    assert text[1] == "办结率 85.0%，环比 上期无数据。" and text[2] == "类别变化：上期无数据。"
    assert text[3] == "办结率最低的下级社区：乙社区（95.0%）。"


def test_shares_are_of_all_appeals():
    assert percent(share(84, 607)) == "13.8%" and percent(share(0, 607)) == "0.0%"
    assert share(3, 0) is None and percent(share(3, 0)) == "—"


def test_file_names_end_on_the_last_day_the_report_shows():
    state = ViewState(scope=Scope("street", "370212001"), window=Window(date(2026, 11, 2), date(2026, 12, 2)))
    assert export_name(state, "中韩街道", "简报", "pdf") == "简报_中韩街道_2026-11-02_2026-12-01.pdf"
    one_day = ViewState(scope=Scope("street", "370212001"), window=Window(date(2026, 11, 2), date(2026, 11, 3)))
    assert export_name(one_day, "中韩街道", "快照", "png") == "快照_中韩街道_2026-11-02_2026-11-02.png"


def test_briefing_file_name_and_summary(client, briefing):
    text = run("pdftotext", "-layout", str(briefing), "-")
    as_of = re.search(r"数据截至\s+(\d{4}-\d\d-\d\d \d\d:\d\d)", text).group(1)
    kpis = client.get(f"/api/kpis?{QUERY}&as_of={as_of.replace(' ', 'T')}:00%2B08:00").get_json()["kpis"]
    summary = text[text.index("摘要"):text.index("核心指标")]
    assert f"本期受理 {kpis['accepted']['value']:,} 件，环比" in summary
    assert f"办结率 {percent(kpis['closure_rate']['value'])}，环比" in summary
    assert f"超期未办结 {kpis['overdue_open']['value']:,} 件。" in summary
    assert "较上期增加最多的类别" in summary or "上期无数据" in summary


def test_pdf_category_shares_are_of_all_appeals(client, briefing):
    text = run("pdftotext", "-layout", str(briefing), "-")
    total = client.get(f"/api/appeals?{QUERY}&limit=1").get_json()["total"]
    count = client.get(f"/api/appeals?{QUERY}&category=property_management&limit=1").get_json()["total"]
    assert total > count > 0
    assert f"物业管理 {count:,}（{count / total * 100:.1f}%）" in re.sub(r"\s+", " ", text)


def test_pdf_and_xlsx_file_names(client):
    r = fetch_export(client, f"/export/briefing.pdf?{QUERY}")
    assert "_2026-10-01_2026-11-20.pdf" in r.headers["Content-Disposition"]  # to=2026-11-21 is exclusive
    r = fetch_export(client, f"/export/appeals.xlsx?{QUERY}")
    assert "_2026-10-01_2026-11-20.xlsx" in r.headers["Content-Disposition"]


# -- the ranking table across pages ------------------------------------------------------------


def ranking_rows(n: int) -> list[dict]:
    return [{"level": "grid", "code": f"g{i}", "name": f"测试网格{i:02d}", "accepted": 10 + i,
             "closure_rate": 0.0 if i == 0 else (0.8 if i % 2 else 0.95), "on_time_rate": 0.9, "satisfaction_rate": 0.9,
             "overdue_open": i} for i in range(n)]


def test_split_rows_keeps_at_least_four_rows_per_page():
    assert pdf.split_rows(3, 10, 40) == [3]
    assert pdf.split_rows(10, 3, 40) == [0, 10]  # too little room: the table (and its heading) moves on
    assert pdf.split_rows(10, 7, 40) == [6, 4]  # not 7 + 3
    assert pdf.split_rows(6, 5, 40) == [0, 6]
    assert pdf.split_rows(100, 5, 40) == [5, 40, 40, 15]


@pytest.mark.parametrize("start_y", [150, 235, 262])
def test_ranking_pages_carry_the_header_and_four_rows(tmp_path, start_y):
    cjk = fonts.find_cjk_fonts()
    document = pdf.BriefingPdf("测试", "页脚")
    document.add_font(pdf.FONT, "", cjk.regular.path, collection_font_number=cjk.regular.index)
    document.add_font(pdf.FONT, "B", cjk.bold.path, collection_font_number=cjk.bold.index)
    document.alias_nb_pages()
    document.add_page()
    document.set_y(start_y)
    rows = ranking_rows(31)
    pdf.ranking_table(document, type("Stub", (), {"ranking": rows})())
    path = tmp_path / "ranking.pdf"
    path.write_bytes(bytes(document.output()))
    pages = run("pdftotext", "-layout", str(path), "-").split("\f")
    seen = []
    for page in pages:
        names = re.findall(r"测试网格(\d\d)", page)
        if names:
            assert "按期办结率" in page and "下级网格排名" in page  # header and heading repeated
            assert len(names) >= 4, (start_y, [len(re.findall("测试网格", p)) for p in pages])
        seen += names
    assert seen == [f"{i:02d}" for i in range(31)]
    # Rates below 90%, 0% included, are printed in red; 95% is not.
    content = b"".join(p.get_contents().get_data() for p in pypdf.PdfReader(path).pages)
    assert content.count(b"0.8118 0.1333 0.1804 rg") == sum(r["closure_rate"] < 0.9 for r in rows) == 16


def test_community_briefing_ranking_is_not_split_into_orphans(client, tmp_path):
    query = "scope=community&id=370212001003&from=2026-10-01&to=2026-11-21&layers=grids,heat,workers"
    r = fetch_export(client, f"/export/briefing.pdf?{query}")
    assert r.status_code == 200
    path = tmp_path / "community.pdf"
    path.write_bytes(r.data)
    grids = client.get("/api/geo/grid.geojson?parent=370212001003").get_json()["features"]
    names = [f["properties"]["name"] for f in grids]
    assert len(names) >= 10
    for page in run("pdftotext", "-layout", str(path), "-").split("\f"):
        on_page = [n for n in names if re.search(rf"^\s*\d+\s+{n}\s", page, re.M)]
        if on_page:
            assert "按期办结率" in page and len(on_page) >= 4


def test_map_image_draws_the_legend_of_each_layer():
    import shapely

    from layers import map_image

    cjk = fonts.find_cjk_fonts()
    square = shapely.box(120.4, 36.1, 120.5, 36.2)
    style = {"metric": "closure_rate", "breaks": [0.8, 0.9], "colors": ["#d73027", "#fee08b", "#1a9850"],
             "noData": "#eeeeee", "values": {"g1": 0.85}, "scope": "g"}
    buffer = io.BytesIO()
    Image.new("RGBA", (4, 4), (0, 0, 0, 0)).save(buffer, "PNG")
    scene = map_image.MapScene(bounds=square.bounds, land=square, grids=[("g1", square)], grid_style=style,
                               legend_title="网格着色：办结率（%）", heat_png=buffer.getvalue(), heat_peak=42.0,
                               workers=[(120.45, 36.15, "full_time", "patrolling")])
    kinds = [e[0] for e in map_image.legend_entries(scene)]
    titles = [e[1] for e in map_image.legend_entries(scene) if e[0] == "title"]
    assert titles == ["网格着色：办结率（%）", "诉求热力", "网格员（圆心：类型；描边：状态）"]
    assert kinds.count("swatch") == 4 and "ramp" in kinds and kinds.count("dots") == 2  # 3 classes + 无数据
    assert ("ramp", "低", "高（约 42 件/km²）") in map_image.legend_entries(scene)

    def legend_pixels(s) -> set:
        corner = map_image.render(s, 900, 600, cjk.regular.path, cjk.regular.index).crop((450, 0, 900, 300))
        return {color for _, color in corner.getcolors(1 << 20)}

    drawn = legend_pixels(scene)
    assert any(r > 180 and g < 40 and b < 70 for r, g, b in drawn)  # the heat ramp's hot end
    assert (26, 152, 80) in drawn  # the best class's swatch
    bare = map_image.MapScene(bounds=square.bounds, land=square)
    assert map_image.legend_entries(bare) == [] and (26, 152, 80) not in legend_pixels(bare)
