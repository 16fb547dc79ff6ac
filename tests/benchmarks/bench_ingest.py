"""Ingest throughput and a 1 Hz position load; prints Markdown for docs/benchmarks.md.

    python -m tests.benchmarks.bench_ingest appeals [--backend postgis|sqlite|both] [--batches 20]
    python -m tests.benchmarks.bench_ingest writers [--writers 4] [--batches 5] [--singles 200]
    python -m tests.benchmarks.bench_ingest positions [--backend postgis|sqlite] [--workers 1300] [--seconds 60]

``appeals`` posts realistic appeals (from :class:`dashboard.tools.simulator.AppealFactory`)
through the real Flask handler of ``POST /api/appeals`` with Flask's test client,
in-process: JSON parsing, validation, grid assignment, the write and the JSON
answer are all timed, the network and the WSGI server are not. One appeal per
POST ("single") and 1,000 per POST ("batched").

``positions`` starts the real server (``python app.py --port P``, a separate
process) and posts one ping per worker per second, each second's pings in
batches of at most 1,000, over keep-alive HTTP; it reports the pings recorded
per second, request latency, and the server process's CPU from
``/proc/<pid>/stat``.

Each backend gets a fresh store: a temporary SQLite file, or the PostGIS
database ``zz_ingest_bench`` (created with the extension, dropped at the end),
seeded with the geography, the workers and 1,000 appeals.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from app import create_app
from dashboard import config
from dashboard.tools.simulator import AppealFactory, Patrol, load_grids
from geo import seeding
from geo.access import SYSTEM
from geo.domain import DEMO_SEED
from geo.scope import DISTRICT
from geo.store.store import Store

ROOT = Path(__file__).resolve().parents[2]
ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BENCH_DB = "zz_ingest_bench"
KEY = "bench-key"


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


class FreshStore:
    """A seeded store that exists only for the benchmark (context manager)."""

    def __init__(self, backend: str, admin_url: str = ADMIN_URL):
        self.backend, self.admin_url = backend, admin_url
        self.tmp = tempfile.TemporaryDirectory(prefix="zz_ingest_bench_")

    def __enter__(self) -> str:
        if self.backend == "sqlite":
            self.url = f"sqlite:///{Path(self.tmp.name) / 'bench.sqlite3'}"
        else:
            admin = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
                conn.exec_driver_sql(f'CREATE DATABASE "{BENCH_DB}"')
            self.url = sa.engine.make_url(self.admin_url).set(database=BENCH_DB).render_as_string(False)
            engine = sa.create_engine(self.url, poolclass=sa.pool.NullPool)
            with engine.begin() as conn:
                conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS postgis")
            engine.dispose()
        store = Store(self.url)
        seeding.seed(store, appeals=1000, days=30, seed=DEMO_SEED, progress=lambda _m: None)
        store.dispose()
        return self.url

    def __exit__(self, *exc) -> None:
        if self.backend == "postgis":
            admin = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        self.tmp.cleanup()


def appeals(factory: AppealFactory, n: int, now: datetime) -> list[dict]:
    return [factory.make(now)[0] for _ in range(n)]


def bench_appeals(backend: str, batches: int, singles: int, profile: str | None) -> None:
    grids = load_grids()
    now = datetime.now(UTC) - timedelta(minutes=1)
    factory = AppealFactory(grids, DEMO_SEED, now)
    with FreshStore(backend) as url, tempfile.TemporaryDirectory() as data_dir:
        app = create_app(config.load({"AUTH_DISABLED": "1", "DATABASE_URL": url, "DATA_DIR": data_dir, "INGEST_API_KEYS": KEY}))
        client = app.server.test_client()
        headers = {"X-API-Key": KEY, "Content-Type": "application/json"}

        def post(items) -> float:
            body = json.dumps(items, ensure_ascii=False)
            began = time.perf_counter()
            response = client.post("/api/appeals", data=body, headers=headers)
            elapsed = time.perf_counter() - began
            assert response.status_code in (200, 201), response.get_json()
            if isinstance(items, list):
                assert response.get_json().get("created") == len(items), response.get_json()
            return elapsed

        post(appeals(factory, 50, now))  # warm-up: pool, caches, the district polygon
        single = [post(a) for a in appeals(factory, singles, now)]
        batched = [appeals(factory, 1000, now) for _ in range(batches)]
        if profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        batch_times = [post(b) for b in batched]
        profile_path = None
        if profile:
            profiler.disable()
            profile_path = Path(profile)  # one file per backend, so --backend both keeps both
            profile_path = profile_path.with_name(f"{profile_path.stem}.{backend}{profile_path.suffix}")
            profiler.dump_stats(profile_path)
        store = Store(url)
        stored = store.count("appeals")
        store.dispose()
    print(f"### {backend}\n")
    print(f"- single (1 appeal per POST, n={singles}): {singles / sum(single):,.0f} appeals/s; "
          f"p50 {percentile(single, 50) * 1000:.1f} ms, p95 {percentile(single, 95) * 1000:.1f} ms per POST")
    print(f"- batched (1,000 per POST, n={batches} POSTs): {1000 * batches / sum(batch_times):,.0f} appeals/s; "
          f"p50 {percentile(batch_times, 50) * 1000:.0f} ms, max {max(batch_times) * 1000:.0f} ms per POST")
    print(f"- appeals stored afterwards: {stored:,} (1,000 seeded + 50 warm-up + {singles} + {1000 * batches:,})")
    print(f"- cProfile of the batched POSTs: {profile_path}\n" if profile_path else "")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process and its children (gunicorn's workers), from /proc/<pid>/stat (fields 14
    and 15, in clock ticks)."""
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False).stdout.split()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") + sum(cpu_seconds(int(c)) for c in children)


