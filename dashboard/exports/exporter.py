"""Starting an export of a view: the briefing PDF, the PNG snapshot or the XLSX workbook, as a background job.

Each export takes the dashboard URL's own query, reads the same
:class:`ViewState` through the same view functions as of the same minute, so a
deep link and its export agree. The view is checked before the job starts, so
a bad link is a 400/403/404 at once, not a failed job later.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs

from dashboard.exports import briefing, fonts, pdf, png, xlsx
from dashboard.exports.jobs import Jobs, JobSpec, Progress
from dashboard.view.data import parse_view
from dashboard.view.shared_cache import ViewCache
from dashboard.view.state import ViewState
from dashboard.view.text import last_day
from geo import clock
from geo.access import Viewer
from geo.scope import InvalidQuery, quoted
from geo.store.store import Store

#: kind → (file title, suffix, MIME type)
KINDS_OF_EXPORT = {
    "pdf": ("简报", "pdf", "application/pdf"),
    "png": ("快照", "png", "image/png"),
    "xlsx": ("诉求数据", "xlsx", xlsx.MIMETYPE),
}


@dataclass(frozen=True)
class Exporter:
    """What exports need from the app's settings: the job runner, the font setting, how long a GET waits."""

    jobs: Jobs
    font_setting: str = ""
    wait_seconds: float = 2.0


def export_name(state: ViewState, name: str, title: str, suffix: str) -> str:
    """E.g. ``简报_中韩街道_2026-11-02_2026-12-01.pdf``: the first and last days the report shows."""
    return f"{title}_{name}_{state.window.start}_{last_day(state.window)}.{suffix}"


def start_export(kind: str, search: str, store: Store, cache: ViewCache | None, exporter: Exporter,
                 viewer: Viewer) -> dict:
    """Validates the view and starts its export job; returns the job's status."""
    if kind not in KINDS_OF_EXPORT:
        raise InvalidQuery(f"未知的导出格式{quoted(kind)}")
    state = parse_view(search, store, viewer)
    scale = _scale(search) if kind == "png" else 1
    cjk = fonts.find_cjk_fonts(exporter.font_setting) if kind in ("pdf", "png") else None
    name = store.resolve(state.scope, viewer).name
    as_of = clock.view_as_of()

    def work(path: Path, progress: Progress) -> None:
        if kind == "xlsx":
            xlsx.write_workbook(store, state, as_of, path, cache, progress, viewer=viewer)
            return
        content = briefing.collect(store, state, as_of, viewer, cache, progress)
        data = pdf.render(content, cjk, progress) if kind == "pdf" else png.render(content, cjk, scale, progress)
        path.write_bytes(data)

    title, suffix, mimetype = KINDS_OF_EXPORT[kind]
    return exporter.jobs.start(JobSpec(kind, export_name(state, name, title, suffix), mimetype), work,
                               owner=viewer.user)


def _scale(search: str) -> int:
    raw = parse_qs(search.lstrip("?")).get("scale", ["1"])[-1]
    if raw not in ("1", "2"):
        raise InvalidQuery(f"导出倍数{quoted(raw)}无效，应为 1（1920×1080）或 2（3840×2160）")
    return int(raw)


def job_document(status: dict) -> dict:
    """The public view of a job: no paths, with the URLs to poll and download."""
    doc = {k: status.get(k) for k in ("id", "kind", "state", "progress", "message", "error", "filename")}
    doc["status_url"] = f"/export/jobs/{status['id']}"
    doc["download_url"] = f"/export/jobs/{status['id']}/download" if status["state"] == "done" else None
    return doc
