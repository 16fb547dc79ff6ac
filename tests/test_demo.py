"""The demo generator: deterministic, self-consistent and believable.

Runs on a dozen synthetic square grids so it never depends on the real
boundary file; one year of ~20,000 appeals is enough to check the published
rates within tolerances.
"""

from __future__ import annotations

import re
from datetime import datetime

import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Polygon, box

from geo import demo, domain

STREETS = tuple(domain.STREETS)
START = datetime(2022, 10, 20, tzinfo=domain.LOCAL_TZ)
END = datetime(2023, 10, 20, 9, 30, tzinfo=domain.LOCAL_TZ)
N = 20_000
STAGES = ("accepted_at", "dispatched_at", "in_progress_at", "feedback_at", "visited_at", "closed_at")


def make_grids(cols: int = 4, rows: int = 3, size: float = 0.03) -> pd.DataFrame:
    """Grids around lon 120.45–120.60, lat 36.08–36.20, cycling through the five streets.

    Most are squares; every fourth is a diamond inscribed in its square, so a
    point drawn from the bounding box alone would land outside half the time.
    """
    records = []
    for i in range(cols):
        for j in range(rows):
            k = i * rows + j
            street = STREETS[k % len(STREETS)]
            x0 = 120.45 + i * (0.15 / cols)
            y0 = 36.08 + j * (0.12 / rows)
            records.append(
                {
                    "code": f"{street}{k:03d}001",
                    "street_code": street,
                    "community_code": f"{street}{k:03d}",
                    "households": 300 + 40 * k,
                    "population": 800 + 120 * k,
                    "geometry": diamond(x0, y0, size) if k % 4 == 3 else box(x0, y0, x0 + size, y0 + size),
                }
            )
    return pd.DataFrame(records)


def diamond(x0: float, y0: float, size: float) -> Polygon:
    h = size / 2
    return Polygon([(x0 + h, y0), (x0 + size, y0 + h), (x0 + h, y0 + size), (x0, y0 + h)])


@pytest.fixture(scope="module")
def grids() -> pd.DataFrame:
    return make_grids()


@pytest.fixture(scope="module")
def workers(grids) -> pd.DataFrame:
    return demo.generate_workers(grids, seed=11)


@pytest.fixture(scope="module")
def chunks(grids, workers) -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    return list(demo.generate_appeals(grids, workers, N, START, END, seed=11, chunk_size=6_000))


@pytest.fixture(scope="module")
def appeals(chunks) -> pd.DataFrame:
    return pd.concat([a for a, _ in chunks], ignore_index=True)


@pytest.fixture(scope="module")
def events(chunks) -> pd.DataFrame:
    return pd.concat([e for _, e in chunks], ignore_index=True)


@pytest.fixture(scope="module")
def end_utc() -> pd.Timestamp:
    return pd.Timestamp(END).tz_convert("UTC")


def grid_of(points_lon, points_lat, grids: pd.DataFrame) -> np.ndarray:
    """Index of the grid strictly containing each point, -1 if none (or several)."""
    geoms = np.array(list(grids["geometry"]), dtype=object)
    inside = np.stack([shapely.contains_xy(g, points_lon, points_lat) for g in geoms], axis=1)
    found = np.where(inside.sum(axis=1) == 1, inside.argmax(axis=1), -1)
    return found


# --------------------------------------------------------------------------- workers
def test_workers_cover_every_grid(grids, workers):
    assert workers["id"].is_unique
    assert workers["id"].str.fullmatch(r"W\d{5}").all()
    assert set(workers["type"]) <= set(domain.WORKER_TYPES)
    assert set(workers["grid_code"]) <= set(grids["code"])
    full_time = workers[workers["type"] == "full_time"]
    assert set(full_time["grid_code"]) == set(grids["code"])
    assert workers["phone"].str.fullmatch(r"1[35789]\d{9}").all()
    assert workers["name"].str.fullmatch(r"[\u4e00-\u9fff]{2,3}").all()


def test_worker_totals_match_the_district_at_full_size():
    many = make_grids(cols=863, rows=1, size=0.00015)
    w = demo.generate_workers(many, seed=3)
    counts = w["type"].value_counts()
    assert counts["full_time"] == 920
    assert counts["industry"] == 240
    assert counts["window"] == 140
    assert w.groupby("grid_code")["type"].apply(lambda t: (t == "full_time").sum()).min() >= 1


def test_workers_are_deterministic(grids):
    a = demo.generate_workers(grids, seed=5)
    pd.testing.assert_frame_equal(a, demo.generate_workers(grids, seed=5))
    assert not a["name"].equals(demo.generate_workers(grids, seed=6)["name"])


