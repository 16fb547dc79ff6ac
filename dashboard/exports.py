"""Exports of the current view, by URL with the dashboard's own query parameters.

``/export/briefing.pdf``, ``/export/snapshot.png`` and ``/export/appeals.xlsx``
take the same query as the dashboard URL (``scope``, ``id``, ``from``, ``to``,
filters, ``layers``, ``metric``), so a deep link and its export agree: both
read the same :class:`ViewState` through the same view functions.

Every export runs as a background job (:mod:`dashboard.jobs`). The GET waits
up to ``EXPORT_WAIT_SECONDS`` and then either sends the file or answers 202
with the job, whose progress is at ``/export/jobs/<id>`` and whose file is at
``/export/jobs/<id>/download``. The workbook is written in openpyxl's
write-only mode and appeals stream in keyset-paged batches, so a year of the
district stays bounded in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs

from flask import Blueprint, current_app, jsonify, request, send_file
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from dashboard import briefing, briefing_pdf, fonts, snapshot, views
from dashboard.api import get_cache, get_store, query_text, single_values, viewer_scope
from dashboard.figures import category_labels, format_kpi, kpi_delta
from dashboard.jobs import Jobs, JobSpec, Progress
from dashboard.state import ViewState
from geo.domain import HANDLING_LEVELS, KINDS, LEVEL_LABELS, PRIORITIES, SATISFACTION, SOURCES, STATUSES
from geo.kpis import KPI_LABELS
from geo.scope import DISTRICT, InvalidQuery, Scope
from geo.store.errors import Conflict
from geo.store.store import Store

blueprint = Blueprint("exports", __name__)
EXPORTS_KEY = "zhizhi.exports"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Exporter:
    """What the export routes need from the app's settings."""

    jobs: Jobs
    font_setting: str = ""
    wait_seconds: float = 2.0


def get_exporter() -> Exporter:
    return current_app.extensions[EXPORTS_KEY]

#: Appeal columns in the workbook: (field, header). Personal data arrives masked from the store;
#: coordinates and free text stay out of a file that gets forwarded around.
APPEAL_COLUMNS = (
    ("id", "编号"), ("accepted_at", "受理时间"), ("street", "街道"), ("community_code", "社区编码"),
    ("grid_code", "网格编码"), ("kind", "类型"), ("category", "类别"), ("priority", "紧急程度"), ("title", "标题"),
    ("source", "来源"), ("level", "处置层级"), ("status", "状态"), ("deadline", "办结时限"), ("closed_at", "办结时间"),
    ("resolved", "是否解决"), ("satisfaction", "满意度"), ("reporter_name", "诉求人"), ("reporter_phone", "联系电话"),
)


CATEGORY_LABELS = category_labels()


def appeal_row(item: dict, street_names: dict[str, str]) -> list:
    labels = {
        "street": street_names.get(item["street_code"], item["street_code"]),
        "kind": KINDS[item["kind"]],
        "category": CATEGORY_LABELS[item["category"]],
        "priority": PRIORITIES[item["priority"]],
        "source": SOURCES[item["source"]],
        "level": HANDLING_LEVELS[item["level"]],
        "status": STATUSES[item["status"]],
        "resolved": {True: "是", False: "否"}.get(item["resolved"], ""),
        "satisfaction": SATISFACTION.get(item["satisfaction"] or "", ""),
    }
    row = []
    for field, _ in APPEAL_COLUMNS:
        value = labels.get(field, item.get(field))
        if field in ("accepted_at", "deadline", "closed_at") and value:
            value = value[:16].replace("T", " ")
        row.append(value)
    return row


def write_workbook(store: Store, state: ViewState, as_of: datetime, path, cache=None,
                   progress: Progress = briefing.no_progress, viewer: Scope = DISTRICT) -> dict[str, int]:
    """Writes the view's tables to ``path``; returns each sheet's number of data rows."""
    progress(0.02, "统计指标")
    head = views.summary(store, state, as_of, cache)
    data = views.panels(store, state, as_of, cache)
    ranking = views.ranking(store, state, as_of, cache)
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

    ws = sheet("概览", ["指标", "本期", "上期", "较上期", "分子", "分母"])
    ws.append(["范围", f"{LEVEL_LABELS[state.scope.level]} {head['name']}（{state.scope.code}）"])
    ws.append(["时间", f"{state.window.start} 至 {state.window.end}（不含）"])
    ws.append(["数据截至", head["as_of"][:16].replace("T", " ")])
    for key, (label, unit) in KPI_LABELS.items():
        now, before = head["kpis"][key], head["previous"][key]
        ws.append([f"{label}（{unit}）", format_kpi(key, now), format_kpi(key, before), kpi_delta(key, now, before)[0],
                   now["numerator"], now["denominator"]])
    counts["概览"] = len(KPI_LABELS)

    ws = sheet("趋势", ["日期", "受理", "办结"])
    for day in data["trend"]:
        ws.append([day["day"], day["received"], day["closed"]])
    counts["趋势"] = len(data["trend"])

    ws = sheet("类别", ["类别", "件数"])
    categories = sorted(data["category"].items(), key=lambda kv: -kv[1])
    for code, n in categories:
        ws.append([CATEGORY_LABELS[code], n])
    counts["类别"] = len(categories)

    ws = sheet("下级排名", ["单位", "编码", "受理", "办结率", "按期办结率", "满意率", "超期未办结"])
    for r in ranking:
        ws.append([r["name"], r["code"], r["accepted"], r["closure_rate"], r["on_time_rate"], r["satisfaction_rate"],
                   r["overdue_open"]])
    counts["下级排名"] = len(ranking)

    streets = {u.code: u.name for u in store.children(Scope("district", state.scope.code[:6]))}
    ws = sheet("诉求明细", [header for _, header in APPEAL_COLUMNS])
    n, expected = 0, max(head["kpis"]["accepted"]["value"], 1)
    for batch in store.iter_appeals(state.scope, state.window, state.filters, viewer):
        for item in batch:
            ws.append(appeal_row(item, streets))
        n += len(batch)
        progress(0.05 + 0.85 * min(n / expected, 1.0), f"写入诉求明细 {n:,} / {expected:,} 条")
    counts["诉求明细"] = n
    progress(0.92, "保存文件")
    wb.save(path)
    return counts


