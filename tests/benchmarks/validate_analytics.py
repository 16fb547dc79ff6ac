"""Validation of the hotspot detector on planted demo histories: prints the figures of docs/analytics.md.

    python -m tests.benchmarks.validate_analytics [--seeds 3] [--per-day 180]

For each strength (×1.5, ×2, ×3) and patch size (8, 20 and 30 adjacent grids), it
plants six hotspots of three weeks (different categories, streets and places;
three start in the summer, three at the heating season's start) into a demo
history, runs the detector every day (or every ``--step`` days) from each start to a week after its end,
and prints recall, lead time and precision. Then it runs the detector once a
week for a year on a history with nothing planted and prints the false-positive
rate, the heating season's onset included.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date, datetime, timedelta

from geo import demo
from geo.analysis import hotspots as detection
from geo.analysis import validation as v
from geo.domain import LOCAL_TZ

#: (street prefix, index among its grids, category): places and categories of the six plants.
PLACES = (
    ("370212001", 10, "property_management"),
    ("370212005", 20, "sanitation"),
    ("370212001", 60, "traffic_parking"),
    ("370212005", 60, "property_management"),
    ("370212002", 15, "noise"),
    ("370212005", 100, "heating"),
)
STARTS = (date(2026, 7, 6), date(2026, 11, 9))
HISTORY = (date(2025, 6, 1), date(2026, 12, 7))
NULL_DAYS = (date(2025, 12, 1), date(2026, 11, 30))


def seeds_for(grids) -> list[tuple[str, str]]:
    codes = sorted(grids["code"])
    return [([c for c in codes if c.startswith(street)][k], category) for street, k, category in PLACES]


def plants_for(grids, strength: float, size: int) -> tuple:
    seeds = seeds_for(grids)
    half = len(seeds) // 2
    return (v.plant_set(grids, seeds[:half], STARTS[0], 3, strength, size)
            + v.plant_set(grids, seeds[half:], STARTS[1], 3, strength, size))


def run_config(grids, graph, strength: float, size: int, seeds: int, per_day: int, step: int) -> dict:
    outcomes, false_positives, true_positives, runs = [], 0, 0, 0
    baseline = []
    for seed in range(seeds):
        plants = plants_for(grids, strength, size)
        history = v.generate(*HISTORY, plants, seed=20221020 + seed, per_day=per_day, grids=grids, graph=graph)
        days = [p.start + timedelta(days=k) for p in plants
                for k in range(1, 7 * p.weeks + v.GRACE_DAYS + 1, step)]
        result = v.evaluate(history, days)
        outcomes += result.outcomes
        false_positives += len(result.false_positives)
        true_positives += result.true_positives
        runs += result.runs
        begin = datetime(*HISTORY[0].timetuple()[:3], tzinfo=LOCAL_TZ)
        finish = datetime(*HISTORY[1].timetuple()[:3], tzinfo=LOCAL_TZ)
        n = per_day * (HISTORY[1] - HISTORY[0]).days
        baseline += [float(demo.expected_baseline(grids, n, begin, finish, 20221020 + seed, p).sum()) for p in plants]
    leads = [o.lead_days for o in outcomes if o.detected]
    return {
        "strength": strength, "size": size, "plants": len(outcomes),
        "recall": sum(o.detected for o in outcomes) / len(outcomes),
        "lead_median": statistics.median(leads) if leads else None,
        "lead_min": min(leads) if leads else None,
        "precision": true_positives / (true_positives + false_positives) if true_positives + false_positives else None,
        "false_per_run": false_positives / runs,
        "baseline_median": statistics.median(baseline),
        "outcomes": outcomes,
    }


def null_rate(grids, graph, per_day: int, seed: int) -> dict:
    history = v.generate(*HISTORY, (), seed=seed, per_day=per_day, grids=grids, graph=graph)
    days = v.weekly_days(*NULL_DAYS)
    found = [(day, h) for day in days for h in v.hotspots_on(history, day) if h.category != detection.ALL]
    heating = [(day, h) for day, h in found if h.category == "heating"]
    analyses = len(days) * (len(v.CATEGORIES) - 1)
    return {"runs": len(days), "hotspots": len(found), "per_run": len(found) / len(days),
            "analysis_rate": len({(d, h.category) for d, h in found}) / analyses,
            "heating": len(heating), "examples": found[:5]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--per-day", type=int, default=180)
    parser.add_argument("--step", type=int, default=1, help="days between runs (1: every day, as the schedule)")
    args = parser.parse_args()
    began = time.monotonic()
    grids = v.reference_grids()
    graph = detection.grid_graph(grids["code"], grids["geometry"])
    print(f"demo history {HISTORY[0]} – {HISTORY[1]}, {args.per_day} appeals a day, {args.seeds} seeds; "
          f"plants of 3 weeks starting {STARTS[0]} and {STARTS[1]}; the detector run every {args.step} day(s)\n")
    print("| strength | grids | plants | expected appeals without the plant (median, 3 weeks) | recall | "
          "lead time, days (median / first) | precision | unplanted hotspots per run |")
    print("|---|---|---|---|---|---|---|---|")
    details = []
    for size in (8, 20, 30):
        for strength in (1.5, 2.0, 3.0):
            r = run_config(grids, graph, strength, size, args.seeds, args.per_day, args.step)
            details.append(r)
            lead = f"{r['lead_median']} / {r['lead_min']}" if r["lead_median"] is not None else "—"
            precision = f"{r['precision']:.2f}" if r["precision"] is not None else "—"
            print(f"| ×{strength:g} | {size} | {r['plants']} | {r['baseline_median']:.1f} | {r['recall']:.2f} | "
                  f"{lead} | {precision} | {r['false_per_run']:.2f} |", flush=True)
    print("\nRecall by category (all strengths and sizes):")
    by_category: dict[str, list[bool]] = {}
    for r in details:
        for o in r["outcomes"]:
            by_category.setdefault(o.plant.category, []).append(o.detected)
    for category, hits in by_category.items():
        print(f"- {category}: {sum(hits)}/{len(hits)}")
    print("\nNull histories (nothing planted), detector run weekly for a year:")
    print("| seed | runs | hotspots (single categories) | per run | share of category-weeks with one | heating |")
    print("|---|---|---|---|---|---|")
    for seed in range(args.seeds):
        n = null_rate(grids, graph, args.per_day, 20221020 + 100 + seed)
        print(f"| {20221020 + 100 + seed} | {n['runs']} | {n['hotspots']} | {n['per_run']:.2f} | "
              f"{n['analysis_rate']:.4f} | {n['heating']} |", flush=True)
    print(f"\n({time.monotonic() - began:.0f} s)")


if __name__ == "__main__":
    main()
