"""The header's export buttons: start a job for the view in the URL, show its progress, then download."""

from __future__ import annotations

from dash import ClientsideFunction, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from dashboard.errors import HttpError
from dashboard.exports.exporter import job_document
from dashboard.services import export_view, own_job
from dashboard.ui import ids, page
from geo.store.errors import NotFound, StoreError

BUTTON_KIND = {ids.EXPORT_PDF: "pdf", ids.EXPORT_PNG: "png", ids.EXPORT_XLSX: "xlsx"}


def start(kind: str, search: str | None) -> tuple[dict | None, bool, list]:
    """(job, polling disabled?, status children) for a click; a bad view is reported, not raised."""
    try:
        job = job_document(export_view(kind, search or ""))
    except (StoreError, HttpError, ValueError) as exc:  # InvalidQuery is a ValueError
        return None, True, page.export_error(f"无法导出：{exc}")
    return {"id": job["id"]}, False, page.export_progress(job)


def poll(job: dict | None) -> tuple[bool, list, str | None]:
    """(polling disabled?, status children, download URL once done) for a job id from the browser."""
    job_id = job.get("id") if isinstance(job, dict) else None
    try:
        doc = job_document(own_job(job_id))
    except NotFound as exc:
        return True, page.export_error(str(exc)), None
    finished = doc["state"] in ("done", "failed")
    return finished, page.export_progress(doc), doc["download_url"]


def register(app) -> None:
    @app.callback(
        Output(ids.EXPORT_JOB, "data"),
        Output(ids.EXPORT_POLL, "disabled"),
        Output(ids.EXPORT_STATUS, "children"),
        Input(ids.EXPORT_PDF, "n_clicks"),
        Input(ids.EXPORT_PNG, "n_clicks"),
        Input(ids.EXPORT_XLSX, "n_clicks"),
        State(ids.URL, "search"),
        prevent_initial_call=True,
    )
    def start_job(_pdf, _png, _xlsx, search):
        kind = BUTTON_KIND.get(ctx.triggered_id)
        if kind is None:
            raise PreventUpdate
        return start(kind, search)

    @app.callback(
        Output(ids.EXPORT_POLL, "disabled", allow_duplicate=True),
        Output(ids.EXPORT_STATUS, "children", allow_duplicate=True),
        Output(ids.EXPORT_DOWNLOAD, "data"),
        Input(ids.EXPORT_POLL, "n_intervals"),
        State(ids.EXPORT_JOB, "data"),
        prevent_initial_call=True,
    )
    def poll_job(_tick, job):
        disabled, children, href = poll(job)
        return disabled, children, href or no_update

    app.clientside_callback(
        ClientsideFunction(namespace="zhizhi", function_name="download"),
        Output(ids.EXPORT_DOWNLOAD, "data", allow_duplicate=True),
        Input(ids.EXPORT_DOWNLOAD, "data"),
        prevent_initial_call=True,
    )
