"""Opening a link: how many callbacks the page runs and the server time they take; prints Markdown.

    python -m tests.benchmarks.bench_page_open [--database-url URL] [--rounds 3]

Starts the dashboard (default: a freshly seeded SQLite demo store, as ``bench_screen``), opens each link
in headless Chromium as a new page load and counts the ``_dash-update-component`` requests that load makes,
timing each on the server, and how long the map takes to draw the link's units (polled every 0.2 s). The
first round is cold (empty view cache); later rounds are warm.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import threading
import time

from flask import g, request

from app import create_app
from dashboard import config
from dashboard.ui import ids
from tests.benchmarks.bench_screen import browser, seeded_store

LINKS = ("/", "/?scope=street&id=370212002", "/?scope=community&id=370212001001")
#: The codes of the units the map draws now (the clickable unit layer's shapes).
DRAWN_UNITS = """
const m = (document.getElementById('map') || {}).zhizhiMap, codes = [];
if (m) { m.eachLayer(l => { if (l.feature && l.getTooltip && l.getTooltip() && l._path) { codes.push(l.feature.properties.code); } }); }
return codes;
"""
#: How long a link may take to draw its units before the load counts as failed.
DRAW_TIMEOUT = 30


def draws_link(codes: list, link: str) -> bool:
    """Whether the map draws the link's units: the district's five streets, or the children of its unit."""
    unit = link.rsplit("id=", 1)[1] if "id=" in link else ""
    codes = [c for c in codes if c]
    return bool(codes) and (len(codes) == 5 and all(len(c) == 9 for c in codes) if not unit
                            else all(c.startswith(unit) and c != unit for c in codes))
#: A load is over when no callback has answered for this long (under the live poll's 3 s).
QUIET_SECONDS = 1.5
#: Requests of the timers, not of the load: the live poll and the minute refresh.
TIMERS = (ids.LIVE_TICK, ids.REFRESH)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--database-url", help="default: a freshly seeded SQLite demo store in a temporary folder")
    p.add_argument("--appeals", type=int, default=20_000, help="appeals to seed when no --database-url")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--port", type=int, default=8097)
    args = p.parse_args()

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or seeded_store(folder, args.appeals)
        app = create_app(config.load({"AUTH_DISABLED": "1", "DATABASE_URL": url, "DATA_DIR": folder}))
        calls: list[tuple[float, float, str]] = []  # (answered at, server seconds, outputs)

        @app.server.before_request
        def started():
            g.started = time.perf_counter()

        @app.server.after_request
        def answered(response):
            body = request.get_json(silent=True) if request.path.endswith("_dash-update-component") else None
            changed = (body or {}).get("changedPropIds") or []
            if body and not any(prop.split(".")[0] in TIMERS for prop in changed):
                calls.append((time.monotonic(), time.perf_counter() - g.started, body.get("output", "")))
            return response

        server = make_server("127.0.0.1", args.port, app.server, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        driver = browser(1920, 1080)
        try:
            print("| link | round | callback requests | of them the map's | server time, sum | last answer after | "
                  "map draws the link's units after |")
            print("|---|---|---|---|---|---|---|")
            for round_ in range(args.rounds):
                for link in LINKS:
                    calls.clear()
                    opened = time.monotonic()
                    drawn = None
                    driver.get(f"http://127.0.0.1:{args.port}{link}")
                    while (not calls or time.monotonic() - calls[-1][0] < QUIET_SECONDS
                           or (drawn is None and time.monotonic() - opened < DRAW_TIMEOUT)):
                        time.sleep(0.2)
                        if drawn is None and draws_link(driver.execute_script(DRAWN_UNITS), link):
                            drawn = time.monotonic() - opened
                    done = list(calls)
                    maps = sum(1 for c in done if "map.viewport" in c[2])
                    shown = f"{drawn * 1000:,.0f} ms" if drawn is not None else f"not within {DRAW_TIMEOUT} s"
                    print(f"| `{link}` | {'cold' if round_ == 0 else f'warm {round_}'} | {len(done)} | {maps} | "
                          f"{sum(c[1] for c in done) * 1000:,.0f} ms | {(done[-1][0] - opened) * 1000:,.0f} ms | "
                          f"{shown} |", flush=True)
        finally:
            driver.quit()
            server.shutdown()


if __name__ == "__main__":
    main()
