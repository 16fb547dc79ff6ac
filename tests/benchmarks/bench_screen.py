"""Big screen left running: browser memory over a long run; prints Markdown.

    python -m tests.benchmarks.bench_screen [--database-url URL] [--minutes 30] [--sample 30] [--tour 5] [--refresh 5]

Starts the dashboard (default: a freshly seeded SQLite demo store in a temporary
folder, its history ending now), opens ``/screen/?tour=…&refresh=…`` in headless
Chromium and, every ``--sample`` seconds, forces a garbage collection and reads
the JS heap, DOM nodes and event listeners through the DevTools protocol. With
the tour and refresh at 5 s instead of the 60 s a wall would use, 30 minutes
stand for 6 hours of normal running (12× as many updates).
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime

import numpy as np

from app import create_app
from dashboard import config

#: Read from the Dash renderer's store: how often each timer fired, and the renderer's undo history length.
PAGE_STATE = """
const state = window.store && window.store.getState();
if (!state) { return null; }
function props(id) {
  const path = state.paths.strs[id];
  let node = state.layout;
  for (const key of path) { node = node[key]; }
  return node.props;
}
const title = document.getElementById('screen-title');
return {tour: props('screen-tour').n_intervals || 0, refresh: props('screen-refresh').n_intervals || 0,
        history: state.history.past.length, dom: document.getElementsByTagName('*').length,
        title: title ? title.textContent : ''};
