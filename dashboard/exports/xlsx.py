"""The view's tables as an XLSX workbook: overview, trend, categories, ranking and every appeal.

openpyxl's write-only mode and keyset-paged batches of appeals keep a year of
the district bounded in memory. Personal data arrives masked from the store;
coordinates and free text stay out of a file that gets forwarded around.

Titles are typed by citizens, and the file is opened in spreadsheet programs:
every text goes in as text (never as a formula, see :func:`text_cell`), without
the characters XML cannot hold, whatever was stored before ingest refused them.
"""

from __future__ import annotations

from datetime import datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from dashboard.exports.briefing import Progress, no_progress
from dashboard.view import data as view_data
from dashboard.view.state import ViewState
from dashboard.view.text import compared_value, comparison_note, format_kpi, kpi_deltas, minute_text
from geo.access import Viewer
from geo.domain import (
    CATEGORY_LABELS,
    HANDLING_LEVELS,
    KINDS,
    LEVEL_LABELS,
    PRIORITIES,
    SATISFACTION,
    SOURCES,
    STATUSES,
)
from geo.ingest import CONTROL_IN_TEXT
from geo.kpis import KPI_LABELS
from geo.store.store import Store

MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: Appeal columns in the workbook: (field, header).
APPEAL_COLUMNS = (
    ("id", "编号"), ("accepted_at", "受理时间"), ("street", "街道"), ("community_code", "社区编码"),
    ("grid_code", "网格编码"), ("kind", "类型"), ("category", "类别"), ("priority", "紧急程度"), ("title", "标题"),
    ("source", "来源"), ("handling_level", "处置层级"), ("status", "状态"), ("deadline", "办结时限"), ("closed_at", "办结时间"),
    ("resolved", "是否解决"), ("satisfaction", "满意度"), ("reporter_name", "诉求人"), ("reporter_phone", "联系电话"),
)


#: A text starting with one of these is taken for a formula by spreadsheet programs (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def text_cell(ws, value):
    """A value as the workbook holds it: text stays text, even ``=HYPERLINK(…)`` or ``=cmd|…``.

    openpyxl writes a string starting with ``=`` as a formula; such texts are
    typed as strings, and marked with Excel's quote prefix so that editing the
    cell keeps them text. Control characters, which XML cannot hold (openpyxl
    raises on them), are dropped.
    """
    if not isinstance(value, str):
        return value
    text = CONTROL_IN_TEXT.sub("", value)
    if not text.startswith(FORMULA_START):
        return text
    cell = WriteOnlyCell(ws, value=text)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def append(ws, values: list) -> None:
    """One row, every text through :func:`text_cell`."""
    ws.append([text_cell(ws, v) for v in values])


def appeal_row(item: dict, street_names: dict[str, str]) -> list:
    labels = {
        "street": street_names.get(item["street_code"], item["street_code"]),
        "kind": KINDS[item["kind"]],
        "category": CATEGORY_LABELS[item["category"]],
        "priority": PRIORITIES[item["priority"]],
        "source": SOURCES[item["source"]],
        "handling_level": HANDLING_LEVELS[item["handling_level"]],
        "status": STATUSES[item["status"]],
        "resolved": {True: "是", False: "否"}.get(item["resolved"], ""),
        "satisfaction": SATISFACTION.get(item["satisfaction"] or "", ""),
    }
    row = []
    for field, _ in APPEAL_COLUMNS:
        value = labels.get(field, item.get(field))
        if field in ("accepted_at", "deadline", "closed_at") and value:
            value = minute_text(value)
        row.append(value)
    return row


def write_workbook(store: Store, state: ViewState, as_of: datetime, path, cache=None,
                   progress: Progress = no_progress, *, viewer: Viewer) -> dict[str, int]:
    """Writes the view's tables to ``path``; returns each sheet's number of data rows."""
    progress(0.02, "统计指标")
    head = view_data.summary(store, state, as_of, viewer, cache)
    data = view_data.panels(store, state, as_of, viewer, cache)
    ranking = view_data.ranking(store, state, as_of, viewer, cache)
    bold = Font(bold=True)
    wb = Workbook(write_only=True)
    counts: dict[str, int] = {}

    def sheet(title: str, header: list[str]):
        ws = wb.create_sheet(title)
        cells = []
        for text in header:
            cell = WriteOnlyCell(ws, value=text)
            cell.font = bold
            cells.append(cell)
        ws.append(cells)
        return ws

    ws = sheet("概览", ["指标", "本期", "上期（同口径）", "环比", "去年同期（同口径）", "同比", "分子", "分母"])
    append(ws, ["范围", f"{LEVEL_LABELS[state.scope.level]} {head['name']}（{state.scope.code}）"])
    append(ws, ["时间", f"{state.window.start} 至 {state.window.end}（不含）"])
    append(ws, ["数据截至", minute_text(head["as_of"])])
    append(ws, ["比较口径", comparison_note(head)])
    for key, (label, unit) in KPI_LABELS.items():
        now = head["kpis"][key]
        (mom, _), (yoy, _) = kpi_deltas(key, head)
        append(ws, [f"{label}（{unit}）", format_kpi(key, now), compared_value(key, head, "previous"), mom,
                    compared_value(key, head, "year_ago"), yoy, now["numerator"], now["denominator"]])
    counts["概览"] = len(KPI_LABELS)

    ws = sheet("趋势", ["日期", "受理", "办结"])
    for day in data["trend"]:
        append(ws, [day["day"], day["accepted"], day["closed"]])
    counts["趋势"] = len(data["trend"])

    ws = sheet("类别", ["类别", "件数"])
    categories = sorted(data["category"].items(), key=lambda kv: -kv[1])
    for code, n in categories:
        append(ws, [CATEGORY_LABELS[code], n])
    counts["类别"] = len(categories)

    ws = sheet("下级排名", ["单位", "编码", "受理", "办结率", "按期办结率", "满意率", "超期未办结"])
    for r in ranking:
        append(ws, [r["name"], r["code"], r["accepted"], r["closure_rate"], r["on_time_rate"],
                    r["satisfaction_rate"], r["overdue_open"]])
    counts["下级排名"] = len(ranking)

    streets = store.unit_names("street", viewer)
    ws = sheet("诉求明细", [header for _, header in APPEAL_COLUMNS])
    n, expected = 0, max(head["kpis"]["accepted"]["value"], 1)
    for batch in store.iter_appeals(state.scope, state.window, state.filters, viewer=viewer):
        for item in batch:
            append(ws, appeal_row(item, streets))
        n += len(batch)
        progress(0.05 + 0.85 * min(n / expected, 1.0), f"写入诉求明细 {n:,} / {expected:,} 条")
    counts["诉求明细"] = n
    progress(0.92, "保存文件")
    wb.save(path)
    return counts
