"""Concurrent users replaying drill-downs against a real server: views per second and latency, cold and warm.

Starts ``python app.py`` (gunicorn, or Werkzeug with ``--dev``) on a store, then
``--users`` threads each call the dashboard's panels callback over HTTP, as the
browser does, for street × 30-day views. Cold: every view has a window never
asked before (a cache miss). Warm: the same five views over and over.

    python -m tests.benchmarks.bench_concurrency --database-url sqlite:////tmp/bench/zhizhi.sqlite3 \\
        --users 30 --seconds 20 [--dev] [--redis-url redis://127.0.0.1:6379/11]
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import date, timedelta

from tests.test_multiprocess import Server, panels_callback

STREETS = ["370212001", "370212002", "370212003", "370212004", "370212005"]


def views(cold: bool):
    """Endless street × 30-day searches: all different (cold) or five repeated (warm)."""
    end = date(2026, 11, 20)
    if not cold:
        yield from itertools.cycle([f"?scope=street&id={s}&from={end - timedelta(days=29)}&to={end}" for s in STREETS])
    for offset in itertools.count():
        street, day = STREETS[offset % 5], end - timedelta(days=offset // 5 % 700)
        yield f"?scope=street&id={street}&from={day - timedelta(days=29)}&to={day}"


def run(server: Server, users: int, seconds: float, cold: bool) -> dict:
    searches = views(cold)
    lock = threading.Lock()
    latencies: list[float] = []
    stop = time.monotonic() + seconds

    def user():
        while time.monotonic() < stop:
            with lock:
                search = next(searches)
            started = time.monotonic()
            panels_callback(server, search)
            with lock:
                latencies.append(time.monotonic() - started)

    threads = [threading.Thread(target=user) for _ in range(users)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - began
    latencies.sort()
    return {"views": len(latencies), "per_second": len(latencies) / elapsed,
            "p50_ms": 1000 * statistics.median(latencies),
            "p95_ms": 1000 * latencies[int(0.95 * (len(latencies) - 1))]}


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--database-url", required=True)
    p.add_argument("--users", type=int, default=30)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--dev", action="store_true", help="Werkzeug's development server instead of gunicorn")
    p.add_argument("--redis-url", default="")
    p.add_argument("--workers", default="2")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        server = Server(args.database_url, args.redis_url, data_dir, ("--dev",) if args.dev else (),
                        WEB_WORKERS=args.workers, CACHE_SECONDS="3600")
        try:
            server.wait_up()
            panels_callback(server, "?scope=street&id=370212001")  # load the app's code paths once
            name = "Werkzeug --dev" if args.dev else f"gunicorn, {args.workers} workers"
            for cold in (True, False):
                r = run(server, args.users, args.seconds, cold)
                print(f"{name}, {args.users} users, {'cold' if cold else 'warm'}: {r['views']} views, "
                      f"{r['per_second']:.1f} views/s, p50 {r['p50_ms']:.0f} ms, p95 {r['p95_ms']:.0f} ms",
                      flush=True)
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    sys.exit(main())
