"""The briefing (简报) as an A4 PDF, with the Chinese font embedded.

fpdf2 subsets and embeds the CJK font (CFF in a .ttc works), so the file
reads the same on a leader's laptop without Chinese fonts. Charts are drawn
as vectors so they stay sharp when printed; the map is the server-rendered
image of :mod:`layers.map_image`.
"""

from __future__ import annotations

import io
from datetime import datetime

from fpdf import FPDF
from fpdf.fonts import FontFace as Style

from dashboard.exports.briefing import Briefing, Progress, filters_text, layers_text, no_progress
from dashboard.exports.fonts import CjkFonts
from dashboard.view.proactive import LIST_LABELS
from dashboard.view.text import (
    LOW_CLOSURE_RATE,
    compared_value,
    comparison_note,
    format_kpi,
    kpi_deltas,
    low_closure_rate,
    percent,
    share,
    window_text,
)
from geo.analysis.proactive import STATUSES as ITEM_STATUSES
from geo.domain import CATEGORY_LABELS, LEVEL_LABELS, LOCAL_TZ, STATUSES
from geo.kpis import KPI_LABELS
from layers import map_image

FONT = "cjk"
INK = (31, 45, 61)
MUTED = (95, 110, 128)
ACCENT = (11, 61, 145)
ACCEPTED = (31, 111, 235)
CLOSED = (26, 127, 55)
BAD = (207, 34, 46)
HEADINGS = Style(emphasis="BOLD", fill_color=(230, 236, 245), color=INK)
LOW_RATE = Style(emphasis="BOLD", color=BAD)
#: Ranking rows: one line each (line height plus top and bottom padding), at least this many per page.
RANKING_LINE, RANKING_PAD = 5.4, 0.3
RANKING_ROW = RANKING_LINE + 2 * RANKING_PAD
MIN_ROWS_PER_PAGE = 4
#: Height of one category bar.
BAR_ROW = 5.8
#: Height of a section heading (see :func:`_section`).
SECTION_HEIGHT = 10
#: Map image pixels for the full text width (180 mm ≈ 250 dpi).
MAP_PIXELS = (1800, 1250)
#: The map may shrink to this share of its height to stay on the page it starts on.
MIN_MAP_SCALE = 0.75


