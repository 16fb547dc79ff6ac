"""End-to-end latency from POST /api/appeals to visible in the browser; prints Markdown.

    python -m tests.benchmarks.bench_live --database-url URL [--rounds 30]

Serves the real app (threaded werkzeug) on the given store, opens the dashboard
in headless Chromium, then repeatedly POSTs one appeal and measures, from the
moment the POST returns, how long until its title is in the 最新诉求 ticker and
until the 受理量 card shows the new count. Rounds start at random offsets so
they sample every phase of the 3 s poll. The store gets the test appeals.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import threading
import time
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import JavascriptException
from selenium.webdriver.chrome.options import Options
from werkzeug.serving import make_server

from app import create_app
from dashboard import config
from geo.store.store import Store

KEY = "bench-live"


def browser() -> webdriver.Chrome:
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1600,1000",
                 "--disable-background-networking", "--disable-component-update"):
        options.add_argument(flag)
    return webdriver.Chrome(options=options)


def post(base: str, body: dict) -> dict:
    request = urllib.request.Request(base + "/api/appeals", data=json.dumps(body).encode(), method="POST",
                                     headers={"X-API-Key": KEY, "Content-Type": "application/json"})
    with urllib.request.urlopen(request) as r:
        return json.load(r)


def until(driver, script: str, timeout: float = 30) -> float:
    """The moment (perf_counter) the script first returns true."""
    began = time.perf_counter()
    while time.perf_counter() - began < timeout:
        try:
            if driver.execute_script(script):
                return time.perf_counter()
        except JavascriptException:  # not rendered yet
            pass
        time.sleep(0.02)
    raise TimeoutError(script)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--database-url", required=True)
    p.add_argument("--rounds", type=int, default=30)
    args = p.parse_args()
    Store(args.database_url).migrate()
    app = create_app(config.load({"AUTH_DISABLED": "1", "DATABASE_URL": args.database_url, "DATA_DIR": tempfile.mkdtemp(),
                                    "INGEST_API_KEYS": f"bench:{KEY}"}))
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    driver = browser()
    rng = random.Random(7)
    ticker_s, card_s = [], []
    try:
        driver.get(base + "/")
        until(driver, "return document.querySelector('#live-indicator').textContent.includes('更新于')", 60)
        time.sleep(3)
        for i in range(args.rounds):
            time.sleep(rng.uniform(0.5, 3.5))
            before = driver.execute_script("return document.querySelector('#kpi-accepted .kpi-value').textContent")
            title = f"测评诉求 {time.time_ns()}"
            post(base, {"source": "wechat", "source_ref": f"bench-live-{time.time_ns()}", "kind": "livelihood",
                        "category": "noise", "title": title, "lon": 120.4462, "lat": 36.1349})
            posted = time.perf_counter()
            seen = until(driver, f"return document.querySelector('#panel-ticker').textContent.includes({title!r})")
            card = until(driver, "return document.querySelector('#kpi-accepted .kpi-value').textContent"
                                 f" !== {before!r}")
            seen, card = seen - posted, card - posted
            ticker_s.append(seen)
            card_s.append(card)
            print(f"round {i + 1}: ticker {seen:.2f} s, KPI card {card:.2f} s", flush=True)
    finally:
        driver.quit()
        server.shutdown()
    print(f"\n{args.rounds} rounds on {args.database_url.split('@')[-1]}\n")
    print("| visible in | p50 | p95 | max |")
    print("|---|---|---|---|")
    for label, values in (("最新诉求 ticker", ticker_s), ("受理量 KPI card", card_s)):
        print(f"| {label} | {statistics.median(values):.2f} s | {percentile(values, 0.95):.2f} s | "
              f"{max(values):.2f} s |")


if __name__ == "__main__":
    main()
