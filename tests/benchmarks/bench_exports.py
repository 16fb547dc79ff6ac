"""Export time and peak memory at scale; prints Markdown.

    python -m tests.benchmarks.bench_exports --database-url URL

Each export runs in a fresh process, so its peak RSS is the export's own.
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

CHILD = r"""
import json, os, resource, sys, tempfile, time
from app import create_app
from dashboard import api, exports, settings, views
url, query = sys.argv[1], sys.argv[2]
app = create_app(settings.load({"DATABASE_URL": url, "DATA_DIR": tempfile.mkdtemp()}))
store = app.server.extensions[api.STORE_KEY]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
with app.server.test_request_context():
    state = views.parse_view(query, store)
    began = time.perf_counter()
    fd, path = tempfile.mkstemp(suffix=".xlsx"); os.close(fd)
    counts = exports.write_workbook(store, state, views.now(), path)
    seconds = time.perf_counter() - began
size = os.path.getsize(path); os.unlink(path)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "rows": counts["诉求明细"], "bytes": size, "peak_mb": peak / 1024,
                  "baseline_mb": before / 1024}))
"""


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--database-url", required=True)
    args = p.parse_args()
    print("## XLSX export (no cache)\n")
    for label, query in CASES.items():
        out = subprocess.run([sys.executable, "-c", CHILD, args.database_url, query], capture_output=True, text=True,
                             check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"- {label}: {r['rows']:,} appeals, {r['seconds']:.1f} s, {r['bytes'] / 2**20:.1f} MiB file, "
              f"peak RSS {r['peak_mb']:.0f} MB (after start-up {r['baseline_mb']:.0f} MB)")


if __name__ == "__main__":
    main()
