"""Drill-down callbacks, layer payloads and first render at scale; prints Markdown.

    python -m tests.benchmarks.bench_map --database-url URL [--rounds 3] [--skip-browser]

Run it against a store seeded with ``bench_store`` (1,000,000 appeals). The
callbacks are the app's own, called the way the browser calls them (a POST to
Dash's ``/_dash-update-component`` through Flask's test client, so routing,
the callback and its JSON answer are all timed), with the shared cache
disabled (every call does the full work: the worst case) and then enabled.
It also builds what the naive approach ships — every appeal of the view as a
GeoJSON point — and reports the ratio.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import date, timedelta

from dash._utils import split_callback_id

from app import create_app
from dashboard import config, services
from dashboard.ui import ids
from geo.access import SYSTEM
from geo.clock import local_today

END = date(2026, 11, 28)


def drill_path(store) -> list[str]:
    """District → every street → its first community → that community's first grid, 30-day window."""
    from geo.scope import DISTRICT

    window = f"from={END - timedelta(days=30)}&to={END}"
    out = [f"?{window}"]
    for street in store.children(DISTRICT, viewer=SYSTEM):
        out.append(f"?scope=street&id={street.code}&{window}")
        community = store.children(street.scope, viewer=SYSTEM)[0]
        out.append(f"?scope=community&id={community.code}&{window}")
        grid = store.children(community.scope, viewer=SYSTEM)[0]
        out.append(f"?scope=grid&id={grid.code}&{window}")
    return out


#: The drill-down callbacks, by an output that names each, and the input values the browser sends.
CALLBACKS = {"map": f"{ids.MAP}.viewport", "panels": f"{ids.KPI_CARDS}.children", "grid": f"{ids.GRID_SECTION}.hidden"}
INPUT_VALUES = {f"{ids.BASEMAP}.value": "vector-light", f"{ids.REFRESH}.n_intervals": None}


def callbacks(app) -> dict[str, str]:
    """The callback_map key of each drill-down callback."""
    return {name: next(key for key in app.callback_map if marker in key) for name, marker in CALLBACKS.items()}


def request_body(app, key: str, search: str) -> dict:
    """What dash-renderer POSTs for a URL change: every input's value, ``url.search`` as the trigger."""
    spec = app.callback_map[key]

    def values(items):
        return [{**item, "value": search if f"{item['id']}.{item['property']}" == f"{ids.URL}.search"
                 else INPUT_VALUES.get(f"{item['id']}.{item['property']}")} for item in items]

    outputs = split_callback_id(key)
    return {"output": key, "outputs": outputs, "inputs": values(spec["inputs"]), "state": values(spec["state"]),
            "changedPropIds": [f"{ids.URL}.search"]}


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def time_drill(app, keys, paths, rounds) -> tuple[dict[str, list[float]], dict[str, list[int]]]:
    """Per callback: server time (ms) and response size (bytes) of each drill-down view."""
    client = app.server.test_client()
    timings = {name: [] for name in keys} | {"all": []}
    sizes = {name: [] for name in keys}
    for _ in range(rounds):
        for search in paths:
            total = 0.0
            for name, key in keys.items():
                body = request_body(app, key, search)
                began = time.perf_counter()
                response = client.post("/_dash-update-component", json=body)
                elapsed = (time.perf_counter() - began) * 1000
                assert response.status_code == 200, (name, search, response.status_code, response.data[:300])
                timings[name].append(elapsed)
                total += elapsed
                sizes[name].append(len(response.data))
            timings["all"].append(total)
    return timings, sizes


def report(label: str, timings: dict[str, list[float]]) -> None:
    parts = ", ".join(f"{name} p50 {pct(v, 50):.0f} / p95 {pct(v, 95):.0f} ms" for name, v in timings.items() if name != "all")
    print(f"- {label}: each callback — {parts}; all three back to back p50 {pct(timings['all'], 50):.0f} / "
          f"p95 {pct(timings['all'], 95):.0f} ms ({len(timings['all'])} views)")


