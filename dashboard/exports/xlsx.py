"""The view's tables as an XLSX workbook: overview, trend, categories, ranking, every appeal and 未诉先办.

openpyxl's write-only mode and keyset-paged batches of appeals keep a year of
the district bounded in memory. Personal data arrives masked from the store;
coordinates and free text stay out of a file that gets forwarded around.

Titles are typed by citizens, and the file is opened in spreadsheet programs:
every text goes in as text (never as a formula, see :func:`text_cell`), without
the characters XML cannot hold, whatever was stored before ingest refused them.
"""

from __future__ import annotations

from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from dashboard.exports.briefing import Progress, no_progress
from dashboard.view import data as view_data
from dashboard.view import proactive as proactive_view
from dashboard.view.state import ViewState
from dashboard.view.text import comparison_note, kpi_deltas, minute_text, share, window_text
from geo.access import Viewer
from geo.analysis.proactive import STATUSES as ITEM_STATUSES
from geo.domain import (
    CATEGORY_LABELS,
    HANDLING_LEVELS,
    KINDS,
    LEVEL_LABELS,
    LOCAL_TZ,
    PRIORITIES,
    SATISFACTION,
    SOURCES,
    STATUSES,
)
from geo.ingest import CONTROL_IN_TEXT
from geo.kpis import KPI_LABELS
from geo.store.store import Store

MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: Number formats: rates are fractions shown as percentages, so they sort and sum as numbers.
PERCENT, COUNT, DECIMAL, DAY, MINUTE = "0.0%", "#,##0", "0.0", "yyyy-mm-dd", "yyyy-mm-dd hh:mm"
#: Each KPI unit's number format.
UNIT_FORMATS = {"%": PERCENT, "件": COUNT, "小时": DECIMAL}

#: Appeal columns in the workbook: (field, header, width, number format).
APPEAL_COLUMNS = (
    ("id", "编号", 9, "0"), ("accepted_at", "受理时间", 17, MINUTE), ("street", "街道", 12, None),
    ("community", "社区", 14, None), ("community_code", "社区编码", 14, None), ("grid", "网格", 16, None),
    ("grid_code", "网格编码", 17, None), ("kind", "类型", 10, None), ("category", "类别", 12, None),
    ("priority", "紧急程度", 9, None), ("title", "标题", 40, None), ("source", "来源", 12, None),
    ("handling_level", "处置层级", 10, None), ("status", "状态", 8, None), ("deadline", "办结时限", 17, MINUTE),
    ("closed_at", "办结时间", 17, MINUTE), ("resolved", "是否解决", 9, None), ("satisfaction", "满意度", 10, None),
    ("reporter_name", "诉求人", 9, None), ("reporter_phone", "联系电话", 14, None),
)
#: 未诉先办 item columns: (field, header, width, number format).
ITEM_COLUMNS = (
    ("id", "编号", 8, "0"), ("list", "清单", 10, None), ("unit", "单位", 14, None), ("scope_code", "单位编码", 15, None),
    ("title", "事项", 60, None), ("category", "类别", 12, None), ("kind", "来源", 10, None), ("status", "状态", 8, None),
    ("department", "承办部门", 20, None), ("score", "研判分值", 10, DECIMAL), ("basis", "依据", 60, None),
    ("created_at", "生成时间", 17, MINUTE), ("updated_at", "更新时间", 17, MINUTE),
)
#: Items in the sheet at most (every status: the list is short; this only bounds a pathological one).
ITEM_LIMIT = 50_000
#: Times of an appeal, written as date-time cells.
TIME_FIELDS = ("accepted_at", "deadline", "closed_at")
#: Breakdowns on the 构成 sheet: (panel key, dimension name, labels).
COMPOSITION = (("kind", "类型", KINDS), ("source", "来源", SOURCES), ("status", "状态", STATUSES),
               ("handling_level", "处置层级", HANDLING_LEVELS))


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


def typed(ws, value, number_format: str | None):
    """A number, date or time with its display format; texts go through :func:`text_cell`."""
    if number_format is None or value is None or isinstance(value, str):
        return text_cell(ws, value)
    cell = WriteOnlyCell(ws, value=value)
    cell.number_format = number_format
    return cell


def local_time(iso: str | None) -> datetime | None:
    """A stored ISO time as a Beijing wall-clock time: spreadsheet cells hold no time zone."""
    return datetime.fromisoformat(iso).astimezone(LOCAL_TZ).replace(tzinfo=None) if iso else None