# --------------------------------------------------------------------------- positions
def test_positions_latest_is_last_ping_and_stays_near_home(grids, workers, end_utc):
    history, latest = demo.generate_positions(workers, grids, END, seed=11, hours=2, every_minutes=10)
    assert len(history) == len(workers) * 12
    assert list(latest["worker_id"]) == list(workers["id"])
    last = history.sort_values(["worker_id", "at"]).groupby("worker_id").tail(1).reset_index(drop=True)
    pd.testing.assert_frame_equal(last, latest.sort_values("worker_id").reset_index(drop=True))
    assert (history["at"] <= end_utc).all()
    assert (history["at"] > end_utc - pd.Timedelta(hours=2)).all()
    assert str(history["at"].dt.tz) == "UTC"
    assert set(history["status"]) <= set(domain.WORKER_STATUSES)
    home = grids.set_index("code").loc[workers["grid_code"], "geometry"].to_numpy()
    near = shapely.buffer(np.repeat(home, 12), 0.0011)  # ~100 m plus slack
    h = history.set_index("worker_id").loc[workers["id"]].reset_index()
    assert shapely.contains_xy(near, h["lon"].to_numpy(), h["lat"].to_numpy()).all()
    again = demo.generate_positions(workers, grids, END, seed=11)
    pd.testing.assert_frame_equal(history, again[0])


def test_positions_follow_the_working_day():
    many = make_grids(cols=40, rows=10, size=0.003)
    w = demo.generate_workers(many, seed=2)
    day, _ = demo.generate_positions(w, many, datetime(2024, 5, 8, 11, 0, tzinfo=domain.LOCAL_TZ), seed=2)
    night, _ = demo.generate_positions(w, many, datetime(2024, 5, 8, 3, 0, tzinfo=domain.LOCAL_TZ), seed=2)
    working = {"patrolling", "handling"}
    assert day["status"].isin(working).mean() > 0.7
    assert night["status"].isin(working).mean() < 0.2
    assert 0.005 < (day["status"] == "offline").mean() < 0.08
    assert (night["status"] == "offline").mean() > 0.3


# --------------------------------------------------------------------------- appeals: shape
def test_counts_chunks_and_order(chunks, appeals, end_utc):
    assert len(appeals) == N
    assert all(0 < len(a) <= 6_000 for a, _ in chunks)
    assert appeals["idx"].tolist() == list(range(N))
    assert appeals["accepted_at"].is_monotonic_increasing
    assert appeals["accepted_at"].min() >= pd.Timestamp(START)
    assert appeals["accepted_at"].max() < end_utc
    for a, e in chunks:
        assert set(e["idx"]) == set(a["idx"])


def test_source_refs_unique_per_source(appeals):
    assert appeals["source_ref"].is_unique
    prefix = {"wechat": "LXB", "hotline_12345": "12345", "city_management": "SZCG", "police_110": "110",
              "grid_patrol": "WG", "enterprise": "QY"}
    for source, refs in appeals.groupby("source")["source_ref"]:
        assert refs.str.fullmatch(re.escape(prefix[source]) + r"-20\d{6}-\d{6}").all()


def test_codes_come_from_the_domain(appeals, events):
    assert set(appeals["source"]) == set(domain.SOURCES)
    assert set(appeals["category"]) <= set(domain.CATEGORY_BY_CODE)
    assert set(appeals["priority"]) == set(domain.PRIORITIES)
    assert set(appeals["handling_level"]) == set(domain.HANDLING_LEVELS)
    assert set(appeals["status"]) <= set(domain.STATUSES)
    assert set(appeals["satisfaction"].dropna()) == set(domain.SATISFACTION)
    cats = appeals["category"].map(domain.CATEGORY_BY_CODE)
    assert (appeals["kind"] == cats.map(lambda c: c.kind)).all()
    assert (appeals["department"] == cats.map(lambda c: c.department)).all()
    assert set(events["to_status"]) <= set(domain.STATUSES)
    assert set(events["from_status"].dropna()) <= set(domain.STATUSES)
    assert set(events["handling_level"]) <= set(domain.HANDLING_LEVELS)
    for column in ("title", "description", "reporter_name"):
        assert appeals[column].str.contains(r"[\u4e00-\u9fff]").all()
    assert appeals["reporter_phone"].str.fullmatch(r"1[35789]\d{9}").all()


def test_points_lie_inside_a_grid_and_handlers_belong_to_it(appeals, grids, workers):
    found = grid_of(appeals["lon"].to_numpy(), appeals["lat"].to_numpy(), grids)
    assert (found >= 0).all()
    grid_code = grids["code"].to_numpy()[found]
    handled = appeals["worker_id"].notna().to_numpy()
    assert handled.mean() > 0.5
    home = workers.set_index("id")
    assert (home.loc[appeals.loc[handled, "worker_id"], "type"] == "full_time").all()
    assert (home.loc[appeals.loc[handled, "worker_id"], "grid_code"].to_numpy() == grid_code[handled]).all()
    assert (appeals.loc[handled, "handling_level"] == "community").all()
    scenic_streets = grids["street_code"].to_numpy()[found[(appeals["category"] == "scenic_area").to_numpy()]]
    assert len(scenic_streets) > 0
    assert set(scenic_streets) <= {"370212002", "370212003", "370212004"}


