"""Accuracy, interval coverage and speed of the weekly forecast models on the demo data; prints Markdown.

    python -m tests.benchmarks.bench_forecast [--origins 26] [--models nb_glm,nb_glm_fourier,ets,seasonal_naive]

Generates the demo appeals as ``geo.seeding`` does (real grids, 180 a day from the launch
2022-10-20 to 2026-12-01, seed 20221020), places each in its street by its point, counts them
per street × category × local week, and backtests every model from the last ``--origins`` weekly
origins (fit up to the origin, forecast 1–4 weeks, compare with what came). The district total
per category is backtested as series of its own.
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime, timedelta

import geopandas as gpd
import pandas as pd

from geo import demo, reference
from geo.analysis import forecast
from geo.domain import DEMO_SEED, LAUNCH_DATE, LOCAL_TZ
from geo.seeding import APPEALS_PER_DAY

END = datetime(2026, 12, 1, tzinfo=LOCAL_TZ)


def demo_weekly_counts(end: datetime = END, seed: int = DEMO_SEED) -> pd.DataFrame:
    """The demo history as counts per street, category and complete local week."""
    start = datetime.fromisoformat(LAUNCH_DATE).replace(tzinfo=LOCAL_TZ)
    layers = reference.load()
    grids = layers["grid"][["code", "street_code", "community_code", "households", "population", "geometry"]]
    n = round(APPEALS_PER_DAY * (end - start) / timedelta(days=1))
    workers = demo.generate_workers(grids, seed)
    chunks = [chunk[["category", "lon", "lat", "accepted_at"]]
              for chunk, _ in demo.generate_appeals(grids, workers, n, start, end, seed)]
    appeals = pd.concat(chunks, ignore_index=True)
    points = gpd.GeoDataFrame(appeals, geometry=gpd.points_from_xy(appeals["lon"], appeals["lat"]), crs=4326)
    streets = layers["street"][["code", "geometry"]].to_crs(4326).rename(columns={"code": "street_code"})
    placed = gpd.sjoin(points, streets, how="inner", predicate="intersects")
    placed = placed[~placed.index.duplicated()]  # a point on a shared edge counts once
    return forecast.weekly_counts(placed, start=pd.Timestamp(start), end=pd.Timestamp(end))


def print_table(title: str, result: dict, models: list[str]) -> None:
    print(f"\n### {title}\n")
    print("| model | MASE | WAPE | MAPE (actual > 0) | 80% coverage | 95% coverage | 80% width | 95% width | fit time |")
    print("|---|---|---|---|---|---|---|---|---|")
    for m in models:
        o = result[m]["overall"]
        print(f"| {m} | {o['mase']:.3f} | {o['wape']:.1%} | {o['mape']:.1%} | {o['coverage80']:.1%} | "
              f"{o['coverage95']:.1%} | {o['width80']:.1f} | {o['width95']:.1f} | "
              f"{result[m]['seconds'] / len(result['origins']):.2f} s/origin |")
    print("\nBy horizon (MASE / WAPE / 80% / 95% coverage) and by series size:\n")
    horizons = sorted(result[models[0]]["by_horizon"])
    sizes = sorted({s for m in models for s in result[m]["by_size"]})
    print("| model | " + " | ".join(f"h={h}" for h in horizons) + " | " + " | ".join(sizes) + " | methods |")
    print("|---|" + "---|" * (len(horizons) + len(sizes) + 1))
    for m in models:
        cells = [result[m]["by_horizon"][h] for h in horizons] + [result[m]["by_size"].get(s) for s in sizes]
        text = [f"{c['mase']:.2f} / {c['wape']:.0%} / {c['coverage80']:.0%} / {c['coverage95']:.0%}" if c else "–"
                for c in cells]
        methods = ", ".join(f"{k} {v}" for k, v in result[m]["methods"].items())
        print(f"| {m} | " + " | ".join(text) + f" | {methods} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--origins", type=int, default=26, help="weekly origins, the last ones with 4 weeks after them")
    parser.add_argument("--models", default=",".join(forecast.MODELS))
    args = parser.parse_args()
    models = args.models.split(",")

    began = time.perf_counter()
    counts = demo_weekly_counts()
    weeks = sorted(counts["week"].unique())
    print(f"Demo data: {counts['count'].sum():,} appeals, {counts.groupby(forecast.KEYS).ngroups} street × category "
          f"series, weeks {weeks[0]} … {weeks[-1]} ({len(weeks)}), built in {time.perf_counter() - began:.1f} s")

    district = forecast.district_counts(counts)
    began = time.perf_counter()
    forecast.forecast(counts)
    streets_s = time.perf_counter() - began
    began = time.perf_counter()
    forecast.forecast_district(counts)
    district_s = time.perf_counter() - began
    print(f"Fitting {forecast.DEFAULT_MODEL} on all weeks: streets {streets_s:.2f} s, district {district_s:.2f} s")

    origins = weeks[-(args.origins + 4): -4]
    print(f"Origins: {origins[0]} … {origins[-1]} ({len(origins)}), horizon 1–4 weeks")
    for title, frame in (("Street × category", counts), ("District total × category", district)):
        result = forecast.backtest(frame, origins, 4, models=models)
        print_table(title, result, models)
    print("\nMASE: mean of |error| / in-sample seasonal-naive MAE (52-week lag) per series and origin. "
          "WAPE: Σ|error| / Σ actual. MAPE: mean |error| / actual over actual > 0.")


if __name__ == "__main__":
    main()
