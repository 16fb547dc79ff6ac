"""Two server processes (``python app.py``, gunicorn) on one PostGIS store and one Redis, as on two machines.

Each has its own DATA_DIR (no shared disk), so whatever they agree on went
through the database or Redis: the same answers to the same requests, a write
through one seen through the other within a live poll, an export started on
one polled and downloaded through the other.
"""

from __future__ import annotations

import io
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from urllib.parse import quote

import openpyxl
import pytest

from dashboard.ui import ids
from tests.conftest import CHECKOUT

KEY = "multi-key"
#: The live poll's period: a write must show through the other server within it.
LIVE_POLL_SECONDS = 3
#: A point in 中韩街道.
LON, LAT = 120.4462, 36.1349
AS_OF = "2026-11-21T00:00:00+08:00"  # after every window of VIEWS


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One ``python app.py`` with its own data folder; ``get``/``post`` return (status, headers, body bytes)."""

    def __init__(self, database_url: str, redis_url: str, data_dir, extra_args: tuple = (), **settings: str):
        self.data_dir = data_dir
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "DATA_DIR": str(data_dir), "REDIS_URL": redis_url, "AUTH_DISABLED": "1",
               "INGEST_API_KEYS": f"tests:{KEY}", "ANALYSIS_INTERVAL_MINUTES": "0", "WEB_WORKERS": "2",
               "EXPORT_WAIT_SECONDS": "0", **settings}
        self.proc = subprocess.Popen([sys.executable, "app.py", "--database-url", database_url, "--port",
                                      str(self.port), *extra_args], cwd=CHECKOUT, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        threading.Thread(target=lambda: self.lines.extend(self.proc.stdout), daemon=True).start()

    def wait_up(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.get("/healthz")[0] == 200:
                    return
            except OSError:
                pass
            assert self.proc.poll() is None, "".join(self.lines)
            assert time.monotonic() < deadline, "server did not come up:\n" + "".join(self.lines)
            time.sleep(0.3)

    def request(self, path: str, data: bytes | None = None, headers: dict | None = None):
        req = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def get(self, path: str):
        return self.request(path)

    def post_json(self, path: str, body: dict, headers: dict | None = None):
        return self.request(path, json.dumps(body, ensure_ascii=False).encode(),
                            {"Content-Type": "application/json", **(headers or {})})

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture
def two_servers(postgres, seeded_postgis_db, redis_url, tmp_path):
    name = postgres.create(template=seeded_postgis_db)
    servers = [Server(postgres.url(name), redis_url, tmp_path / f"machine-{i}") for i in (1, 2)]
    try:
        for server in servers:
            server.wait_up()
        yield servers
    finally:
        for server in servers:
            server.stop()
        postgres.drop(name)


def _threads(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return int(status.read().split("Threads:")[1].split()[0])


def panels_callback(server: Server, search: str) -> dict:
    """The dashboard's panels callback, called over HTTP as the browser calls it; its outputs by component id."""
    deps = json.loads(server.get("/_dash-dependencies")[2])
    callback = next(d for d in deps if f"{ids.KPI_CARDS}.children" in d["output"])
    outputs = [dict(zip(("id", "property"), part.rsplit(".", 1), strict=True))
               for part in callback["output"].strip(".").split("...")]
    body = {"output": callback["output"], "outputs": outputs,
            "inputs": [{"id": ids.URL, "property": "search", "value": search},
                       {"id": ids.REFRESH, "property": "n_intervals", "value": 0}],
            "changedPropIds": [f"{ids.URL}.search"], "state": []}
    status, _, raw = server.post_json("/_dash-update-component", body)
    assert status == 200, raw[:300]
    return json.loads(raw)["response"]


def kpi_accepted(server: Server, search: str) -> int:
    status, _, raw = server.get(f"/api/kpis{search}")
    assert status == 200, raw[:300]
    return json.loads(raw)["kpis"]["accepted"]["value"]


VIEWS = ["?from=2026-10-01&to=2026-11-20", "?scope=street&id=370212002&from=2026-11-01&to=2026-11-20",
         "?scope=street&id=370212004&from=2026-09-22&to=2026-11-20&category=noise"]