# --------------------------------------------------------------------------- appeals: workflow
def test_stage_times_are_monotone_and_match_status(appeals, end_utc):
    times = appeals[list(STAGES)]
    reached = times.notna().to_numpy()
    # Stages are reached in order: once one is missing, all later ones are.
    assert (reached[:, :-1] >= reached[:, 1:]).all()
    status_i = appeals["status"].map({s: i for i, s in enumerate(domain.STATUS_ORDER)}).to_numpy()
    assert (reached.sum(axis=1) - 1 == status_i).all()
    ns = times.apply(lambda c: c.astype("int64")).to_numpy()
    ok = reached[:, 1:]
    assert (ns[:, 1:][ok] > ns[:, :-1][ok]).all()
    assert (times.max(axis=1) <= end_utc).all()
    visited = appeals["visited_at"].notna()
    assert appeals.loc[visited, "resolved"].map(type).eq(bool).all()
    assert appeals.loc[~visited, "resolved"].isna().all()
    assert appeals.loc[~visited, "satisfaction"].isna().all()
    assert appeals.loc[~visited, "resolved"].map(lambda v: v is None).all()


def test_events_replay_each_appeal(appeals, events, end_utc):
    assert (events["at"] <= end_utc).all()
    ev = events.sort_values(["idx", "seq"], kind="stable").reset_index(drop=True)
    assert ev[["idx", "seq"]].equals(events[["idx", "seq"]])
    assert (ev.groupby("idx").cumcount() == ev["seq"]).all()
    first = ev.groupby("idx").head(1)
    assert first["from_status"].isna().all() and (first["to_status"] == "accepted").all()
    same = ev["idx"].eq(ev["idx"].shift())
    assert (ev.loc[same, "from_status"].to_numpy() == ev["to_status"].shift()[same].to_numpy()).all()
    assert (ev.loc[same, "at"].to_numpy() >= ev["at"].shift()[same].to_numpy()).all()
    last = ev.groupby("idx").tail(1).set_index("idx").loc[appeals["idx"]]
    assert (last["to_status"].to_numpy() == appeals["status"].to_numpy()).all()
    assert (last["handling_level"].to_numpy() == appeals["handling_level"].to_numpy()).all()
    # One event per reached stage, plus the escalations.
    escalations = ev[ev["from_status"].eq("in_progress") & ev["to_status"].eq("in_progress")]
    per_appeal = ev.groupby("idx").size().loc[appeals["idx"]].to_numpy()
    esc = escalations.groupby("idx").size().reindex(appeals["idx"], fill_value=0).to_numpy()
    assert (per_appeal == appeals[list(STAGES)].notna().sum(axis=1).to_numpy() + esc).all()
    level_rank = {code: i for i, code in enumerate(domain.HANDLING_LEVELS)}
    prev_level = ev["handling_level"].shift()[escalations.index].map(level_rank)
    assert (escalations["handling_level"].map(level_rank) == prev_level + 1).all()
    assert (esc == appeals["handling_level"].map(level_rank).to_numpy()).all()


def test_most_past_deadline_appeals_are_closed(appeals, end_utc):
    hours = [domain.deadline_hours(c, p) for c, p in zip(appeals["category"], appeals["priority"], strict=True)]
    respond = appeals["accepted_at"] + pd.to_timedelta([h[0] for h in hours], unit="h")
    deadline = appeals["accepted_at"] + pd.to_timedelta([h[1] for h in hours], unit="h")
    past = deadline <= end_utc
    assert past.sum() > 0.9 * len(appeals)
    assert 0.92 <= appeals.loc[past, "closed_at"].notna().mean() <= 0.975
    on_time = (appeals["closed_at"] <= deadline)[past].mean()
    assert 0.87 <= on_time <= 0.93
    dispatched = appeals["dispatched_at"].notna()
    assert 0.95 <= (appeals["dispatched_at"] <= respond)[dispatched].mean() <= 0.99
    open_ = appeals["status"] != "closed"
    assert (open_ & past).sum() > 0  # some stuck cases make 超期未办结
    assert (appeals.loc[open_ & past, "status"].isin(["in_progress", "feedback"])).all()


