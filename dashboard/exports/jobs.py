"""Background export jobs whose state lives on disk.

A year of the district takes longer than anyone should stare at a frozen
button, so exports run in a worker thread and report progress. The job's
status is a JSON file next to its output under ``DATA_DIR/exports/<id>/``:
any server worker can answer "how far is it?" and serve the file, whichever
worker runs it. A job whose worker died stops updating its status and is
reported as interrupted after :data:`STALE_SECONDS`.

How many jobs may be queued or running at once is limited per user and in all
(``EXPORT_JOBS_PER_USER``, ``EXPORT_JOBS_TOTAL``), counted from the status files
under a file lock, so every server process sees the same count: one caller
cannot fill the queue for everyone else. Beyond a limit a start is a 429.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import secrets
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from dashboard.errors import HttpError, is_expected, status_of
from geo.store.errors import NotFound

LOG = logging.getLogger(__name__)
#: A running job updates its status at least this often; silence longer than this means it died.
STALE_SECONDS = 120
#: A job may wait this long for a free thread before it counts as lost (its process died).
QUEUE_SECONDS = 1800
#: Finished jobs (and their files) are removed after this long.
KEEP_SECONDS = 3600
JOB_ID = re.compile(r"[0-9a-f]{32}")
#: States of a job that holds a slot.
ACTIVE_STATES = ("queued", "running")

#: (fraction 0–1, message) → None
Progress = Callable[[float, str], None]
#: Writes the export to the given path, reporting progress.
Work = Callable[[Path, Progress], None]


@dataclass(frozen=True)
class JobSpec:
    kind: str
    filename: str
    mimetype: str


class Jobs:
    """Starts export jobs in this process and reads any job's status from disk."""

    def __init__(self, root: Path, threads: int = 2, per_user: int = 2, total: int = 8):
        self.root = Path(root)
        self.per_user = per_user
        self.total = total
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="export")

    def start(self, spec: JobSpec, work: Work, *, owner: str = "") -> dict:
        """Queues ``work`` for ``owner``; returns the new job's status. Beyond a limit it is a 429: retry later."""
        self.root.mkdir(parents=True, exist_ok=True)
        with self._locked():
            self._remove_old()
            active = [s for s in self._statuses() if s["state"] in ACTIVE_STATES]
            mine = sum(s.get("owner") == owner for s in active)
            if mine >= self.per_user:
                raise HttpError(429, f"您已有 {mine} 个导出任务在进行，请等其完成后再导出")
            if len(active) >= self.total:
                raise HttpError(429, "导出任务较多，请稍后再试")
            job_id = self._create(spec, owner)
        self._pool.submit(self._work, job_id, work)
        return self.status(job_id)

    @contextlib.contextmanager
    def _locked(self):
        """Exclusive across threads and server processes: counting the active jobs and adding one is one step."""
        with open(self.root / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _statuses(self) -> list[dict]:
        out = []
        for folder in self.root.iterdir():
            if JOB_ID.fullmatch(folder.name):
                try:
                    out.append(self.status(folder.name))
                except NotFound:  # being created or removed right now
                    continue
        return out

    def _create(self, spec: JobSpec, owner: str) -> str:
        job_id = secrets.token_hex(16)
        (self.root / job_id).mkdir()
        status = {"id": job_id, "kind": spec.kind, "filename": spec.filename, "mimetype": spec.mimetype,
                  "owner": owner, "state": "queued", "progress": 0.0, "message": "排队中", "error": None,
                  "http_status": None, "created": time.time()}
        self._write(job_id, status)
        return job_id

    def status(self, job_id: str) -> dict:
        """The job's status; raises NotFound for unknown or malformed ids."""
        if not isinstance(job_id, str) or not JOB_ID.fullmatch(job_id):
            raise NotFound("未找到该导出任务")
        try:
            status = json.loads((self.root / job_id / "status.json").read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            raise NotFound("未找到该导出任务（可能已过期，请重新导出）") from None
        silent = time.time() - status["updated"]
        if (status["state"] == "running" and silent > STALE_SECONDS) or (
                status["state"] == "queued" and silent > QUEUE_SECONDS):
            status.update(state="failed", error="导出进程已中断，请重新导出", http_status=503)
        return status

    def output(self, job_id: str) -> Path:
        return self.root / job_id / "output"

    def wait(self, job_id: str, seconds: float) -> dict:
        """The status once the job has finished, or after ``seconds``, whichever is first."""
        deadline = time.monotonic() + seconds
        while True:
            status = self.status(job_id)
            if status["state"] in ("done", "failed") or time.monotonic() >= deadline:
                return status
            time.sleep(0.05)

    def _work(self, job_id: str, work: Work) -> None:
        def progress(fraction: float, message: str) -> None:
            self._update(job_id, state="running", progress=round(min(max(fraction, 0.0), 0.99), 3), message=message)

        progress(0.0, "开始导出")
        try:
            work(self.output(job_id), progress)
        except Exception as exc:  # noqa: BLE001 - a failed export must say so, not stay "running" forever
            if is_expected(exc):
                self._update(job_id, state="failed", error=str(exc), http_status=status_of(exc), message="导出失败")
                return
            LOG.exception("export job %s failed", job_id)
            self._update(job_id, state="failed", error=f"导出失败（{type(exc).__name__}），请稍后重试",
                         http_status=500, message="导出失败")
        else:
            self._update(job_id, state="done", progress=1.0, message="已完成",
                         size=self.output(job_id).stat().st_size)

    def _update(self, job_id: str, **changes) -> None:
        status = json.loads((self.root / job_id / "status.json").read_text(encoding="utf-8"))
        status.update(changes)
        self._write(job_id, status)

    def _write(self, job_id: str, status: dict) -> None:
        """Atomic replace, so a reader never sees half a file."""
        status["updated"] = time.time()
        path = self.root / job_id / "status.json"
        temporary = path.with_suffix(f".{os.getpid()}.{secrets.token_hex(4)}.tmp")
        temporary.write_text(json.dumps(status, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, path)

    def _remove_old(self) -> None:
        cutoff = time.time() - KEEP_SECONDS
        for folder in self.root.iterdir():
            status = folder / "status.json"
            try:
                if JOB_ID.fullmatch(folder.name) and status.stat().st_mtime < cutoff:
                    shutil.rmtree(folder, ignore_errors=True)
            except FileNotFoundError:
                continue