def naive_points(store, days: int) -> tuple[int, int]:
    """(bytes, appeals) of the naive layer: every appeal of the district window as a GeoJSON point."""
    from geo.scope import DISTRICT, Window

    window = Window(END - timedelta(days=days), END)
    total, offset, nbytes = None, 0, 0
    while total is None or offset < total:
        page = store.appeals(DISTRICT, window, limit=50_000, offset=offset, viewer=SYSTEM)
        total = page["total"]
        features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [i["lon"], i["lat"]]},
                     "properties": {"id": i["id"], "category": i["category"], "status": i["status"]}}
                    for i in page["items"]]
        nbytes += len(json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":")).encode())
        offset += len(page["items"]) or total
    return nbytes, total


def first_render(app_url: str) -> float:
    """Seconds from navigation until the KPI cards hold numbers and every grid polygon is drawn."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.support.ui import WebDriverWait

    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--window-size=1920,1080",
                "--disable-background-networking", "--disable-component-update"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options)
    try:
        driver.get(app_url)
        began = time.perf_counter()
        WebDriverWait(driver, 60).until(lambda d: d.execute_script(
            "const v = document.querySelector('#kpi-accepted .kpi-value');"
            "return v && v.textContent !== '—' && document.querySelectorAll('.leaflet-grids-pane path').length >= 863;"))
        waited = time.perf_counter() - began
        # Navigation timing from the browser itself: request start → now.
        nav = driver.execute_script("return performance.now() / 1000;")
        return max(waited, nav)
    finally:
        driver.quit()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--database-url", required=True)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--skip-browser", action="store_true")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        app = create_app(config.load({"AUTH_DISABLED": "1", "DATABASE_URL": args.database_url, "DATA_DIR": data_dir}))
        store = app.server.extensions[services.STORE_KEY]
        keys = callbacks(app)
        paths = drill_path(store)
        print(f"## Map at {store.count('appeals'):,} appeals on {store.backend.name} (today = {local_today()})\n")
        cache = app.server.extensions.pop(services.CACHE_KEY)
        store.grid_areas()  # one-time per process: grid shapes for the density metric
        cold, sizes = time_drill(app, keys, paths, args.rounds)
        report(f"drill-down, no cache ({len(paths)} scopes × {args.rounds})", cold)
        app.server.extensions[services.CACHE_KEY] = cache
        time_drill(app, keys, paths, 1)  # fill the cache
        warm, _ = time_drill(app, keys, paths, args.rounds)
        report("drill-down, shared cache warm", warm)
        for name, values in sizes.items():
            print(f"- {name} callback response: median {statistics.median(values) / 1024:.1f} KB, max {max(values) / 1024:.1f} KB")
        client = app.server.test_client()
        for label, path in (("district 30 days", paths[0]), ("district 365 days", f"?from={END - timedelta(days=365)}&to={END}")):
            heat = client.get(f"/api/map/heat.png{path}")
            print(f"- heat image, {label}: {len(heat.data) / 1024:.1f} KB")
        for label, url in (("grid polygons (once, then cached)", "/api/geo/grid.geojson"),
                           ("street outlines", "/api/geo/street.geojson?parent=370212"),
                           ("workers, district", "/api/map/workers.geojson?scope=district&id=370212")):
            print(f"- {label}: {len(client.get(url).data) / 1024:.1f} KB")
        for days in (30, 365):
            began = time.perf_counter()
            naive, appeals = naive_points(store, days)
            heat = len(client.get(f"/api/map/heat.png?from={END - timedelta(days=days)}&to={END}").data)
            print(f"- naive points, district {days} days ({appeals:,} appeals): {naive / 2**20:.1f} MiB in "
                  f"{time.perf_counter() - began:.1f} s — {naive / heat:.0f}× the heat image")
        if not args.skip_browser:
            import threading

            from werkzeug.serving import make_server

            server = make_server("127.0.0.1", 8099, app.server, threaded=True)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            try:
                cache.cache.clear()
                cold_render = first_render(f"http://127.0.0.1:8099/{paths[0]}")
                warm_render = first_render(f"http://127.0.0.1:8099/{paths[0]}")
                print(f"- first render in Chromium (KPIs filled, 863 grids drawn): {cold_render:.2f} s cold cache, "
                      f"{warm_render:.2f} s warm")
            finally:
                server.shutdown()


if __name__ == "__main__":
    main()