class BriefingPdf(FPDF):
    def __init__(self, title: str, footer_text: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_text = footer_text
        self.set_title(title)
        self.set_author("智治大脑")
        self.set_creator("智治大脑 · 崂先办")
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(True, margin=16)

    def footer(self):
        self.set_y(-11)
        self.set_font(FONT, size=7.5)
        self.set_text_color(*MUTED)
        self.cell(0, 5, self.footer_text, align="L")
        self.cell(0, 5, f"第 {self.page_no()} / {{nb}} 页", align="R")


def render(briefing: Briefing, fonts: CjkFonts, progress: Progress = no_progress) -> bytes:
    """The PDF's bytes."""
    head = briefing.head
    title = f"{head['name']}诉求办理简报"
    pdf = BriefingPdf(title, f"智治大脑 · {briefing.scope_text} · 数据截至 {briefing.as_of_text} · "
                             "地图边界 © OpenStreetMap contributors（ODbL）")
    pdf.add_font(FONT, "", fonts.regular.path, collection_font_number=fonts.regular.index)
    pdf.add_font(FONT, "B", fonts.bold.path, collection_font_number=fonts.bold.index)
    pdf.alias_nb_pages()
    pdf.add_page()

    _title(pdf, briefing, title)
    _summary(pdf, briefing)
    _kpi_table(pdf, briefing)
    _section(pdf, "受理与办结趋势（按日）", keep=SECTION_HEIGHT + 60)  # fills the first page; the map needs a whole one
    _trend_chart(pdf, briefing.panels["trend"], width=180, height=58)
    progress(0.55, "绘制地图")
    _map(pdf, briefing, fonts)
    progress(0.8, "排版图表与清单")
    _section(pdf, f"诉求类别 TOP {len(briefing.top_categories)}（占比为占全部诉求）" if briefing.top_categories
             else "诉求类别", keep=SECTION_HEIGHT + 2 + BAR_ROW * len(briefing.top_categories))
    _category_bars(pdf, briefing.top_categories, briefing.total)
    ranking_table(pdf, briefing)
    _overdue(pdf, briefing)
    proactive_section(pdf, briefing)
    return bytes(pdf.output())


def _title(pdf: FPDF, briefing: Briefing, title: str) -> None:
    pdf.set_text_color(*ACCENT)
    pdf.set_font(FONT, "B", 18)
    pdf.cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(0.6)
    pdf.line(15, pdf.get_y(), 195, pdf.get_y())
    pdf.ln(2)
    pdf.set_text_color(*INK)
    pdf.set_font(FONT, size=9.5)
    state = briefing.state
    for label, text in (
        ("范围", f"{LEVEL_LABELS[state.scope.level]}：{briefing.head['name']}（{state.scope.code}）"),
        ("统计时段", window_text(state.window)),
        ("数据截至", briefing.as_of_text),
        ("筛选条件", filters_text(state)),
        ("地图图层", layers_text(state)),
    ):
        pdf.set_font(FONT, "B", 9.5)
        pdf.cell(20, 5.5, label)
        pdf.set_font(FONT, size=9.5)
        pdf.multi_cell(0, 5.5, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _summary(pdf: FPDF, briefing: Briefing) -> None:
    _section(pdf, "摘要")
    pdf.set_font(FONT, size=10)
    for sentence in briefing.summary_sentences:
        pdf.multi_cell(0, 5.8, f"· {sentence}", align="L", new_x="LMARGIN", new_y="NEXT")


def _section(pdf: FPDF, text: str, keep: float = 30) -> None:
    """A heading kept with ``keep`` mm of what follows; also resets colours that charts leave behind."""
    if pdf.will_page_break(keep):
        pdf.add_page()
    pdf.set_fill_color(255, 255, 255)
    pdf.set_draw_color(170, 180, 192)
    pdf.set_line_width(0.2)
    pdf.ln(2)
    pdf.set_font(FONT, "B", 12)
    pdf.set_text_color(*ACCENT)
    pdf.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)


def _kpi_table(pdf: FPDF, briefing: Briefing) -> None:
    _section(pdf, "核心指标（环比、同比均按同口径计）")
    head = briefing.head
    pdf.set_font(FONT, size=9.5)
    with pdf.table(col_widths=(34, 30, 28, 34, 28, 34), text_align=("LEFT", "RIGHT", "RIGHT", "LEFT", "RIGHT", "LEFT"),
                   headings_style=HEADINGS, line_height=6.2, padding=(0.5, 2)) as table:
        table.row(["指标", "本期", "上期", "环比", "去年同期", "同比"])
        for key, (label, unit) in KPI_LABELS.items():
            (mom, _), (yoy, _) = kpi_deltas(key, head)
            table.row([label, _with_unit(format_kpi(key, head["kpis"][key]), unit),
                       _with_unit(compared_value(key, head, "previous"), unit), mom.removeprefix("环比 "),
                       _with_unit(compared_value(key, head, "year_ago"), unit), yoy.removeprefix("同比 ")])
    pdf.set_font(FONT, size=8)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(0, 4.6, comparison_note(head), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)


def _with_unit(value: str, unit: str) -> str:
    return value if value in ("—", "无数据") else f"{value} {unit}"


def _map(pdf: FPDF, briefing: Briefing, fonts: CjkFonts) -> None:
    image = map_image.render(briefing.scene, *MAP_PIXELS, fonts.regular.path, fonts.regular.index)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    width = 180
    height = width * MAP_PIXELS[1] / MAP_PIXELS[0]
    room = pdf.page_break_trigger - pdf.get_y() - SECTION_HEIGHT - 2
    if room < height * MIN_MAP_SCALE:
        pdf.add_page()  # the heading goes with its map
    elif room < height:  # a little smaller keeps it on the first page, under the KPIs
        width, height = width * room / height, room
    _section(pdf, "地图")
    pdf.image(buffer, x=15 + (180 - width) / 2, w=width, h=height)


def _trend_chart(pdf: FPDF, trend: list[dict], width: float, height: float) -> None:
    """Two lines (accepted, closed) over the window's days, with y gridlines and date ticks."""
    x0, y0 = pdf.l_margin + 12, pdf.get_y() + 2
    plot_w, plot_h = width - 14, height - 12
    top = max([max(d["accepted"], d["closed"]) for d in trend] + [1])
    step = _nice_step(top / 4)
    ymax = step * max(1, -(-top // step))
    pdf.set_font(FONT, size=7)
    pdf.set_text_color(*MUTED)
    pdf.set_line_width(0.15)
    pdf.set_draw_color(220, 225, 232)
    for i in range(int(ymax // step) + 1):
        y = y0 + plot_h - plot_h * (i * step) / ymax
        pdf.line(x0, y, x0 + plot_w, y)
        pdf.set_xy(x0 - 12, y - 2)
        pdf.cell(11, 4, f"{int(i * step):,}", align="R")
    n = len(trend)

    def point(i: int, value: int) -> tuple[float, float]:
        x = x0 + (plot_w * (i + 0.5) / n if n else 0)
        return x, y0 + plot_h - plot_h * value / ymax

    for key, color in (("accepted", ACCEPTED), ("closed", CLOSED)):
        pdf.set_draw_color(*color)
        pdf.set_line_width(0.5)
        points = [point(i, d[key]) for i, d in enumerate(trend)]
        if len(points) > 1:
            pdf.polyline(points)
        elif points:
            pdf.circle(points[0][0], points[0][1], 0.8, style="D")
    ticks = max(1, n // 6)
    for i in range(0, n, ticks):
        x, _ = point(i, 0)
        pdf.set_xy(x - 10, y0 + plot_h + 1)
        pdf.cell(20, 4, trend[i]["day"][5:], align="C")
    legend_y = y0 + plot_h + 6
    for offset, (label, color) in enumerate((("受理", ACCEPTED), ("办结", CLOSED))):
        lx = x0 + offset * 24
        pdf.set_draw_color(*color)
        pdf.set_line_width(0.8)
        pdf.line(lx, legend_y + 2, lx + 6, legend_y + 2)
        pdf.set_xy(lx + 7, legend_y)
        pdf.cell(14, 4, label)
    pdf.set_text_color(*INK)
    pdf.set_y(y0 + height)


def _nice_step(raw: float) -> int:
    magnitude = 10 ** max(0, len(str(int(raw))) - 1)
    for factor in (1, 2, 5, 10):
        if raw <= factor * magnitude:
            return max(1, factor * magnitude)
    return 10 * magnitude


def _category_bars(pdf: FPDF, categories: list[tuple[str, int]], total: int) -> None:
    """Bars of the top categories, each with its share of all appeals in the view (not of the top ones)."""
    if not categories:
        pdf.set_font(FONT, size=9)
        pdf.cell(0, 6, "本期无诉求", new_x="LMARGIN", new_y="NEXT")
        return
    top = categories[0][1] or 1
    pdf.set_font(FONT, size=8.5)
    for label, n in categories:
        y = pdf.get_y()
        pdf.set_xy(15, y)
        pdf.cell(32, 5.5, label, align="R")
        pdf.set_fill_color(*ACCEPTED)
        pdf.rect(49, y + 1, 110 * n / top, 3.6, style="F")
        pdf.set_xy(49 + 110 * n / top + 1.5, y)
        pdf.cell(30, 5.5, f"{n:,}（{percent(share(n, total))}）")
        pdf.ln(BAR_ROW)


def split_rows(n: int, first_fit: int, page_fit: int, least: int = MIN_ROWS_PER_PAGE) -> list[int]:
    """Rows of a table per page: as many as fit, never fewer than ``least`` on a page (unless the table is shorter).

    A first entry of 0 means the table starts on a new page, so no heading is
    left alone at the foot of a page.
    """
    chunks, left, fit = [], n, first_fit
    while left:
        take = min(fit, left)
        if 0 < left - take < least:
            take = left - least
        if take < min(least, left):
            take = 0
        chunks.append(take)
        left -= take
        fit = page_fit
    return chunks


def ranking_table(pdf: FPDF, briefing: Briefing) -> None:
    """Child units, worst closure first; a page break repeats the header and keeps ≥ 4 rows on each page."""
    rows = briefing.ranking
    if not rows:
        return
    level = LEVEL_LABELS[rows[0]["level"]]
    title = f"下级{level}排名（按办结率，低者在前；红色为低于 {percent(LOW_CLOSURE_RATE)}）"

    def fit(top: float) -> int:
        return max(0, int((pdf.page_break_trigger - top - SECTION_HEIGHT - 2 - RANKING_ROW) // RANKING_ROW))

    chunks = split_rows(len(rows), fit(pdf.get_y()), fit(pdf.t_margin))
    start = 0
    for size in chunks:
        if size == 0:
            pdf.add_page()
            continue
        if start:
            pdf.add_page()
        _section(pdf, title if not start else f"下级{level}排名（续）")
        pdf.set_font(FONT, size=8.5)
        with pdf.table(col_widths=(10, 50, 22, 22, 26, 22, 28), headings_style=HEADINGS, line_height=RANKING_LINE,
                       text_align=("CENTER", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
                       padding=(RANKING_PAD, 1.5)) as table:
            table.row(["序", level, "受理", "办结率", "按期办结率", "满意率", "超期未办结"])
            for i, r in enumerate(rows[start:start + size], start=start + 1):
                row = table.row()
                for text in (str(i), r["name"], f"{r['accepted']:,}"):
                    row.cell(text)
                row.cell(percent(r["closure_rate"]), style=LOW_RATE if low_closure_rate(r["closure_rate"]) else None)
                for text in (percent(r["on_time_rate"]), percent(r["satisfaction_rate"]), f"{r['overdue_open']:,}"):
                    row.cell(text)
        start += size


def _overdue(pdf: FPDF, briefing: Briefing) -> None:
    doc = briefing.overdue
    items = doc["items"]
    _section(pdf, f"超期未办结诉求（共 {doc['total']:,} 件" +
             (f"，列出超期最久的 {len(items)} 件）" if doc["total"] > len(items) else "）"))
    pdf.set_font(FONT, size=8)
    if not items:
        pdf.cell(0, 6, "无超期未办结诉求", new_x="LMARGIN", new_y="NEXT")
        return
    pdf.set_text_color(*MUTED)
    pdf.cell(0, 5, "诉求人姓名与电话已脱敏。", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)
    as_of = briefing.as_of
    with pdf.table(col_widths=(12, 17, 18, 17, 56, 10, 12, 12, 26), headings_style=HEADINGS, line_height=4.6,
                   text_align=("RIGHT", "LEFT", "LEFT", "LEFT", "LEFT", "LEFT", "RIGHT", "LEFT", "LEFT"),
                   padding=(0.3, 1)) as table:
        table.row(["编号", "受理日期", "街道", "类别", "标题", "状态", "超期天数", "诉求人", "电话"])
        for item in items:
            overdue_days = (as_of - datetime.fromisoformat(item["deadline"])).total_seconds() / 86400
            table.row([
                str(item["id"]),
                item["accepted_at"][:10],
                briefing.street_names.get(item["street_code"], item["street_code"]),
                CATEGORY_LABELS[item["category"]],
                item["title"],
                STATUSES[item["status"]],
                f"{overdue_days:.1f}",
                item["reporter_name"],
                item["reporter_phone"],
            ])


# -- 未诉先办 ------------------------------------------------------------------------------

#: The open items' table: (header, width mm, alignment); the widths add up to the text width (180 mm).
ITEM_COLUMNS = (("序", 8, "CENTER"), ("清单", 17, "LEFT"), ("事项", 77, "LEFT"), ("类别", 18, "LEFT"),
                ("状态", 13, "LEFT"), ("承办部门", 29, "LEFT"), ("生成日期", 18, "LEFT"))
#: The hotspots' table, likewise.
HOTSPOT_COLUMNS = (("序", 8, "CENTER"), ("地点", 34, "LEFT"), ("类别", 26, "LEFT"), ("模式", 22, "LEFT"),
                   ("实际（件）", 22, "RIGHT"), ("预期（件）", 22, "RIGHT"), ("热点起始", 24, "LEFT"),
                   ("热点强度", 22, "RIGHT"))
ITEM_LINE, ITEM_PAD_V, ITEM_PAD_H = 4.6, 0.6, 1.2
ITEM_FONT = 8.5


def proactive_section(pdf: FPDF, briefing: Briefing) -> None:
    """未诉先办: items per status, the top hotspots, then the open items (header repeated, ≥ 4 rows a page)."""
    summary = briefing.proactive
    if summary is None:
        return
    if summary.run is None:
        _section(pdf, "未诉先办", keep=SECTION_HEIGHT + 8)
        pdf.set_font(FONT, size=9)
        pdf.cell(0, 6, "尚未运行分析：暂无未诉先办清单与热点。", new_x="LMARGIN", new_y="NEXT")
        return
    as_of = summary.run["as_of"].astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    _section(pdf, f"未诉先办（分析截至 {as_of}）", keep=SECTION_HEIGHT + 30)
    pdf.set_font(FONT, size=9.5)
    lists = "，".join(f"{LIST_LABELS[level]} {n:,} 项" for level, n in summary.open_by_level.items())
    pdf.multi_cell(0, 5.5, f"在办事项（待研判、已派发、处置中）共 {summary.open_total:,} 项：{lists}。",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    pdf.set_font(FONT, size=9)
    statuses = list(ITEM_STATUSES)
    width = 180 / (len(statuses) + 1)
    with pdf.table(col_widths=(width,) * (len(statuses) + 1), text_align="CENTER", headings_style=HEADINGS,
                   line_height=5.6, padding=(0.4, 1)) as table:
        table.row([ITEM_STATUSES[s] for s in statuses] + ["合计"])
        table.row([f"{summary.by_status[s]:,}" for s in statuses] + [f"{sum(summary.by_status.values()):,}"])
    _hotspots(pdf, summary.hotspots)
    _open_items(pdf, briefing.proactive_items or [], summary.open_total)


def _hotspots(pdf: FPDF, hotspots: list[dict]) -> None:
    if not hotspots:
        _section(pdf, "活跃热点", keep=SECTION_HEIGHT + 8)
        pdf.set_font(FONT, size=9)
        pdf.cell(0, 6, "暂无活跃热点", new_x="LMARGIN", new_y="NEXT")
        return
    rows = [[str(i), h["place"], h["category_label"], h["pattern_label"], f"{h['observed']:,}",
             f"{h['expected']:,.1f}", h["start"], f"{h['score']:.1f}"] for i, h in enumerate(hotspots, start=1)]
    paged_table(pdf, "活跃热点（续）", HOTSPOT_COLUMNS, rows,
                start_title=f"活跃热点（按热点强度前 {len(rows)} 处；实际、预期为本范围内诉求件数）")


def _open_items(pdf: FPDF, items: list[dict], total: int) -> None:
    shown = f"，列出研判优先的 {len(items)} 项" if total > len(items) else ""
    title = f"在办事项清单（共 {total:,} 项{shown}）"
    if not items:
        _section(pdf, title, keep=SECTION_HEIGHT + 8)
        pdf.set_font(FONT, size=9)
        pdf.cell(0, 6, "暂无未诉先办事项", new_x="LMARGIN", new_y="NEXT")
        return
    rows = [[str(i), LIST_LABELS.get(item["level"], item["level"]), item["title"], item["category_label"],
             item["status_label"], item["department"] or "—",
             datetime.fromisoformat(item["created_at"]).astimezone(LOCAL_TZ).strftime("%Y-%m-%d")]
            for i, item in enumerate(items, start=1)]
    paged_table(pdf, "在办事项清单（续）", ITEM_COLUMNS, rows, start_title=title)


def row_height(pdf: FPDF, columns, row: list[str]) -> float:
    """The height a table row takes: its tallest cell's wrapped lines, plus padding (at the table's font)."""
    lines = max(len(pdf.multi_cell(width, ITEM_LINE, text, dry_run=True, output="LINES",
                                   padding=(ITEM_PAD_V, ITEM_PAD_H)))
                for (_, width, _), text in zip(columns, row, strict=True))
    return lines * ITEM_LINE + 2 * ITEM_PAD_V


def split_by_height(heights: list[float], first_room: float, page_room: float,
                    least: int = MIN_ROWS_PER_PAGE) -> list[int]:
    """Rows per page for rows of different heights: as many as fit, never fewer than ``least`` on a page
    (unless the table is shorter, or a page cannot hold that many). A first 0: start on a new page."""
    chunks, start, room, fresh = [], 0, first_room, False
    while start < len(heights):
        fit, used = 0, 0.0
        while start + fit < len(heights) and used + heights[start + fit] <= room:
            used += heights[start + fit]
            fit += 1
        left = len(heights) - start
        take = fit
        if 0 < left - take < least:
            take = left - least
        if take < min(least, left):
            take = max(fit, 1) if fresh else 0
        chunks.append(take)
        start += take
        room, fresh = page_room, True
    return chunks


def paged_table(pdf: FPDF, continued: str, columns, rows: list[list[str]], start_title: str) -> None:
    """A table that breaks between pages only where each page keeps ≥ 4 rows (long texts wrap, so rows are
    measured first); each later page repeats the header under ``continued``. ``start_title`` heads the table."""
    pdf.set_font(FONT, size=ITEM_FONT)
    heights = [row_height(pdf, columns, row) for row in rows]
    header = row_height(pdf, columns, [c[0] for c in columns])

    def room(top: float, with_heading: float) -> float:
        return pdf.page_break_trigger - top - with_heading - header - 1

    chunks = split_by_height(heights, room(pdf.get_y(), SECTION_HEIGHT + 2), room(pdf.t_margin, SECTION_HEIGHT + 2))
    start = 0
    for number, size in enumerate(chunks):
        if size == 0:
            pdf.add_page()
            if start_title:
                _section(pdf, start_title, keep=SECTION_HEIGHT)
                start_title = None
            continue
        if number and start:
            pdf.add_page()
            _section(pdf, continued)
        elif start_title:
            _section(pdf, start_title, keep=SECTION_HEIGHT)
            start_title = None
        pdf.set_font(FONT, size=ITEM_FONT)
        with pdf.table(col_widths=[w for _, w, _ in columns], text_align=[a for _, _, a in columns],
                       headings_style=HEADINGS, line_height=ITEM_LINE, padding=(ITEM_PAD_V, ITEM_PAD_H)) as table:
            table.row([c[0] for c in columns])
            for row in rows[start:start + size]:
                table.row(row)
        start += size
