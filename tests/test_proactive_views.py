"""未诉先办 on the wall and in the exports: the same store reads, scoped, typed, paginated and in Chinese."""

from __future__ import annotations

import io
import re
import subprocess
from datetime import datetime

import openpyxl
import pypdf
import pytest

from dashboard.exports import pdf
from dashboard.ui import screen as screen_page
from dashboard.view import proactive, screen
from geo.access import SYSTEM, Viewer
from geo.analysis.proactive import OPEN_STATUSES
from geo.analysis.run import analyze
from geo.domain import LOCAL_TZ
from geo.scope import DISTRICT, Scope
from tests.conftest import SEED_END, add_hotspots, client_of, component_texts, fake_analysis, fetch_export

ZHONGHAN = Scope("street", "370212001")
SHAZIKOU = Scope("street", "370212002")
QUERY = "scope=street&id=370212001&from=2026-10-01&to=2026-11-21"


def quiet(_message: str) -> None:
    pass


@pytest.fixture
def analysed(writable_store):
    """The seeded store after a real analysis run (items from its repeats and forecasts) plus stored hotspots."""
    result = analyze(writable_store, SEED_END, progress=quiet)
    add_hotspots(writable_store, result["run_id"])
    return writable_store



# -- the wall ---------------------------------------------------------------------------------


def test_wall_counts_open_items_per_list_as_the_store_does(analysed):
    wall = Viewer("screen", DISTRICT, "wall")
    for scope, levels in ((DISTRICT, ("district", "street", "community")), (ZHONGHAN, ("street", "community"))):
        counts = analysed.proactive_counts(scope, SYSTEM)
        summary = screen.proactive(analysed, scope, wall)
        assert tuple(summary.open_by_level) == levels
        assert summary.open_by_level == {level: sum(counts.get(level, {}).get(s, 0) for s in OPEN_STATUSES)
                                         for level in levels}
        assert summary.run is not None
    district = screen.proactive(analysed, DISTRICT, wall)
    assert district.open_total == len(analysed.proactive_items(DISTRICT, SYSTEM, status=",".join(OPEN_STATUSES),
                                                                limit=10_000)) > 0
    # Strongest first, active only, the all-categories one left out where a category's hotspot covers it.
    assert [h["category_label"] for h in district.hotspots] == ["噪音扰民", "环境卫生", "物业管理", "占道经营"]
    assert district.hotspots[0] == {
        "category": "noise", "category_label": "噪音扰民", "pattern": "new", "pattern_label": "新增热点",
        "place": district.hotspots[0]["place"], "observed": 31, "expected": 6.2, "score": 9.5,
        "start": "2026-11-01"}
    assert district.hotspots[0]["place"].endswith("社区")  # all its grids lie in one community
    # Only what touches the scope; observed and expected of the grids inside it.
    assert [h["category"] for h in screen.proactive(analysed, SHAZIKOU, wall).hotspots] == ["sanitation"]


def test_wall_panel_says_why_it_is_empty(writable_store):
    never = screen.proactive(writable_store, DISTRICT, SYSTEM)
    assert never.run is None
    assert screen_page.proactive_note(never) == "尚未运行分析"
    assert component_texts(screen_page.proactive_hotspots(never)) == ["尚未运行分析"]
    assert component_texts(screen_page.proactive_counts(never)) == ["区级清单", "—", "街道清单", "—", "社区清单", "—"]
    run_id = writable_store.begin_run(SEED_END)
    writable_store.finish_run(run_id, "done", {})
    nothing = screen.proactive(writable_store, DISTRICT, SYSTEM)
    assert component_texts(screen_page.proactive_hotspots(nothing)) == ["暂无未诉先办事项"]
    assert component_texts(screen_page.proactive_counts(nothing)) == ["区级清单", "0", "街道清单", "0", "社区清单", "0"]
    assert screen_page.proactive_note(nothing) == "在办事项 · 分析截至 11-20 12:00"


def test_wall_panel_rows_are_bounded_and_carry_no_item_text(writable_store):
    fake_analysis(writable_store)
    summary = screen.proactive(writable_store, DISTRICT, SYSTEM)
    rows = screen_page.proactive_hotspots(summary)
    assert len(rows) == 1 + min(len(summary.hotspots), screen.HOTSPOT_ROWS)
    shown = " ".join(component_texts(rows))
    assert "新增热点" in shown and "31" in shown and "6.2" in shown
    assert not any(item["title"] in shown for item in writable_store.proactive_items(DISTRICT, SYSTEM))
    assert component_texts(screen_page.proactive_counts(summary)) == ["区级清单", "1", "街道清单", "2", "社区清单", "1"]