class Sheet:
    """A streamed sheet with a bold, frozen header, set column widths and an autofilter over its table.

    Write-only sheets take widths and panes only before the first row; the
    autofilter's extent is set when the table is done.
    """

    def __init__(self, wb: Workbook, title: str, columns: list[tuple[str, int, str | None]]):
        self.ws = ws = wb.create_sheet(title)
        self.formats = [fmt for _, _, fmt in columns]
        for i, (_, width, _) in enumerate(columns, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.freeze_panes = "A2"
        header = []
        for text, _, _ in columns:
            cell = WriteOnlyCell(ws, value=text)
            cell.font = BOLD
            header.append(cell)
        ws.append(header)
        self.rows = 0

    def append(self, values: list, formats: list[str | None] | None = None) -> None:
        """One table row, each value typed by its column's format (or the row's own ``formats``)."""
        formats = formats or self.formats
        self.ws.append([typed(self.ws, v, f) for v, f in zip(values, formats, strict=True)])
        self.rows += 1

    def close_table(self) -> None:
        self.ws.auto_filter.ref = f"A1:{get_column_letter(len(self.formats))}{self.rows + 1}"

    def note(self, values: list) -> None:
        """A line below the table (left out of the autofilter)."""
        self.ws.append([text_cell(self.ws, v) for v in values])


BOLD = Font(bold=True)


def appeal_row(item: dict, names: dict[str, dict[str, str]]) -> list:
    """An appeal as the workbook's columns: labels and unit names, times as date-times, codes in their own columns."""
    labels = {
        "street": names["street"].get(item["street_code"], item["street_code"]),
        "community": names["community"].get(item["community_code"], ""),
        "grid": names["grid"].get(item["grid_code"], ""),
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
    for field, *_ in APPEAL_COLUMNS:
        value = labels.get(field, item.get(field))
        row.append(local_time(value) if field in TIME_FIELDS else value)
    return row


def item_row(item: dict, names: dict[str, str]) -> list:
    """A 未诉先办 item as the sheet's columns: labels beside codes, the score a number, times date-time cells."""
    labels = {"list": proactive_view.LIST_LABELS.get(item["level"], item["level"]),
              "unit": names.get(item["scope_code"], item["scope_code"]),
              "category": CATEGORY_LABELS.get(item["category"], item["category"]),
              "kind": item["kind_label"], "status": item["status_label"],
              "score": None if item["score"] is None else float(item["score"])}
    row = []
    for field, *_ in ITEM_COLUMNS:
        value = labels[field] if field in labels else item.get(field)
        row.append(local_time(value) if field in ("created_at", "updated_at") else value)
    return row


def _kpi_value(kpis: dict | None, key: str):
    return "无数据" if kpis is None else kpis[key]["value"]


def write_workbook(store: Store, state: ViewState, as_of: datetime, path, cache=None,
                   progress: Progress = no_progress, *, viewer: Viewer) -> dict[str, int]:
    """Writes the view's tables to ``path``; returns each sheet's number of data rows."""
    progress(0.02, "统计指标")
    head = view_data.summary(store, state, as_of, viewer, cache)
    data = view_data.panels(store, state, as_of, viewer, cache)
    ranking = view_data.ranking(store, state, as_of, viewer, cache)
    total = sum(data["category"].values())
    wb = Workbook(write_only=True)
    counts: dict[str, int] = {}

    ws = Sheet(wb, "概览", [("指标", 18, None), ("本期", 12, None), ("上期（同口径）", 15, None), ("环比", 18, None),
                          ("去年同期（同口径）", 19, None), ("同比", 18, None), ("分子", 10, COUNT), ("分母", 10, COUNT)])
    previous, year_ago = (head["comparisons"][basis]["kpis"] for basis in ("previous", "year_ago"))
    for key, (label, unit) in KPI_LABELS.items():
        now = head["kpis"][key]
        (mom, _), (yoy, _) = kpi_deltas(key, head)
        fmt = UNIT_FORMATS[unit]
        ws.append([f"{label}（{unit}）", now["value"], _kpi_value(previous, key), mom.removeprefix("环比 "),
                   _kpi_value(year_ago, key), yoy.removeprefix("同比 "),
                   now["numerator"], now["denominator"]], [None, fmt, fmt, None, fmt, None, COUNT, COUNT])
    ws.close_table()
    ws.note([])
    ws.note(["范围", f"{LEVEL_LABELS[state.scope.level]} {head['name']}（{state.scope.code}）"])
    ws.note(["统计时段", window_text(state.window)])
    ws.note(["数据截至", minute_text(head["as_of"])])
    ws.note(["比较口径", comparison_note(head)])
    counts["概览"] = len(KPI_LABELS)

    ws = Sheet(wb, "趋势", [("日期", 12, DAY), ("受理", 10, COUNT), ("办结", 10, COUNT)])
    for day in data["trend"]:
        ws.append([date.fromisoformat(day["day"]), day["accepted"], day["closed"]])
    ws.close_table()
    counts["趋势"] = len(data["trend"])

    ws = Sheet(wb, "类别", [("类别", 16, None), ("件数", 10, COUNT), ("占比", 10, PERCENT)])
    categories = sorted(data["category"].items(), key=lambda kv: (-kv[1], kv[0]))
    for code, n in categories:
        ws.append([CATEGORY_LABELS[code], n, share(n, total)])
    ws.close_table()
    counts["类别"] = len(categories)

    ws = Sheet(wb, "构成", [("维度", 10, None), ("项目", 16, None), ("件数", 10, COUNT), ("占比", 10, PERCENT)])
    for key, dimension, vocabulary in COMPOSITION:
        for code, n in sorted(data[key].items(), key=lambda kv: (-kv[1], kv[0])):
            ws.append([dimension, vocabulary.get(code, code), n, share(n, total)])
    ws.close_table()
    counts["构成"] = ws.rows

    ws = Sheet(wb, "下级排名", [("单位", 16, None), ("编码", 17, None), ("受理", 10, COUNT), ("办结率", 10, PERCENT),
                             ("按期办结率", 12, PERCENT), ("满意率", 10, PERCENT), ("超期未办结", 12, COUNT)])
    for r in ranking:
        ws.append([r["name"], r["code"], r["accepted"], r["closure_rate"], r["on_time_rate"],
                   r["satisfaction_rate"], r["overdue_open"]])
    ws.close_table()
    counts["下级排名"] = len(ranking)

    names = {level: store.unit_names(level, viewer) for level in ("street", "community", "grid")}
    ws = Sheet(wb, "诉求明细", [(header, width, fmt) for _, header, width, fmt in APPEAL_COLUMNS])
    n, expected = 0, max(head["kpis"]["accepted"]["value"], 1)
    for batch in store.iter_appeals(state.scope, state.window, state.filters, viewer=viewer):
        for item in batch:
            ws.append(appeal_row(item, names))
        n += len(batch)
        progress(0.05 + 0.85 * min(n / expected, 1.0), f"写入诉求明细 {n:,} / {expected:,} 条")
    ws.close_table()
    counts["诉求明细"] = n

    progress(0.9, "写入未诉先办")
    counts["未诉先办"] = proactive_sheet(wb, store, state, as_of, viewer)
    progress(0.94, "保存文件")
    wb.save(path)
    return counts


def proactive_sheet(wb: Workbook, store: Store, state: ViewState, as_of: datetime, viewer: Viewer) -> int:
    """未诉先办: every item of the scope's lists (all statuses, strongest open ones first), then the counts."""
    scope = proactive_view.list_scope(state.scope)
    items = store.proactive_items(scope, viewer, limit=ITEM_LIMIT)
    summary = proactive_view.summary(store, state.scope, viewer, as_of, limit=0)
    names = {code: name for level in ("district", "street", "community")
             for code, name in store.unit_names(level, viewer).items()}
    ws = Sheet(wb, "未诉先办", [(header, width, fmt) for _, header, width, fmt in ITEM_COLUMNS])
    for item in items:
        ws.append(item_row(item, names))
    ws.close_table()
    ws.note([])
    if summary.run is None:
        ws.note(["分析", "尚未运行分析"])
        return len(items)
    ws.note(["分析截至", minute_text(summary.run["as_of"].astimezone(LOCAL_TZ).isoformat())])
    ws.note(["在办事项", *(f"{proactive_view.LIST_LABELS[level]} {n:,} 项" for level, n in summary.open_by_level.items())])
    ws.note(["各状态", *(f"{label} {summary.by_status[code]:,} 项" for code, label in ITEM_STATUSES.items())])
    return len(items)
