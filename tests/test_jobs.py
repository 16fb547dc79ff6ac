"""Export jobs: progress, failure, interruption and sharing between server workers."""

from __future__ import annotations

import json
import os
import threading
import time

import pytest
import redis

from dashboard import services
from dashboard.errors import HttpError
from dashboard.exports import jobs as jobs_module
from dashboard.exports.jobs import DiskBoard, Jobs, JobSpec, RedisBoard
from geo.store.errors import NotFound, StoreUnavailable
from tests.conftest import account_for, client_of

SPEC = JobSpec("xlsx", "诉求数据.xlsx", "application/octet-stream")


@pytest.fixture(params=["disk", "redis"])
def board(request, tmp_path):
    """Each test runs on both boards: files (one machine) and Redis (any machine); each call is another process's."""
    if request.param == "disk":
        return lambda: DiskBoard(tmp_path)
    client = redis.Redis.from_url(request.getfixturevalue("redis_url"))
    return lambda: RedisBoard(client, "tests", tmp_path / "scratch")


def read_output(jobs: Jobs, job_id: str) -> bytes:
    output = jobs.output(job_id)
    return output.read_bytes() if hasattr(output, "read_bytes") else output.read()


def blocked_work(gate: threading.Event):
    def work(path, progress):
        progress(0.5, "一半")
        assert gate.wait(10)
        path.write_bytes(b"done")

    return work


def wait_for(jobs: Jobs, job_id: str, state: str, message: str | None = None) -> dict:
    """The job's status once it is in ``state`` (and says ``message``, if given: "running" starts at 开始导出)."""
    for _ in range(200):
        status = jobs.status(job_id)
        if status["state"] == state and message in (None, status["message"]):
            return status
        time.sleep(0.02)
    raise AssertionError(f"job stayed {status['state']}")


def test_progress_then_done_seen_by_another_worker(board):
    gate = threading.Event()
    mine, other_worker = Jobs(board()), Jobs(board())
    job = mine.start(SPEC, blocked_work(gate))
    running = wait_for(other_worker, job["id"], "running", "一半")
    assert running["progress"] == 0.5
    gate.set()
    done = other_worker.wait(job["id"], 5)
    assert done["state"] == "done" and done["progress"] == 1.0 and done["size"] == 4
    assert read_output(other_worker, job["id"]) == b"done"


def test_store_error_keeps_its_status(board):
    jobs = Jobs(board())

    def work(path, progress):
        raise StoreUnavailable("数据库暂时不可用")

    status = jobs.wait(jobs.start(SPEC, work)["id"], 5)
    assert status["state"] == "failed" and status["http_status"] == 503 and "数据库" in status["error"]


def test_unexpected_error_fails_the_job_without_details(board):
    jobs = Jobs(board())

    def work(path, progress):
        raise ValueError("/secret/path")

    status = jobs.wait(jobs.start(SPEC, work)["id"], 5)
    assert status["state"] == "failed" and status["http_status"] == 500
    assert "/secret" not in status["error"] and "ValueError" in status["error"]


def test_a_job_whose_worker_died_reports_interrupted(board, monkeypatch):
    gate = threading.Event()
    jobs = Jobs(board())
    job = jobs.start(SPEC, blocked_work(gate))
    wait_for(jobs, job["id"], "running")
    monkeypatch.setattr(jobs_module.time, "time", lambda: time.monotonic() + 10**10)
    status = jobs.status(job["id"])
    assert status["state"] == "failed" and "中断" in status["error"]
    gate.set()


def test_old_jobs_are_removed(tmp_path):
    jobs = Jobs(DiskBoard(tmp_path))
    old = jobs.wait(jobs.start(SPEC, lambda path, progress: path.write_bytes(b"x"))["id"], 5)
    long_ago = time.time() - jobs_module.KEEP_SECONDS - 10
    os.utime(tmp_path / old["id"] / "status.json", (long_ago, long_ago))
    jobs.start(SPEC, lambda path, progress: path.write_bytes(b"y"))
    with pytest.raises(NotFound):
        jobs.status(old["id"])


def test_redis_keeps_a_job_for_an_hour_then_lets_it_expire(redis_url, tmp_path):
    client = redis.Redis.from_url(redis_url)
    jobs = Jobs(RedisBoard(client, "tests", tmp_path / "scratch"))
    job = jobs.wait(jobs.start(SPEC, lambda path, progress: path.write_bytes(b"x"))["id"], 5)
    assert job["state"] == "done" and read_output(jobs, job["id"]) == b"x"
    keys = client.keys("zhizhi:jobs:tests:" + job["id"] + "*")
    assert len(keys) == 2 and all(0 < client.ttl(k) <= jobs_module.KEEP_SECONDS for k in keys)
    assert not any((tmp_path / "scratch").iterdir())  # the scratch file went to Redis
    client.delete(*keys)  # what expiry does an hour later
    with pytest.raises(NotFound):
        jobs.status(job["id"])
    jobs.start(SPEC, lambda path, progress: None)  # a start forgets ids whose keys expired
    old = time.time() - jobs_module.KEEP_SECONDS - 1
    client.zadd("zhizhi:jobs:tests:ids", {job["id"]: old})
    jobs.start(SPEC, lambda path, progress: None)
    assert job["id"] not in jobs.board.ids()


