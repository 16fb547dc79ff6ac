"""Routes of the exports: the current view by URL, with the dashboard's own query parameters.

``/export/briefing.pdf``, ``/export/snapshot.png`` and ``/export/appeals.xlsx``
take the same query as the dashboard URL (``scope``, ``id``, ``from``, ``to``,
filters, ``layers``, ``metric``). Every export runs as a background job
(:mod:`dashboard.exports.jobs`): the GET waits up to ``EXPORT_WAIT_SECONDS`` and
then either sends the file or answers 202 with the job, whose progress is at
``/export/jobs/<id>`` and whose file is at ``/export/jobs/<id>/download``.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request, send_file

from dashboard.errors import HttpError
from dashboard.exports.exporter import job_document
from dashboard.http.params import query_text, single_values
from dashboard.services import export_view, get_exporter, own_job

blueprint = Blueprint("exports", __name__)


def _finish_or_accept(kind: str):
    single_values(request.args)
    exporter = get_exporter()
    status = export_view(kind, query_text())
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
    status = own_job(job_id)
    code = 200 if status["state"] != "failed" else status["http_status"] or 500
    return jsonify(job_document(status)), code


@blueprint.get("/export/jobs/<job_id>/download")
def job_download(job_id: str):
    status = own_job(job_id)
    if status["state"] != "done":
        raise HttpError(409, f"导出尚未完成（{status['message']}）" if status["state"] != "failed" else status["error"])
    return _send(status)


@blueprint.route("/export/<path:_unknown>", methods=["GET", "POST"])
def unknown_export(_unknown: str):
    """Unknown export paths answer JSON 404, not the dashboard's HTML."""
    return jsonify({"error": f"未知的导出：{request.path}"}), 404