def machine_busy() -> tuple[float, float]:
    """(busy, total) clock ticks of all cores since boot, from /proc/stat: the context of a CPU figure."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def bench_positions(backend: str, n_workers: int, seconds: int) -> None:
    with FreshStore(backend) as url, tempfile.TemporaryDirectory() as data_dir:
        store = Store(url)
        workers = store.workers(DISTRICT, viewer=SYSTEM)
        store.dispose()
        items = workers["items"]
        chosen = (items * (n_workers // len(items) + 1))[:n_workers] if n_workers > len(items) else items[:n_workers]
        unique = len({w["id"] for w in chosen})
        with running_server(url, data_dir) as (server, port):
            patrol = Patrol(chosen, load_grids(), DEMO_SEED, datetime.now(UTC))
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            headers = {"X-API-Key": KEY, "Content-Type": "application/json"}
            latencies: list[float] = []
            recorded = 0
            errors = 0
            began = time.monotonic()
            cpu0 = cpu_seconds(server.pid)
            busy0 = machine_busy()
            for second in range(seconds):
                pings = patrol.tick(datetime.now(UTC))
                for lo in range(0, len(pings), 1000):
                    body = json.dumps(pings[lo:lo + 1000])
                    t0 = time.perf_counter()
                    conn.request("POST", "/api/positions", body=body, headers=headers)
                    response = conn.getresponse()
                    answer = json.loads(response.read())
                    latencies.append(time.perf_counter() - t0)
                    if response.status != 200:
                        errors += 1
                    else:
                        recorded += answer.get("recorded", 0)
                pause = began + second + 1 - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
            wall = time.monotonic() - began
            cpu = cpu_seconds(server.pid) - cpu0
            busy1 = machine_busy()
            conn.close()
        store = Store(url)
        positions = store.count("worker_positions")
        store.dispose()
    cores = os.cpu_count() or 1
    print(f"### {backend}: {n_workers:,} pings per second ({unique} distinct workers) for {seconds} s\n")
    print(f"- sustained: {recorded / wall:,.0f} pings/s recorded ({recorded:,} in {wall:.1f} s); "
          f"non-200 answers: {errors}")
    print(f"- request latency ({len(latencies)} POSTs of ≤1,000 pings): p50 {percentile(latencies, 50) * 1000:.0f} ms, "
          f"p95 {percentile(latencies, 95) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms")
    print(f"- server CPU: {cpu:.1f} s over {wall:.1f} s = {100 * cpu / wall:.0f}% of one core, "
          f"{100 * cpu / wall / cores:.0f}% of the machine's {cores} cores")
    print(f"- whole machine meanwhile (PostgreSQL, this load generator, anything else): "
          f"{100 * (busy1[0] - busy0[0]) / (busy1[1] - busy0[1]):.0f}% busy")
    print(f"- worker_positions rows afterwards: {positions:,}\n")


def bench_writers(writers: int, batches: int, singles: int) -> None:
    """Concurrent writers against the real server (gunicorn, 2 workers) on PostGIS: batches of 1,000 over HTTP,
    then single appeals, each writer on its own keep-alive connection."""
    grids = load_grids()
    now = datetime.now(UTC) - timedelta(minutes=1)
    factories = [AppealFactory(grids, DEMO_SEED + i, now) for i in range(writers)]
    with FreshStore("postgis") as url, tempfile.TemporaryDirectory() as data_dir:
        with running_server(url, data_dir, ANALYSIS_INTERVAL_MINUTES="0") as (server, port):
            headers = {"X-API-Key": KEY, "Content-Type": "application/json"}
            work = [[appeals(f, 1000, now) for _ in range(batches)] for f in factories]
            ones = [appeals(f, singles, now) for f in factories]

            def post_all(bodies: list, times: list, failures: list) -> None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                try:
                    for body in bodies:
                        t0 = time.perf_counter()
                        conn.request("POST", "/api/appeals", body=json.dumps(body, ensure_ascii=False).encode(),
                                     headers=headers)
                        response = conn.getresponse()
                        response.read()
                        assert response.status in (200, 201), response.status
                        times.append(time.perf_counter() - t0)
                except Exception as exc:  # noqa: BLE001 - raised again once every writer has stopped
                    failures.append(exc)
                finally:
                    conn.close()

            def run(jobs: list) -> tuple[float, list]:
                times: list[float] = []
                failures: list[Exception] = []
                threads = [threading.Thread(target=post_all, args=(j, times, failures)) for j in jobs]
                began = time.monotonic()
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                if failures:
                    raise failures[0]
                return time.monotonic() - began, times

            run([[appeals(factories[0], 50, now)]])  # warm-up
            wall, batch_times = run(work)
            single_wall, single_times = run(ones)
        store = Store(url)
        stored = store.count("appeals")
        store.dispose()
    print(f"### PostGIS, {writers} concurrent writers, real server (gunicorn, 2 workers), over HTTP\n")
    print(f"- batched: {writers * batches * 1000 / wall:,.0f} appeals/s ({writers * batches} POSTs of 1,000; "
          f"p50 {percentile(batch_times, 50) * 1000:.0f} ms, max {max(batch_times) * 1000:.0f} ms per POST)")
    print(f"- single: {writers * singles / single_wall:,.0f} appeals/s; p50 {percentile(single_times, 50) * 1000:.1f} ms, "
          f"p95 {percentile(single_times, 95) * 1000:.1f} ms per POST")
    print(f"- appeals stored afterwards: {stored:,} (1,000 seeded + 50 warm-up + {writers * (batches * 1000 + singles):,})\n")


@contextlib.contextmanager
def running_server(url: str, data_dir: str, **settings: str):
    """``python app.py`` on a free port with the benchmark's key, up and answering; (process, port)."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "DATA_DIR": data_dir, "INGEST_API_KEYS": KEY, **settings}
    server = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(port)
        yield server, port
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_for(port: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("server did not start")


def main() -> None:
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="what", required=True)
    a = sub.add_parser("appeals")
    a.add_argument("--backend", choices=("postgis", "sqlite", "both"), default="both")
    a.add_argument("--batches", type=int, default=20)
    a.add_argument("--singles", type=int, default=500)
    a.add_argument("--profile", help="write cProfile stats of the batched POSTs to PATH.<backend>.prof (PATH.prof given)")
    w = sub.add_parser("writers")
    w.add_argument("--writers", type=int, default=4)
    w.add_argument("--batches", type=int, default=5)
    w.add_argument("--singles", type=int, default=200)
    s = sub.add_parser("positions")
    s.add_argument("--backend", choices=("postgis", "sqlite"), default="postgis")
    s.add_argument("--workers", type=int, default=1300)
    s.add_argument("--seconds", type=int, default=60)
    args = p.parse_args()
    print(f"## Ingest benchmark, {datetime.now(UTC):%Y-%m-%d} (machine: {os.cpu_count()} cores)\n")
    if args.what == "appeals":
        for backend in (("postgis", "sqlite") if args.backend == "both" else (args.backend,)):
            bench_appeals(backend, args.batches, args.singles, args.profile)
    elif args.what == "writers":
        bench_writers(args.writers, args.batches, args.singles)
    else:
        bench_positions(args.backend, args.workers, args.seconds)


if __name__ == "__main__":
    main()