# -- exports ----------------------------------------------------------------------------------


def test_xlsx_sheet_is_the_scopes_items_typed(analysed, make_app):
    client = client_of(make_app(analysed.url))
    r = fetch_export(client, f"/export/appeals.xlsx?{QUERY}")
    assert r.status_code == 200, r.get_json()
    wb = openpyxl.load_workbook(io.BytesIO(r.data))
    assert wb.sheetnames[-1] == "未诉先办"
    ws = wb["未诉先办"]
    items = analysed.proactive_items(ZHONGHAN, SYSTEM, limit=10_000)
    assert items and all(item["scope_code"].startswith(ZHONGHAN.code) for item in items)
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, row, strict=False)) for row in ws.iter_rows(min_row=2, max_row=len(items) + 1)]
    assert [row["编号"].value for row in rows] == [item["id"] for item in items]
    assert ws.cell(len(items) + 2, 1).value is None  # the table ends there; notes follow below
    for row, item in zip(rows, items, strict=True):
        assert row["事项"].value == item["title"]
        assert row["单位编码"].value == item["scope_code"] and row["单位编码"].data_type == "s"
        assert row["状态"].value == item["status_label"]
        assert row["清单"].value == proactive.LIST_LABELS[item["level"]]
        assert isinstance(row["编号"].value, int)
        assert row["研判分值"].data_type == "n" and row["研判分值"].value == pytest.approx(item["score"])
        created = datetime.fromisoformat(item["created_at"]).astimezone(LOCAL_TZ).replace(tzinfo=None, second=0)
        assert row["生成时间"].is_date and row["生成时间"].number_format == "yyyy-mm-dd hh:mm"
        assert row["生成时间"].value.replace(second=0, microsecond=0) == created.replace(microsecond=0)
    assert ws.freeze_panes == "A2" and all(c.font.bold for c in ws[1])
    assert ws.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(header))}{len(items) + 1}"
    assert ws.column_dimensions["E"].width >= 40
    notes = {r[0]: r[1:] for r in ws.iter_rows(min_row=len(items) + 2, values_only=True) if r[0]}
    assert "分析截至" in notes and any("社区清单" in (v or "") for v in notes["在办事项"])


def test_pdf_has_the_section_with_counts_hotspots_and_items(analysed, make_app, tmp_path):
    client = client_of(make_app(analysed.url))
    r = fetch_export(client, f"/export/briefing.pdf?{QUERY}")
    assert r.status_code == 200, r.get_json()
    path = tmp_path / "briefing.pdf"
    path.write_bytes(r.data)
    assert len(pypdf.PdfReader(path).pages) >= 4
    # poppler reads the embedded CJK subset reliably (pypdf maps some glyphs wrongly); -raw keeps a wrapped
    # cell's lines together.
    pages = [re.sub(r"\s+", "", page) for page in subprocess.run(
        ["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True, timeout=120).stdout.split("\f")]
    flat = "".join(pages)
    assert "未诉先办（分析截至2026-11-2012:00）" in flat
    assert "在办事项清单（共" in flat and "活跃热点" in flat and "新增热点" in flat
    items = proactive.open_items(analysed, ZHONGHAN, SYSTEM)
    assert items and re.sub(r"\s+", "", items[0]["title"]) in flat
    for label in ("待研判", "已派发", "处置中", "已化解", "不采纳"):
        assert label in flat
    # Every page of the item list after the first repeats the header under a "（续）" heading.
    for page in pages:
        if "在办事项清单（续）" in page:
            assert "承办部门" in page and "生成日期" in page


@pytest.mark.parametrize("first_room", [0, 12, 40, 200])
def test_rows_of_different_heights_never_leave_fewer_than_four_on_a_page(first_room):
    heights = [5.8, 10.4, 5.8, 15.0, 5.8] * 9
    chunks = pdf.split_by_height(heights, first_room, 240)
    assert sum(chunks) == len(heights)
    assert all(c >= pdf.MIN_ROWS_PER_PAGE for c in chunks if c)
    assert 0 not in chunks[1:]
    start = 0
    for i, size in enumerate(chunks):
        room = first_room if i == 0 else 240
        assert sum(heights[start:start + size]) <= room
        start += size
    # A table shorter than four rows stays whole: on this page, or on the next.
    assert pdf.split_by_height([5.8, 5.8], 8, 240) == [0, 2]
    assert pdf.split_by_height([5.8, 5.8], 20, 240) == [2]
