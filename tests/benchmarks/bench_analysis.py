"""The 未诉先办 analysis at scale: one run's time per step and peak memory, and what its results cost a view.

    python -m tests.benchmarks.bench_analysis --database-url URL [--as-of ISO] [--reads 50]

The store must be seeded (e.g. ``python app.py seed --appeals 1000000``). Runs
the job once in this process (as ``python app.py analyze`` does), printing each
step's seconds and the process's peak resident memory; then times the reads the
dashboard's panel and hotspot layer make per drill-down (stored results only),
for the district and a street, p50 / p95 over ``--reads`` calls.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from datetime import datetime

from geo.access import SYSTEM, Viewer
from geo.analysis.run import analyze
from geo.scope import DISTRICT, Scope
from geo.store.store import Store

STREET = Scope("street", "370212001")


def timed(call, n: int) -> tuple[float, float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--as-of", type=datetime.fromisoformat)
    parser.add_argument("--reads", type=int, default=50)
    args = parser.parse_args()
    store = Store(args.database_url)
    store.migrate()
    began = time.monotonic()
    result = analyze(store, args.as_of, progress=lambda line: print(f"  {line}"))
    wall = time.monotonic() - began
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nbackend {store.backend.name}, appeals {store.count('appeals'):,}, as_of {result['as_of']}")
    print(f"one run: {wall:.1f} s wall, peak resident memory {peak_mib:,.0f} MiB\n")
    print("| step | seconds |")
    print("|---|---|")
    for step, seconds in result["seconds"].items():
        print(f"| {step} | {seconds:.2f} |")
    run_id = store.latest_run()["id"]
    street = Viewer("street", STREET, "bench")
    reads = {
        "latest run": lambda: store.latest_run(),
        "hotspots, district": lambda: store.hotspots(DISTRICT, SYSTEM, None, run_id),
        "hotspots, street": lambda: store.hotspots(STREET, street, None, run_id),
        "list, district": lambda: store.proactive_items(DISTRICT, SYSTEM),
        "list, street": lambda: store.proactive_items(STREET, street),
        "forecast, street, one category": lambda: store.forecasts(STREET, street, "heating", run_id),
        "open items by level (wall)": lambda: store.proactive_counts(DISTRICT, SYSTEM),
    }
    print(f"\n| read per view ({args.reads} calls) | p50 ms | p95 ms |")
    print("|---|---|---|")
    for name, call in reads.items():
        p50, p95 = timed(call, args.reads)
        print(f"| {name} | {p50:.1f} | {p95:.1f} |")
    store.dispose()


if __name__ == "__main__":
    main()