@pytest.mark.postgis
def test_two_servers_agree_see_each_others_writes_and_share_export_jobs(two_servers):
    first, second = two_servers

    # The same requests get the same answers from either server (the map image too, byte for byte).
    for search in VIEWS:
        for _ in range(3):  # the two calls must fall in the same minute (the as-of time is to the minute)
            a, b = panels_callback(first, search), panels_callback(second, search)
            if a[ids.DATA_AS_OF] == b[ids.DATA_AS_OF]:
                break
        assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True), search
        # A pinned as-of time: "now" to the second may tick between the two requests (it did, in CI).
        pinned = f"/api/kpis{search}&as_of={quote(AS_OF)}"
        (status, _, kpis_a), (_, _, kpis_b) = first.get(pinned), second.get(pinned)
        assert status == 200 and json.loads(kpis_a)["kpis"]["accepted"]["value"] > 0, kpis_a[:300]
        assert kpis_a == kpis_b
        assert first.get(f"/api/map/heat.png{search}")[2] == second.get(f"/api/map/heat.png{search}")[2]

    # A write through the first server shows through the second within one live poll, cached panels included.
    today = "?scope=street&id=370212001"  # 中韩街道, the default window: the last 30 days, today included
    before_cards = panels_callback(second, today)[ids.KPI_CARDS]
    before = kpi_accepted(second, today)
    appeals = [{"source": "hotline_12345", "source_ref": f"MP-{i}", "kind": "livelihood", "category": "noise",
                "priority": "normal", "title": "夜间施工噪音", "description": "工地夜里施工",
                "reporter_name": "张三", "reporter_phone": "13812345678", "lon": LON, "lat": LAT,
                "accepted_at": datetime.now(UTC).isoformat()} for i in range(7)]
    status, _, raw = first.post_json("/api/appeals", {"appeals": appeals}, {"X-API-Key": KEY})
    assert status == 200 and json.loads(raw)["created"] == 7, raw[:300]
    written = time.monotonic()
    while True:
        cards = panels_callback(second, today)[ids.KPI_CARDS]
        if cards != before_cards and f"{before + 7:,}" in json.dumps(cards, ensure_ascii=False):
            break
        assert time.monotonic() - written < LIVE_POLL_SECONDS, "the second server still shows the old panels"
        time.sleep(0.1)
    assert kpi_accepted(second, today) == before + 7

    # An export started on the first server is polled and downloaded through the second (no shared disk).
    status, headers, raw = first.get("/export/appeals.xlsx?scope=street&id=370212002&from=2026-11-01&to=2026-11-20")
    assert status == 202, raw[:300]
    job = json.loads(raw)
    deadline = time.monotonic() + 120
    while True:
        status, _, raw = second.get(job["status_url"])
        assert status == 200, raw[:300]
        doc = json.loads(raw)
        if doc["state"] == "done":
            break
        assert doc["state"] in ("queued", "running") and time.monotonic() < deadline, doc
        time.sleep(0.2)
    status, headers, data = second.get(doc["download_url"])
    assert status == 200 and headers["Content-Type"].startswith("application/vnd.openxmlformats"), headers
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert len(workbook.sheetnames) >= 2
    # Nothing of the job stays on either machine's disk: it lives in Redis.
    assert not [p for server in two_servers for p in (server.data_dir / "exports").rglob("*") if p.is_file()]


@pytest.mark.postgis
def test_idle_connections_hold_no_thread_and_never_starve_a_request(two_servers):
    """Werkzeug's server started a thread per idle socket without limit (2,000 sockets, 2,006 threads); gunicorn's
    workers keep a fixed pool and park idle sockets in a poller after their first-byte wait."""
    server = two_servers[0]
    idle = [socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in range(1000)]
    try:
        started = time.monotonic()
        status, _, _ = server.get("/healthz")
        waited = time.monotonic() - started
        assert status == 200 and waited < 15, f"a request waited {waited:.1f} s behind 1,000 idle sockets"
        pids = subprocess.run(["pgrep", "-f", "--", f"app.py --database-url .* --port {server.port}"],
                              capture_output=True, text=True, check=False).stdout.split()
        assert len(pids) == 3, pids  # gunicorn's arbiter and its two workers
        threads = sum(_threads(int(pid)) for pid in pids)
        assert threads <= 3 + 2 * (32 + 2), f"{threads} threads in {len(pids)} processes for 1,000 idle sockets"
    finally:
        for s in idle:
            s.close()


@pytest.mark.postgis
def test_a_fresh_worker_serves_a_pages_scripts_at_once(postgres, seeded_postgis_db, redis_url, tmp_path, make_app):
    """The first page load after a start: its script bundles, requested together before any other request,
    all load (Dash's first-request setup raced them on a fresh threaded worker: plotly/dash#3971)."""
    name = postgres.create(template=seeded_postgis_db)
    # The page's script URLs, from an app built here (their fingerprints are the files' own).
    page = make_app(postgres.url(name), AUTH_DISABLED="1").server.test_client().get("/").get_data(as_text=True)
    scripts = re.findall(r'src="(/_dash-component-suites/[^"]+)"', page)
    assert len(scripts) >= 5
    server = Server(postgres.url(name), redis_url, tmp_path / "server")
    try:
        deadline = time.monotonic() + 120
        while True:  # listening, and no request sent yet: the scripts are the workers' first requests
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", server.port)) == 0:
                    break
            assert server.proc.poll() is None and time.monotonic() < deadline, "".join(server.lines)
            time.sleep(0.1)
        with ThreadPoolExecutor(max_workers=40) as pool:
            statuses = list(pool.map(lambda path: server.get(path)[0], scripts * 8))
        assert statuses == [200] * len(statuses), statuses
    finally:
        server.stop()
        postgres.drop(name)
