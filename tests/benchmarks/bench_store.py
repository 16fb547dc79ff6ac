"""Seeding and /api/kpis latency at scale; prints Markdown for docs/benchmarks.md.

    python -m tests.benchmarks.bench_store --database-url URL [--appeals 1000000] [--skip-seed]

For PostGIS the database must exist with the extension enabled. Seeding
resets the store. KPI requests go through the Flask app (routing, parsing,
SQL, JSON), timed in-process.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from app import create_app
from dashboard import config
from geo import seeding
from geo.domain import DEMO_SEED, LOCAL_TZ, STREETS
from geo.store.store import Store

END = datetime(2026, 11, 27, 12, 0, tzinfo=LOCAL_TZ)


def database_size(store: Store) -> int:
    if store.backend.name == "sqlite":
        path = Path(sa.engine.make_url(store.url).database)
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    with store.connect() as conn:
        return conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar()


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def time_kpis(client, days: int, rounds: int) -> list[float]:
    to = END.date() + timedelta(days=1)
    start = to - timedelta(days=days)
    timings = []
    for i in range(rounds):
        code = list(STREETS)[i % len(STREETS)]
        # Vary the window a little so no answer is reused from a cache.
        shift = timedelta(days=i % 7)
        url = f"/api/kpis?scope=street&id={code}&from={start - shift}&to={to - shift}"
        began = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, response.get_json()
    return timings


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--database-url", required=True)
    p.add_argument("--appeals", type=int, default=1_000_000)
    p.add_argument("--rounds", type=int, default=200)
    p.add_argument("--skip-seed", action="store_true")
    args = p.parse_args()
    store = Store(args.database_url)
    print(f"## {store.backend.name}, {args.appeals:,} appeals (machine: {os.cpu_count()} cores)\n")
    if not args.skip_seed:
        began = time.perf_counter()
        seeding.seed(store, appeals=args.appeals, end=END, seed=DEMO_SEED, reset=True, progress=lambda m: None)
        print(f"- seed: {time.perf_counter() - began:.1f} s")
    print(f"- appeals stored: {store.count('appeals'):,}; events: {store.count('appeal_events'):,}")
    print(f"- database size: {database_size(store) / 2**20:,.0f} MiB")
    data_dir = tempfile.mkdtemp()  # the app's runtime files, not in the checkout
    client = create_app(config.load({"AUTH_DISABLED": "1", "DATABASE_URL": args.database_url, "DATA_DIR": data_dir})).server.test_client()
    time_kpis(client, 30, 10)  # warm-up: connection pool, caches
    for label, days in (("street, 30 days", 30), ("street, 365 days", 365)):
        t = time_kpis(client, days, args.rounds)
        print(
            f"- /api/kpis {label}: p50 {percentile(t, 50):.1f} ms, p95 {percentile(t, 95):.1f} ms"
            f" (n={len(t)}, max {max(t):.1f} ms)"
        )
    print(f"\n(run {date.today().isoformat()})")


if __name__ == "__main__":
    main()