def test_satisfaction_and_resolution_rates(appeals):
    rated = appeals["satisfaction"].dropna()
    share = rated.value_counts(normalize=True)
    assert 0.95 <= share["satisfied"] + share["basically_satisfied"] <= 0.99
    assert 0.80 <= share["satisfied"] <= 0.95
    visited = appeals["resolved"].dropna().astype(bool)
    assert 0.92 <= visited.mean() <= 0.98
    assert 0.78 <= len(rated) / len(visited) <= 0.92


def test_levels_priorities_and_repeats(appeals):
    levels = appeals.loc[appeals["status"] == "closed", "handling_level"].value_counts(normalize=True)
    assert 0.65 <= levels["community"] <= 0.75
    assert 0.05 <= levels["district"] <= 0.11
    assert 0.05 <= (appeals["priority"] == "urgent").mean() <= 0.11
    citizen = appeals[appeals["source"] != "grid_patrol"]
    key = [citizen[c] for c in ("source", "lon", "lat", "category", "reporter_name", "reporter_phone")]
    previous = citizen.groupby(key)["accepted_at"].shift()
    repeat = (citizen["accepted_at"] - previous) <= pd.Timedelta(days=30)
    assert 0.05 <= repeat.sum() / len(appeals) <= 0.12


# --------------------------------------------------------------------------- appeals: rhythms
def test_mix_of_sources_and_kinds(appeals):
    sources = appeals["source"].value_counts(normalize=True)
    for code, share in {"wechat": 0.35, "hotline_12345": 0.30, "city_management": 0.12, "grid_patrol": 0.13,
                        "police_110": 0.05, "enterprise": 0.05}.items():
        assert abs(sources[code] - share) < 0.025, code
    kinds = appeals["kind"].value_counts(normalize=True)
    assert abs(kinds["livelihood"] - 0.80) < 0.03
    assert abs(kinds["development"] - 0.08) < 0.02
    assert abs(kinds["enforcement"] - 0.12) < 0.025
    dev_sources = appeals.loc[appeals["kind"] == "development", "source"].value_counts(normalize=True)
    assert dev_sources[["enterprise", "hotline_12345"]].sum() > 0.7


def test_daily_weekly_and_seasonal_cycles(appeals):
    local = appeals["accepted_at"].dt.tz_convert(domain.LOCAL_TZ)
    hours = local.dt.hour.value_counts()
    assert hours[10] > 10 * hours[3]
    weekend = local.dt.day_of_week >= 5
    patrol = appeals["source"] == "grid_patrol"
    assert patrol[weekend].mean() < 0.6 * patrol[~weekend].mean()
    heating = local[appeals["category"] == "heating"].dt.month.value_counts()
    assert heating.get(12, 0) > 20 * (heating.get(7, 0) + 1)
    drainage = local[appeals["category"] == "drainage"].dt.month.value_counts()
    assert drainage.get(7, 0) + drainage.get(8, 0) > 3 * (drainage.get(1, 0) + drainage.get(2, 0))
    per_day = local.dt.date.value_counts()
    assert abs(per_day.mean() - N / 365) < 3


# --------------------------------------------------------------------------- determinism
def test_same_seed_same_frames_and_chunking_does_not_matter(grids, workers):
    start, end = datetime(2024, 6, 1, tzinfo=domain.LOCAL_TZ), datetime(2024, 8, 1, tzinfo=domain.LOCAL_TZ)

    def run(seed: int, chunk_size: int) -> tuple[pd.DataFrame, pd.DataFrame]:
        out = list(demo.generate_appeals(grids, workers, 3_000, start, end, seed, chunk_size=chunk_size))
        return (pd.concat([a for a, _ in out], ignore_index=True), pd.concat([e for _, e in out], ignore_index=True))

    a1, e1 = run(1, 1_000)
    a2, e2 = run(1, 1_000)
    pd.testing.assert_frame_equal(a1, a2)
    pd.testing.assert_frame_equal(e1, e2)
    a3, e3 = run(1, 100_000)
    pd.testing.assert_frame_equal(a1, a3)
    pd.testing.assert_frame_equal(e1, e3)
    b, _ = run(2, 1_000)
    assert not a1["accepted_at"].equals(b["accepted_at"])
    assert not a1["title"].equals(b["title"])


def test_rejects_naive_times_and_handles_zero(grids, workers):
    with pytest.raises(ValueError):
        next(demo.generate_appeals(grids, workers, 10, datetime(2024, 1, 1), END, seed=1))
    assert list(demo.generate_appeals(grids, workers, 0, START, END, seed=1)) == []


def test_appeals_accepted_just_before_end_are_early_in_the_workflow(appeals, end_utc):
    recent = appeals[appeals["accepted_at"] > end_utc - pd.Timedelta(hours=3)]
    assert len(recent) > 0
    assert (recent["status"] != "closed").mean() > 0.8
