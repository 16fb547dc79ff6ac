"""Background export jobs whose state every server process shares: on disk, or in Redis.

A year of the district takes longer than anyone should stare at a frozen
button, so exports run in a worker thread and report progress. The job's
status and its file live on a board every server process reads, so any
process can answer "how far is it?" and serve the file, whichever runs it:
:class:`DiskBoard` keeps them under ``DATA_DIR/exports/<id>/`` (processes of
one machine), :class:`RedisBoard` in Redis (``REDIS_URL``: processes on any
machine). A job whose worker died stops updating its status and is reported
as interrupted after :data:`STALE_SECONDS`.

How many jobs may be queued or running at once is limited per user and in all
(``EXPORT_JOBS_PER_USER``, ``EXPORT_JOBS_TOTAL``), counted from the board under
its lock (a file lock, or a Redis lock), so every server process sees the same
count: one caller cannot fill the queue for everyone else. Beyond a limit a
start is a 429.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
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

import redis

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


@contextlib.contextmanager
def _shared_board():
    """Redis away (or its lock not had in time): a 503 to retry, not a 500."""
    try:
        yield
    except redis.RedisError as exc:  # LockError included
        raise HttpError(503, "导出服务暂时不可用（共享存储无响应），请稍后重试") from exc


class DiskBoard:
    """Job statuses and files in folders under ``root``, locked with ``flock``: one machine's processes."""

    def __init__(self, root: Path):
        self.root = Path(root)

    @contextlib.contextmanager
    def locked(self):
        """Exclusive across threads and server processes: counting the active jobs and adding one is one step."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def ids(self) -> list[str]:
        return [f.name for f in self.root.iterdir() if JOB_ID.fullmatch(f.name)] if self.root.exists() else []

    def create(self, job_id: str) -> None:
        (self.root / job_id).mkdir(parents=True)

    def read(self, job_id: str) -> dict | None:
        try:
            return json.loads((self.root / job_id / "status.json").read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def write(self, job_id: str, status: dict) -> None:
        """Atomic replace, so a reader never sees half a file."""
        path = self.root / job_id / "status.json"
        temporary = path.with_suffix(f".{os.getpid()}.{secrets.token_hex(4)}.tmp")
        temporary.write_text(json.dumps(status, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, path)

    def work_path(self, job_id: str) -> Path:
        """Where the job writes its file."""
        return self.root / job_id / "output"

    def keep(self, job_id: str) -> int:
        """The written file is already where readers look; its size."""
        return self.work_path(job_id).stat().st_size

    def output(self, job_id: str) -> Path:
        return self.work_path(job_id)

    def remove_old(self) -> None:
        cutoff = time.time() - KEEP_SECONDS
        for job_id in self.ids():
            try:
                if (self.root / job_id / "status.json").stat().st_mtime < cutoff:
                    shutil.rmtree(self.root / job_id, ignore_errors=True)
            except FileNotFoundError:
                continue


class RedisBoard:
    """Job statuses and files in Redis under ``zhizhi:jobs:<namespace>``: processes on any machine.

    The job is written to a scratch file of the process running it, then its
    bytes go to Redis; every key expires :data:`KEEP_SECONDS` after its last write.
    """

    #: Seconds a start may wait for the lock, and after which a holder that died releases it.
    LOCK_SECONDS = 10

    def __init__(self, client: redis.Redis, namespace: str, scratch: Path):
        self.client = client
        self.prefix = f"zhizhi:jobs:{namespace}"
        self.scratch = Path(scratch)

    @contextlib.contextmanager
    def locked(self):
        with self.client.lock(f"{self.prefix}:lock", timeout=self.LOCK_SECONDS,
                              blocking_timeout=self.LOCK_SECONDS):
            yield

    def ids(self) -> list[str]:
        return [i.decode() for i in self.client.zrange(f"{self.prefix}:ids", 0, -1)]

    def create(self, job_id: str) -> None:
        self.client.zadd(f"{self.prefix}:ids", {job_id: time.time()})

    def read(self, job_id: str) -> dict | None:
        raw = self.client.get(f"{self.prefix}:{job_id}")
        return None if raw is None else json.loads(raw)

    def write(self, job_id: str, status: dict) -> None:
        self.client.set(f"{self.prefix}:{job_id}", json.dumps(status, ensure_ascii=False), ex=KEEP_SECONDS)

    def work_path(self, job_id: str) -> Path:
        self.scratch.mkdir(parents=True, exist_ok=True)
        return self.scratch / f"{job_id}.output"

    def keep(self, job_id: str) -> int:
        """Moves the written file into Redis; its size."""
        path = self.work_path(job_id)
        data = path.read_bytes()
        self.client.set(f"{self.prefix}:{job_id}:output", data, ex=KEEP_SECONDS)
        path.unlink()
        return len(data)

    def output(self, job_id: str) -> io.BytesIO:
        data = self.client.get(f"{self.prefix}:{job_id}:output")
        if data is None:
            raise NotFound("未找到该导出任务（可能已过期，请重新导出）")
        return io.BytesIO(data)

    def remove_old(self) -> None:
        """Drops ids whose keys have expired (the keys expire by themselves)."""
        self.client.zremrangebyscore(f"{self.prefix}:ids", 0, time.time() - KEEP_SECONDS)


class Jobs:
    """Starts export jobs in this process; reads any job's status from the shared board."""

    def __init__(self, board: DiskBoard | RedisBoard, threads: int = 2, per_user: int = 2, total: int = 8):
        self.board = board
        self.per_user = per_user
        self.total = total
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="export")

    def start(self, spec: JobSpec, work: Work, *, owner: str = "") -> dict:
        """Queues ``work`` for ``owner``; returns the new job's status. Beyond a limit it is a 429: retry later."""
        with _shared_board(), self.board.locked():
            self.board.remove_old()
            active = [s for s in self._statuses() if s["state"] in ACTIVE_STATES]
            mine = sum(s.get("owner") == owner for s in active)
            if mine >= self.per_user:
                raise HttpError(429, f"您已有 {mine} 个导出任务在进行，请等其完成后再导出")
            if len(active) >= self.total:
                raise HttpError(429, "导出任务较多，请稍后再试")
            job_id = self._create(spec, owner)
        self._pool.submit(self._work, job_id, work)
        return self.status(job_id)

    def _statuses(self) -> list[dict]:
        out = []
        for job_id in self.board.ids():
            try:
                out.append(self.status(job_id))
            except NotFound:  # being created or removed right now, or expired
                continue
        return out

    def _create(self, spec: JobSpec, owner: str) -> str:
        job_id = secrets.token_hex(16)
        self.board.create(job_id)
        status = {"id": job_id, "kind": spec.kind, "filename": spec.filename, "mimetype": spec.mimetype,
                  "owner": owner, "state": "queued", "progress": 0.0, "message": "排队中", "error": None,
                  "http_status": None, "created": time.time()}
        self._write(job_id, status)
        return job_id

    def status(self, job_id: str) -> dict:
        """The job's status; raises NotFound for unknown or malformed ids."""
        if not isinstance(job_id, str) or not JOB_ID.fullmatch(job_id):
            raise NotFound("未找到该导出任务")
        with _shared_board():
            status = self.board.read(job_id)
        if status is None:
            raise NotFound("未找到该导出任务（可能已过期，请重新导出）")
        silent = time.time() - status["updated"]
        if (status["state"] == "running" and silent > STALE_SECONDS) or (
                status["state"] == "queued" and silent > QUEUE_SECONDS):
            status.update(state="failed", error="导出进程已中断，请重新导出", http_status=503)
        return status

    def output(self, job_id: str) -> Path | io.BytesIO:
        """The finished job's file, as ``send_file`` takes it."""
        with _shared_board():
            return self.board.output(job_id)

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

        try:
            progress(0.0, "开始导出")
            work(self.board.work_path(job_id), progress)
            size = self.board.keep(job_id)
        except Exception as exc:  # noqa: BLE001 - a failed export must say so, not stay "running" forever
            if is_expected(exc):
                self._update(job_id, state="failed", error=str(exc), http_status=status_of(exc), message="导出失败")
                return
            LOG.exception("export job %s failed", job_id)
            self._update(job_id, state="failed", error=f"导出失败（{type(exc).__name__}），请稍后重试",
                         http_status=500, message="导出失败")
        else:
            self._update(job_id, state="done", progress=1.0, message="已完成", size=size)

    def _update(self, job_id: str, **changes) -> None:
        status = self.board.read(job_id) or {}
        status.update(changes)
        self._write(job_id, status)

    def _write(self, job_id: str, status: dict) -> None:
        status["updated"] = time.time()
        self.board.write(job_id, status)
