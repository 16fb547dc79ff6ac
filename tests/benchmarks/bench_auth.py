"""What signing in costs: argon2 per sign-in, and per request the account read behind a session.

    python -m tests.benchmarks.bench_auth --database-url URL [--requests 300]

The store must be seeded (``python app.py seed``). Prints Markdown for
docs/benchmarks.md: argon2id hash and verify times (argon2-cffi's defaults),
and ``/api/kpis`` of one street, timed in-process through the Flask app, once
signed in and once with sign-in off, so the difference is the session check
(cookie, account lookup by primary key, timeouts).
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time

from app import create_app
from dashboard import config, services
from dashboard.auth import accounts, secrets

QUERY = "/api/kpis?scope=street&id=370212001&from=2026-10-01&to=2026-11-01"
PASSWORD = "benchmark-password"


def timed(call, n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    hashes = timed(lambda: secrets.hash_password(PASSWORD), 10)
    stored = secrets.hash_password(PASSWORD)
    verifies = timed(lambda: secrets.password_matches(stored, PASSWORD), 10)
    base = {"DATABASE_URL": args.database_url, "CACHE_SECONDS": "0"}
    signed = create_app(config.load({**base, "DATA_DIR": tempfile.mkdtemp()}))
    store = signed.server.extensions[services.STORE_KEY]
    if store.user("bench-street") is None:
        accounts.add_account(store, "bench-street", "street", "370212001", password=PASSWORD, actor="bench")
    client = signed.server.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"username": "bench-street", "password": PASSWORD, "csrf": csrf}).status_code == 302
    open_app = create_app(config.load({**base, "DATA_DIR": tempfile.mkdtemp(), "AUTH_DISABLED": "1"}))
    anonymous = open_app.server.test_client()
    for c in (client, anonymous):  # warm up
        assert c.get(QUERY).status_code == 200
    with_session = timed(lambda: client.get(QUERY), args.requests)
    without = timed(lambda: anonymous.get(QUERY), args.requests)
    median = statistics.median
    print("| measure | median ms | p95 ms |")
    print("|---|---|---|")
    for name, values in (("argon2id hash (sign-up, reset)", hashes), ("argon2id verify (each sign-in)", verifies),
                         (f"`{QUERY}` signed in", with_session), (f"`{QUERY}` sign-in off", without)):
        p95 = statistics.quantiles(values, n=20)[-1]
        print(f"| {name} | {median(values):.1f} | {p95:.1f} |")
    print(f"\nPer request, the session check costs {median(with_session) - median(without):.2f} ms (median difference).")


if __name__ == "__main__":
    main()
