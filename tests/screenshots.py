"""The README's screenshots: the dashboard and the wall at the sizes the governance center uses.

    python -m tests.screenshots [--out docs/screenshots] [--appeals 40000]

Seeds a demo store in a temporary folder (history ending now, 400 days so that 同比
has a year to compare with, two hotspots planted in its last three weeks, then analysed), serves the app on a free port with sign-in off (loopback
only), and saves what headless Chromium (``/usr/bin/chromium``) shows, plus the briefing's pages.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

from app import create_app
from dashboard import config

#: Clicks the first item of the 未诉先办 list, so the shot shows its evidence.
OPEN_FIRST_ITEM = "document.querySelector('#proactive-list .proactive-row')?.click()"
#: (file name, path, width, height[, script run once the page has drawn]): every size the issue names, the main
#: page at each level, the wall, and an item's evidence.
SHOTS = [
    ("dashboard-district-1600x1000", "/", 1600, 1000),
    ("dashboard-proactive-1920x1080", "/?scope=street&id=370212001", 1920, 1080, OPEN_FIRST_ITEM),
    ("dashboard-street-1920x1080", "/?scope=street&id=370212001", 1920, 1080),
    ("dashboard-community-3840x2160", "/?scope=community&id=370212001001", 3840, 2160),
    ("dashboard-grid-1600x1000", "/?scope=grid&id=370212001001001", 1600, 1000),
    ("screen-district-1920x1080", "/screen/", 1920, 1080),
    ("screen-street-3840x2160", "/screen/?scope=street&id=370212005", 3840, 2160),
    ("screen-district-5760x1080", "/screen/", 5760, 1080),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seeded_store(folder: str, appeals: int) -> str:
    """A demo history of 400 days to now, with two ×4 hotspots planted in its last three weeks, analysed."""
    from geo import clock, demo, reference, seeding
    from geo.analysis.run import analyze
    from geo.store.store import Store

    grids = reference.load()["grid"]
    codes = sorted(grids["code"])
    start = clock.local_today() - timedelta(days=21)
    plants = [demo.Plant(demo.adjacent_cluster(grids, [c for c in codes if c.startswith(street)][k], size),
                         category, start, 3, 4.0)
              for street, k, size, category in (("370212001", 10, 30, "property_management"),
                                                ("370212005", 40, 30, "sanitation"))]
    url = f"sqlite:///{folder}/shots.sqlite3"
    store = Store(url)
    seeding.seed(store, appeals=appeals, days=400, progress=lambda _m: None, plants=plants)
    analyze(store, progress=lambda _m: None)
    store.dispose()
    return url


def browser(width: int, height: int) -> webdriver.Chrome:
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--window-size={width},{height}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_window_size(width, height)
    # The window includes the browser's own bars: grow it until the page itself has the size asked for.
    inner_width, inner_height = driver.execute_script("return [innerWidth, innerHeight]")
    driver.set_window_size(2 * width - inner_width, 2 * height - inner_height)
    return driver


def fetch(base: str, path: str) -> bytes:
    """An export as the browser gets it: a 202 job is polled until its file is ready."""
    with urllib.request.urlopen(base + path) as r:
        if r.status != 202:
            return r.read()
        job = json.load(r)
    while job["state"] not in ("done", "failed"):
        time.sleep(0.2)
        with urllib.request.urlopen(base + job["status_url"]) as r:
            job = json.load(r)
    with urllib.request.urlopen(base + job["download_url"]) as r:
        return r.read()


def briefing_pages(base: str, out: Path, folder: str) -> None:
    """The briefing's pages as the reader sees them (poppler's pdftoppm)."""
    pdf = Path(folder) / "briefing.pdf"
    pdf.write_bytes(fetch(base, "/export/briefing.pdf?scope=street&id=370212001"))
    subprocess.run(["pdftoppm", "-r", "70", "-png", str(pdf), str(out / "briefing-page")], check=True)
    for page in sorted(out.glob("briefing-page*.png")):
        print(page)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="docs/screenshots")
    p.add_argument("--appeals", type=int, default=72_000, help="appeals in the 400 days (default: 180 a day)")
    p.add_argument("--settle", type=float, default=8.0, help="seconds to let the page draw")
    args = p.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    with tempfile.TemporaryDirectory() as folder:
        url = seeded_store(folder, args.appeals)
        app = create_app(config.load({"AUTH_DISABLED": "1", "DATABASE_URL": url, "DATA_DIR": folder}))
        port = free_port()
        server = make_server("127.0.0.1", port, app.server, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            for name, path, width, height, *script in SHOTS:
                driver = browser(width, height)
                try:
                    driver.get(f"http://127.0.0.1:{port}{path}")
                    time.sleep(args.settle)
                    if script:
                        driver.execute_script(script[0])
                        time.sleep(args.settle / 2)
                    image = Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("RGB")
                finally:
                    driver.quit()
                image.save(out / f"{name}.png", optimize=True)
                print(f"{out / name}.png {image.width}×{image.height}")
            briefing_pages(f"http://127.0.0.1:{port}", out, folder)
        finally:
            server.shutdown()


if __name__ == "__main__":
    main()