"""


def seeded_store(folder: str, appeals: int) -> str:
    from geo import seeding
    from geo.store.store import Store

    url = f"sqlite:///{folder}/bench-screen.sqlite3"
    store = Store(url)
    seeding.seed(store, appeals=appeals, days=60, progress=lambda _m: None)
    store.dispose()
    return url


def browser(width: int, height: int):
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--enable-precise-memory-info",
                f"--window-size={width},{height}", "--disable-background-networking", "--disable-component-update",
                "--disable-background-timer-throttling", "--disable-renderer-backgrounding"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
    return driver


def sample(driver) -> dict:
    """One reading after a forced GC: what would stay if the screen ran on."""
    driver.execute_cdp_cmd("HeapProfiler.collectGarbage", {})
    metrics = {m["name"]: m["value"] for m in driver.execute_cdp_cmd("Performance.getMetrics", {})["metrics"]}
    page = driver.execute_script(PAGE_STATE) or {}
    return {"heap": metrics["JSHeapUsedSize"], "nodes": int(metrics["Nodes"]),
            "listeners": int(metrics["JSEventListeners"]), **page}


def slope_kb_per_hour(seconds: list[float], heap: list[float]) -> float:
    if len(seconds) < 2:
        return float("nan")
    return float(np.polyfit(np.array(seconds) / 3600, np.array(heap) / 1024, 1)[0])


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--database-url", help="default: a freshly seeded SQLite demo store in a temporary folder")
    p.add_argument("--appeals", type=int, default=20_000, help="appeals to seed when no --database-url")
    p.add_argument("--minutes", type=float, default=30)
    p.add_argument("--sample", type=float, default=30, help="seconds between readings")
    p.add_argument("--tour", type=int, default=5)
    p.add_argument("--refresh", type=int, default=5)
    p.add_argument("--viewport", default="1920x1080")
    p.add_argument("--port", type=int, default=8098)
    p.add_argument("--simulate", type=float, default=0,
                   help="also run `python app.py simulate` at this many appeals per minute (with 300 workers "
                        "pinging every 5 s), so the live poll patches workers and refreshes panels throughout")
    args = p.parse_args()
    width, height = (int(v) for v in args.viewport.split("x"))

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request would bury the table
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or seeded_store(folder, args.appeals)
        app = create_app(config.load({"AUTH_DISABLED": "1", "DATABASE_URL": url, "DATA_DIR": folder,
                                        "INGEST_API_KEYS": "bench:bench-screen-key"}))
        server = make_server("127.0.0.1", args.port, app.server, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        simulator = None
        if args.simulate:
            simulator = subprocess.Popen(
                [sys.executable, "app.py", "simulate", "--url", f"http://127.0.0.1:{args.port}",
                 "--api-key", "bench-screen-key", "--rate", str(args.simulate), "--workers", "300",
                 "--duration", str(int(args.minutes * 60 + 90))],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        driver = browser(width, height)
        try:
            driver.execute_cdp_cmd("Performance.enable", {})
            driver.get(f"http://127.0.0.1:{args.port}/screen/?tour={args.tour}&refresh={args.refresh}")
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and driver.execute_script(
                    "const e = document.getElementById('screen-kpi-accepted-value');"
                    "return !e || e.textContent === '—';"):
                time.sleep(0.5)
            began = time.monotonic()
            print(f"## Big screen at {width}×{height}: tour {args.tour} s, refresh {args.refresh} s, "
                  f"{args.minutes:g} min (started {datetime.now().isoformat(timespec='minutes')})\n")
            print("| minute | JS heap (MB) | DOM nodes (CDP) | elements | listeners | tour ticks | refresh ticks "
                  "| renderer history | title |")
            print("|---|---|---|---|---|---|---|---|---|")
            rows = []
            while True:
                elapsed = time.monotonic() - began
                row = {"t": elapsed, **sample(driver)}
                rows.append(row)
                print(f"| {elapsed / 60:.1f} | {row['heap'] / 2**20:.2f} | {row['nodes']:,} | {row.get('dom', 0):,} | "
                      f"{row['listeners']:,} | {row.get('tour', 0):,} | {row.get('refresh', 0):,} | "
                      f"{row.get('history', 0):,} | {row.get('title', '')} |", flush=True)
                if elapsed >= args.minutes * 60:
                    break
                time.sleep(max(0.0, min(args.sample, args.minutes * 60 - elapsed)))
            summarize(rows, args)
            errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
            print(f"\nSEVERE browser log entries: {len(errors)}")
            for entry in errors[:5]:
                print(f"- {entry['message'][:200]}")
        finally:
            driver.quit()
            if simulator is not None:
                simulator.terminate()
            server.shutdown()


def summarize(rows: list[dict], args) -> None:
    heap = [r["heap"] for r in rows]
    seconds = [r["t"] for r in rows]
    warm = [i for i, r in enumerate(rows) if r["t"] >= 300] or list(range(len(rows)))
    last = rows[-1]
    stops = 6  # the district and its five streets
    print()
    print("| measure | value |")
    print("|---|---|")
    print(f"| run | {seconds[-1] / 60:.1f} min, {len(rows)} readings |")
    print(f"| tour steps / full tours | {last.get('tour', 0):,} / {last.get('tour', 0) // stops:,} |")
    print(f"| data refreshes | {last.get('refresh', 0):,} |")
    print(f"| normal use this stands for (tour and refresh every 60 s) | "
          f"{max(last.get('tour', 0), last.get('refresh', 0)) / 60:.1f} h |")
    print(f"| JS heap after GC, min / max / last | {min(heap) / 2**20:.2f} / {max(heap) / 2**20:.2f} / "
          f"{heap[-1] / 2**20:.2f} MB |")
    print(f"| heap slope, all readings (linear fit) | {slope_kb_per_hour(seconds, heap):+,.0f} KB/h |")
    print(f"| heap slope, after the first 5 min | "
          f"{slope_kb_per_hour([seconds[i] for i in warm], [heap[i] for i in warm]):+,.0f} KB/h |")
    print(f"| DOM nodes (CDP), min / max | {min(r['nodes'] for r in rows):,} / {max(r['nodes'] for r in rows):,} |")
    print(f"| elements in document, min / max | {min(r.get('dom', 0) for r in rows):,} / "
          f"{max(r.get('dom', 0) for r in rows):,} |")
    print(f"| event listeners, min / max | {min(r['listeners'] for r in rows):,} / "
          f"{max(r['listeners'] for r in rows):,} |")
    print(f"| Dash renderer undo history, first / last | {rows[0].get('history', 0):,} / {last.get('history', 0):,} |")


if __name__ == "__main__":
    main()
