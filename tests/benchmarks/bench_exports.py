"""Export time and peak memory at scale, through the real routes; prints Markdown.

    python -m tests.benchmarks.bench_exports --database-url URL [--formats pdf,png,xlsx]

Each export runs in a fresh process with a cold cache, so its time includes
every query and its peak RSS is the export's own. The export is requested
like the browser does: GET, then poll the job until the file can be downloaded.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CASES = {
    "street, 1 month": "scope=street&id=370212005&from=2026-10-28&to=2026-11-28",
    "district, 1 year": "from=2025-11-28&to=2026-11-28",
}
PATHS = {"pdf": "/export/briefing.pdf", "png": "/export/snapshot.png", "xlsx": "/export/appeals.xlsx"}

CHILD = r"""
import json, resource, sys, tempfile, time
from app import create_app
from dashboard import config
url, path, query = sys.argv[1:4]
app = create_app(config.load({"AUTH_DISABLED": "1", "DATABASE_URL": url, "DATA_DIR": tempfile.mkdtemp()}))
client = app.server.test_client()
client.get("/healthz")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
began = time.perf_counter()
r = client.get(f"{path}?{query}")
first = r.status_code
if first == 202:
    job = r.get_json()
    while job["state"] not in ("done", "failed"):
        time.sleep(0.1)
        job = client.get(job["status_url"]).get_json()
    if job["state"] == "failed":
        raise SystemExit(job)
    r = client.get(job["download_url"])
seconds = time.perf_counter() - began
assert r.status_code == 200, r.status_code
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "bytes": len(r.data), "first_status": first, "peak_mb": peak / 1024,
                  "baseline_mb": before / 1024}))
"""


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--database-url", required=True)
    p.add_argument("--formats", default="pdf,png,xlsx")
    args = p.parse_args()
    print("| export | view | time to file | first answer | file | peak RSS (after start-up) |")
    print("|---|---|---|---|---|---|")
    for kind in args.formats.split(","):
        for label, query in CASES.items():
            out = subprocess.run([sys.executable, "-c", CHILD, args.database_url, PATHS[kind], query],
                                 capture_output=True, text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            answer = "200 file" if r["first_status"] == 200 else f"{r['first_status']} job"
            print(f"| {kind.upper()} | {label} | {r['seconds']:.1f} s | {answer} | {r['bytes'] / 2**20:.1f} MiB | "
                  f"{r['peak_mb']:.0f} MB ({r['baseline_mb']:.0f} MB) |", flush=True)


if __name__ == "__main__":
    main()
