"""The scale issue's figures: the slowest drill-down callback per view, /api/kpis, the heat image, and a
naive baseline, on a seeded PostGIS store; prints Markdown.

    python -m tests.benchmarks.bench_scale --database-url URL [--rounds 5]

Callbacks are the app's own, POSTed to Dash the way the browser does (see ``bench_map``), with the
shared view cache off (cold: every call computes) and then on (warm). Views: the district over
365 days, and each street, its first community and that community's first grid over 30 days, all
ending on :data:`bench_map.END`. The naive baseline computes the same view the obvious way: read the
scope's appeals of the window with ``geopandas.read_postgis``, sum the KPIs in pandas, and ship
every appeal as a GeoJSON point; it is timed as a Dash app's callback (:mod:`naive_app`, POSTed like
ours) and as the bare data work.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import datetime, timedelta

import geopandas
import sqlalchemy as sa

from app import create_app
from dashboard import config, services
from geo import domain
from geo.access import SYSTEM
from geo.domain import LOCAL_TZ
from geo.scope import DISTRICT, Filters, Window
from tests.benchmarks.bench_map import END, callbacks, pct, request_body, time_drill
from tests.benchmarks.naive_app import create_naive_app

WINDOW_30 = f"from={END - timedelta(days=30)}&to={END}"
WINDOW_365 = f"from={END - timedelta(days=365)}&to={END}"


def views(store) -> dict[str, list[tuple[str, str, str]]]:
    """Per group: (URL search, scope column, scope code) of each view."""
    streets = store.children(DISTRICT, viewer=SYSTEM)
    communities = [store.children(s.scope, viewer=SYSTEM)[0] for s in streets]
    grids = [store.children(c.scope, viewer=SYSTEM)[0] for c in communities]
    return {
        "district × 365 days": [(f"?{WINDOW_365}", "", "")],
        "street × 30 days": [(f"?scope=street&id={s.code}&{WINDOW_30}", "street_code", s.code) for s in streets],
        "community × 30 days": [(f"?scope=community&id={c.code}&{WINDOW_30}", "community_code", c.code)
                                for c in communities],
        "grid × 30 days": [(f"?scope=grid&id={g.code}&{WINDOW_30}", "grid_code", g.code) for g in grids],
    }


def time_get(client, url: str, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        began = time.perf_counter()
        response = client.get(url)
        out.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, (url, response.data[:300])
    return out


def naive(engine, column: str, code: str, days: int) -> float:
    """Milliseconds to read the view's appeals with geopandas, sum its KPIs and write every point as GeoJSON."""
    end = datetime.combine(END, datetime.min.time(), LOCAL_TZ)
    where = "accepted_at >= %(start)s AND accepted_at < %(end)s" + (f" AND {column} = %(code)s" if column else "")
    sql = ("SELECT id, category, status, closed_at, closed_on_time, responded_on_time, deadline, resolved, "
           f"satisfaction, close_seconds, geom FROM appeals WHERE {where}")
    began = time.perf_counter()
    frame = geopandas.read_postgis(sql, engine, geom_col="geom",
                                   params={"start": end - timedelta(days=days), "end": end, "code": code})
    closed = frame["closed_at"].notna()
    _ = {"accepted": len(frame), "closed": int(closed.sum()), "on_time": int(frame["closed_on_time"].sum()),
         "satisfied": int(frame["satisfaction"].isin(["satisfied", "basically_satisfied"]).sum()),
         "by_category": frame.groupby("category").size().to_dict()}
    frame[["id", "category", "status", "geom"]].to_json()
    return (time.perf_counter() - began) * 1000


def naive_callback(app, search: str, rounds: int) -> list[float]:
    """Milliseconds of the naive Dash app's one callback for a view, POSTed as the browser does."""
    client, key = app.server.test_client(), next(iter(app.callback_map))
    out = []
    for _ in range(rounds):
        began = time.perf_counter()
        response = client.post("/_dash-update-component", json=request_body(app, key, search))
        out.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, response.data[:300]
    return out