def export_name(state: ViewState, name: str, title: str, suffix: str) -> str:
    return f"{title}_{name}_{state.window.start}_{state.window.end}.{suffix}"


def start_export(kind: str, search: str) -> dict:
    """Validates the view (400/403/404 now, not later in the job) and starts its export job."""
    if kind not in KINDS_OF_EXPORT:
        raise InvalidQuery(f"未知的导出格式 {kind!r}")
    store, cache, exporter = get_store(), get_cache(), get_exporter()
    viewer = viewer_scope()
    state = views.parse_view(search, store, viewer)
    scale = _scale(search) if kind == "png" else 1
    cjk = fonts.find_cjk_fonts(exporter.font_setting) if kind in ("pdf", "png") else None
    name = store.resolve(state.scope, viewer).name
    as_of = views.now()

    def work(path: Path, progress: Progress) -> None:
        if kind == "xlsx":
            write_workbook(store, state, as_of, path, cache, progress, viewer)
            return
        content = briefing.collect(store, state, as_of, viewer, cache, progress)
        if kind == "pdf":
            data = briefing_pdf.render(content, cjk, progress)
        else:
            data = snapshot.render(content, cjk, scale, progress)
        path.write_bytes(data)

    title, suffix, mimetype = KINDS_OF_EXPORT[kind]
    return exporter.jobs.start(JobSpec(kind, export_name(state, name, title, suffix), mimetype), work)


#: kind → (file title, suffix, MIME type)
KINDS_OF_EXPORT = {
    "pdf": ("简报", "pdf", "application/pdf"),
    "png": ("快照", "png", "image/png"),
    "xlsx": ("诉求数据", "xlsx", XLSX),
}


def _scale(search: str) -> int:
    raw = parse_qs(search.lstrip("?")).get("scale", ["1"])[-1]
    if raw not in ("1", "2"):
        raise InvalidQuery(f"参数 scale={raw!r} 应为 1（1920×1080）或 2（3840×2160）")
    return int(raw)


def job_document(status: dict) -> dict:
    """The public view of a job: no paths, with the URLs to poll and download."""
    doc = {k: status.get(k) for k in ("id", "kind", "state", "progress", "message", "error", "filename")}
    doc["status_url"] = f"/export/jobs/{status['id']}"
    doc["download_url"] = f"/export/jobs/{status['id']}/download" if status["state"] == "done" else None
    return doc


def _finish_or_accept(kind: str):
    single_values(request.args)
    exporter = get_exporter()
    status = start_export(kind, query_text())
    status = exporter.jobs.wait(status["id"], exporter.wait_seconds)
    if status["state"] == "done":
        return _send(status)
    if status["state"] == "failed":
        return jsonify({"error": status["error"], "job": job_document(status)}), status["http_status"] or 500
    doc = job_document(status)
    return jsonify(doc), 202, {"Location": doc["status_url"], "Retry-After": "1"}


def _send(status: dict):
    path = get_exporter().jobs.output(status["id"])
    return send_file(path, as_attachment=True, download_name=status["filename"], mimetype=status["mimetype"],
                     max_age=0)


@blueprint.get("/export/appeals.xlsx")
def appeals_xlsx():
    """The view's tables as a workbook."""
    return _finish_or_accept("xlsx")


@blueprint.get("/export/briefing.pdf")
def briefing_pdf_file():
    """The view's briefing as an A4 PDF."""
    return _finish_or_accept("pdf")


@blueprint.get("/export/snapshot.png")
def snapshot_png():
    """The view's map and KPIs as a 16:9 PNG (``scale=2`` for 3840×2160)."""
    return _finish_or_accept("png")


@blueprint.get("/export/jobs/<job_id>")
def job_status(job_id: str):
    status = get_exporter().jobs.status(job_id)
    code = 200 if status["state"] != "failed" else status["http_status"] or 500
    return jsonify(job_document(status)), code


@blueprint.get("/export/jobs/<job_id>/download")
def job_download(job_id: str):
    status = get_exporter().jobs.status(job_id)
    if status["state"] != "done":
        raise Conflict(f"导出尚未完成（{status['message']}）" if status["state"] != "failed" else status["error"])
    return _send(status)


@blueprint.route("/export/<path:_unknown>", methods=["GET", "POST"])
def unknown_export(_unknown: str):
    """Unknown export paths answer JSON 404, not the dashboard's HTML."""
    return jsonify({"error": f"未知的导出：{request.path}"}), 404