def test_redis_away_is_a_clear_503(tmp_path):
    client = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    with pytest.raises(HttpError) as away:
        Jobs(RedisBoard(client, "tests", tmp_path)).start(SPEC, lambda path, progress: None)
    assert away.value.status == 503 and "稍后重试" in str(away.value)


@pytest.mark.parametrize("job_id", ["", "x" * 32, "../" + "0" * 29, None, 123])
def test_malformed_ids(board, job_id):
    with pytest.raises(NotFound):
        Jobs(board()).status(job_id)


def test_download_before_done_is_409(make_app, seeded_sqlite_path):
    app = make_app(f"sqlite:///{seeded_sqlite_path}")
    gate = threading.Event()
    client = client_of(app)
    owner, _ = account_for(app)  # the signed-in district account owns the job
    job = app.server.extensions[services.EXPORTER_KEY].jobs.start(SPEC, blocked_work(gate), owner=owner)
    r = client.get(f"/export/jobs/{job['id']}/download")
    assert r.status_code == 409 and "尚未完成" in r.get_json()["error"]
    doc = client.get(f"/export/jobs/{job['id']}").get_json()
    assert doc["download_url"] is None and "path" not in json.dumps(doc)
    gate.set()
    app.server.extensions[services.EXPORTER_KEY].jobs.wait(job["id"], 5)
    assert client.get(f"/export/jobs/{job['id']}/download").data == b"done"



def test_a_queued_job_is_not_declared_dead_and_a_full_queue_says_busy(board, monkeypatch):
    gate = threading.Event()
    jobs = Jobs(board(), threads=1, per_user=2, total=2)
    running = jobs.start(SPEC, blocked_work(gate), owner="a")
    queued = jobs.start(SPEC, blocked_work(gate), owner="b")
    with pytest.raises(HttpError, match="导出任务较多") as busy:
        jobs.start(SPEC, blocked_work(gate), owner="c")
    assert busy.value.status == 429
    later = time.time() + jobs_module.STALE_SECONDS + 60
    monkeypatch.setattr(jobs_module.time, "time", lambda: later)
    assert jobs.status(queued["id"])["state"] == "queued"  # waiting for a thread is not death
    monkeypatch.undo()
    gate.set()
    assert jobs.wait(running["id"], 5)["state"] == jobs.wait(queued["id"], 5)["state"] == "done"
    assert jobs.start(SPEC, lambda path, progress: path.write_bytes(b"z"))["state"] in ("queued", "running", "done")


def test_one_user_cannot_take_every_slot_and_the_count_is_shared_by_processes(board):
    gate = threading.Event()
    mine, other_process = Jobs(board(), per_user=2, total=3), Jobs(board(), per_user=2, total=3)
    first = mine.start(SPEC, blocked_work(gate), owner="attacker")
    other_process.start(SPEC, blocked_work(gate), owner="attacker")
    for jobs in (mine, other_process):
        with pytest.raises(HttpError, match="已有 2 个导出任务") as refused:
            jobs.start(SPEC, blocked_work(gate), owner="attacker")
        assert refused.value.status == 429
    other_process.start(SPEC, blocked_work(gate), owner="leader")  # the last slot
    with pytest.raises(HttpError, match="导出任务较多") as full:
        mine.start(SPEC, blocked_work(gate), owner="someone-else")
    assert full.value.status == 429
    gate.set()
    mine.wait(first["id"], 5)
    for job_id in mine.board.ids():
        wait_for(mine, job_id, "done")
    assert mine.start(SPEC, lambda path, progress: path.write_bytes(b"x"), owner="attacker")["id"]  # slots freed


def test_a_dead_job_frees_its_slot(board, monkeypatch):
    gate = threading.Event()
    jobs = Jobs(board(), per_user=1, total=1)
    job = jobs.start(SPEC, blocked_work(gate), owner="a")
    # At its half-way note the worker writes nothing more until the gate opens: from then on it is silent
    # (a write after the clock is moved below would carry the moved time and look alive).
    wait_for(jobs, job["id"], "running", "一半")
    with pytest.raises(HttpError):
        jobs.start(SPEC, blocked_work(gate), owner="a")
    later = time.time() + jobs_module.STALE_SECONDS + 60
    monkeypatch.setattr(jobs_module.time, "time", lambda: later)  # its worker went silent: interrupted
    assert jobs.start(SPEC, blocked_work(gate), owner="a")["state"] in ("queued", "running")
    gate.set()