def store_reads(store, rounds: int) -> None:
    """Each read the views make, from the rollups and from the appeals alone, alternated in the same minutes."""
    as_of = datetime.now(LOCAL_TZ).replace(second=0, microsecond=0)
    lattice = (domain.HEAT_ORIGIN, domain.HEAT_CELL, domain.HEAT_SHAPE)
    street = store.children(DISTRICT, viewer=SYSTEM)[0].scope
    print("| read | view | from the rollups p50 | from the appeals p50 | ratio |")
    print("|---|---|---|---|---|")
    for label, scope, days in (("street × 30 days", street, 30), ("district × 365 days", DISTRICT, 365)):
        window = Window(END - timedelta(days=days), END)
        before = Window(window.start - (window.end - window.start), window.start)
        past = as_of - (window.end - window.start)
        reads = {
            "KPIs": ("kpi_counts", (scope, window, as_of)),
            "KPIs of 环比 (past as-of)": ("kpi_counts", (scope, before, past), {"arrived_by": past}),
            "per-grid sums (choropleth)": ("kpi_counts", (DISTRICT, window, as_of), {"group_by": "grid_code"}),
            "trend": ("daily_counts", (scope, window)),
            "breakdowns": ("breakdown", (scope, window)),
            "heat cells": ("heat_counts", (scope, window, Filters(), *lattice)),
        }
        for name, (method, positional, *keywords) in reads.items():
            kwargs = {**(keywords[0] if keywords else {}), "viewer": SYSTEM}
            rolled, raw = getattr(store, method), getattr(store, f"{method}_from_appeals")
            assert rolled(*positional, **kwargs) == raw(*positional, **kwargs)
            times = {rolled: [], raw: []}
            for _ in range(rounds):
                for call in (rolled, raw):
                    began = time.perf_counter()
                    call(*positional, **kwargs)
                    times[call].append((time.perf_counter() - began) * 1000)
            a, b = pct(times[rolled], 50), pct(times[raw], 50)
            print(f"| {name} | {label} | {a:.1f} ms | {b:.1f} ms | {b / a:.1f}× |")
    print()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--database-url", required=True)
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        app = create_app(config.load({"AUTH_DISABLED": "1", "DATABASE_URL": args.database_url, "DATA_DIR": data_dir}))
        store = app.server.extensions[services.STORE_KEY]
        keys = callbacks(app)
        groups = views(store)
        client = app.server.test_client()
        print(f"## Scale at {store.count('appeals'):,} appeals on {store.backend.name} (window end {END})\n")
        store.grid_areas()  # once per process
        store_reads(store, args.rounds * 2)
        cache = app.server.extensions.pop(services.CACHE_KEY)
        print("| view | cold: map / panels / grid p95 | cold: slowest callback p95 | warm: slowest p95 | "
              "naive callback p50 / p95 | naive data work p50 | slowest cold p95 ÷ naive callback p95 |")
        print("|---|---|---|---|---|---|---|")
        engine = sa.create_engine(args.database_url)
        naive_app = create_naive_app(args.database_url)
        for label, items in groups.items():
            searches = [s for s, _, _ in items]
            app.server.extensions.pop(services.CACHE_KEY, None)
            cold = time_drill(app, keys, searches, args.rounds)[0]
            app.server.extensions[services.CACHE_KEY] = cache
            time_drill(app, keys, searches, 1)
            warm = time_drill(app, keys, searches, args.rounds)[0]
            del cold["all"], warm["all"]
            days = 365 if "365" in label else 30
            repeats = max(1, args.rounds // 2)
            base = [naive(engine, column, code, days) for _ in range(repeats) for _, column, code in items]
            naive_app_ms = [ms for search in searches for ms in naive_callback(naive_app, search, repeats)]
            slowest = max(pct(v, 95) for v in cold.values())
            print(f"| {label} | {' / '.join(f'{pct(v, 95):.0f}' for v in cold.values())} ms | {slowest:.0f} ms | "
                  f"{max(pct(v, 95) for v in warm.values()):.0f} ms | "
                  f"{pct(naive_app_ms, 50):.0f} / {pct(naive_app_ms, 95):.0f} ms | {pct(base, 50):.0f} ms | "
                  f"{slowest / pct(naive_app_ms, 95):.2f} |")
        app.server.extensions.pop(services.CACHE_KEY, None)
        print()
        for label, url in (("/api/kpis district × 365 days", f"/api/kpis?{WINDOW_365}"),
                           ("/api/kpis street × 30 days", f"/api/kpis?scope=street&id={groups['street × 30 days'][0][2]}"
                                                          f"&{WINDOW_30}"),
                           ("heat image district × 365 days", f"/api/map/heat.png?{WINDOW_365}"),
                           ("heat image street × 30 days", f"/api/map/heat.png?scope=street&id="
                                                           f"{groups['street × 30 days'][0][2]}&{WINDOW_30}")):
            values = time_get(client, url, args.rounds * 4)
            print(f"- {label}, cold: p50 {pct(values, 50):.0f} / p95 {pct(values, 95):.0f} ms (n={len(values)})")


if __name__ == "__main__":
    main()
