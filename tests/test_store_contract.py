"""The store contract: the same tests on SQLite and PostGIS."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
import shapely

from dashboard.view import data as view_data
from dashboard.view.state import ViewState
from dashboard.view.text import kpi_delta
from geo import kpis as kpi_math
from geo import reference
from geo.access import SYSTEM, Viewer
from geo.domain import LOCAL_TZ
from geo.privacy import published_sum
from geo.scope import CODE_LENGTH, DISTRICT, Filters, Scope, Window
from geo.store.errors import Forbidden, NotFound
from tests.conftest import SEED_END

WINDOW = Window(date(2026, 9, 21), date(2026, 11, 21))  # the whole seeded history
AS_OF = SEED_END


def test_geography_counts(seeded_store):
    assert len(seeded_store.boundaries("district", viewer=SYSTEM)["features"]) == 1
    assert len(seeded_store.boundaries("street", viewer=SYSTEM)["features"]) == 5
    assert len(seeded_store.boundaries("community", viewer=SYSTEM)["features"]) == 167
    grids = seeded_store.boundaries("grid", viewer=SYSTEM)["features"]
    assert len(grids) == 863
    professional = seeded_store.boundaries("professional", viewer=SYSTEM)["features"]
    assert {f["properties"]["type"] for f in professional} == {
        "police",
        "emergency",
        "law_enforcement",
        "market_supervision",
        "fire",
        "environment",
        "transport",
        "health",
    }


def test_grid_properties_carry_profile_and_key_population(seeded_store):
    grid = seeded_store.boundaries("grid", viewer=SYSTEM)["features"][0]["properties"]
    for key in ("code", "name", "parent_code", "households", "population", "buildings", "legal_persons"):
        assert grid[key] is not None
    assert grid["key_population"] == published_sum(grid["key_population_by_type"].values())
    assert grid["code"].startswith(grid["parent_code"])


def test_boundaries_round_trip_geometry(seeded_store):
    """What the store returns is the committed geometry, not a degraded copy."""
    committed = reference.read_layer("street").set_index("code").geometry
    for feature in seeded_store.boundaries("street", viewer=SYSTEM)["features"]:
        got = shapely.geometry.shape(feature["geometry"])
        expected = committed[feature["properties"]["code"]]
        assert got.symmetric_difference(expected).area < 1e-12


def test_boundaries_respect_the_viewer(seeded_store):
    viewer = Viewer("street", Scope("street", "370212002"))
    features = seeded_store.boundaries("community", viewer)["features"]
    assert features and all(f["properties"]["parent_code"] == "370212002" for f in features)


def test_locate_points(seeded_store):
    grids = reference.read_layer("grid").sample(40, random_state=1)
    points = [g.representative_point() for g in grids.geometry]
    found = seeded_store.locate([p.x for p in points], [p.y for p in points])
    assert found == list(grids["code"])
    # The open sea east of the coast, 市南区 downtown, and Beijing.
    assert seeded_store.locate([120.80, 120.38, 116.40], [36.10, 36.07, 39.90]) == [None, None, None]


def test_resolve_units_and_errors(seeded_store):
    assert seeded_store.resolve(DISTRICT, viewer=SYSTEM).name == "崂山区"
    assert seeded_store.resolve(Scope("street", "370212005"), viewer=SYSTEM).name == "金家岭街道"
    with pytest.raises(NotFound, match="370212009"):
        seeded_store.resolve(Scope("street", "370212009"), viewer=SYSTEM)
    with pytest.raises(Forbidden):
        seeded_store.resolve(Scope("street", "370212001"), viewer=Viewer("street", Scope("street", "370212002")))


def _python_kpis(items: list[dict], as_of, arrived_by=None) -> dict:
    """KPIs recomputed in Python from the appeal rows, independently of the SQL: each stage counts if it happened by as_of."""
    frame = pd.DataFrame(items)
    for column in ("accepted_at", "dispatched_at", "visited_at", "closed_at", "deadline", "response_deadline"):
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    as_of = pd.Timestamp(as_of)
    if arrived_by is not None:
        frame = frame[frame["accepted_at"] <= pd.Timestamp(arrived_by)]
    closed = frame["closed_at"] <= as_of  # NaT compares False
    visited = frame["resolved"].notna() & (frame["visited_at"] <= as_of)
    counts = {
        "accepted": len(frame),
        "closed": int(closed.sum()),
        "closed_on_time": int((closed & (frame["closed_at"] <= frame["deadline"])).sum()),
        "overdue_open": int((~closed & (frame["deadline"] < as_of)).sum()),
        "responded_on_time": int(
            ((frame["dispatched_at"] <= frame["response_deadline"]) & (frame["dispatched_at"] <= as_of)).sum()
        ),
        "visited": int(visited.sum()),
        "resolved": int((visited & (frame["resolved"] == True)).sum()),  # noqa: E712 — None must not count
        "rated": int((visited & frame["satisfaction"].notna()).sum()),
        "satisfied": int((visited & frame["satisfaction"].isin(["satisfied", "basically_satisfied"])).sum()),
        "close_seconds": int((frame["closed_at"] - frame["accepted_at"]).dt.total_seconds().where(closed, 0).sum()),
    }
    return kpi_math.as_json(kpi_math.compute(counts))


@pytest.mark.parametrize(
    "scope,window,filters",
    [
        (DISTRICT, WINDOW, Filters()),
        (Scope("street", "370212002"), Window(date(2026, 10, 1), date(2026, 11, 1)), Filters()),
        (
            DISTRICT,
            Window(date(2026, 11, 10), date(2026, 11, 21)),
            Filters(kind=("livelihood",), status=("closed",)),
        ),
    ],
    ids=["district", "street-october", "filtered-recent"],
)
def test_kpis_match_an_independent_computation(seeded_store, scope, window, filters):
    items = seeded_store.appeals(scope, window, limit=100_000, filters=filters, viewer=SYSTEM)["items"]
    assert items
    # Now, and a past view where many were still open (or, for the recent window, not yet in).
    for as_of in (AS_OF, AS_OF - timedelta(days=5), AS_OF - timedelta(days=12)):
        doc = seeded_store.kpis(scope, window, as_of=as_of, filters=filters, viewer=SYSTEM)
        assert doc["kpis"] == _python_kpis(items, as_of)
        doc = seeded_store.kpis(scope, window, as_of=as_of, filters=filters, viewer=SYSTEM, arrived_by=as_of)
        assert doc["kpis"] == _python_kpis(items, as_of, arrived_by=as_of)


def test_a_past_as_of_sees_less_done(seeded_store):
    now = seeded_store.kpis(DISTRICT, WINDOW, as_of=AS_OF, viewer=SYSTEM)["kpis"]
    then = seeded_store.kpis(DISTRICT, WINDOW, as_of=AS_OF - timedelta(days=20), viewer=SYSTEM)["kpis"]
    assert then["accepted"] == now["accepted"]  # membership is by 受理 time within the window
    # Reproduced as it stood then, only what had come in by then counts.
    stood = seeded_store.kpis(DISTRICT, WINDOW, as_of=AS_OF - timedelta(days=20), viewer=SYSTEM,
                              arrived_by=AS_OF - timedelta(days=20))["kpis"]
    assert 0 < stood["accepted"]["value"] < now["accepted"]["value"]
    assert then["closed"]["value"] < now["closed"]["value"]
    assert then["resolution_rate"]["denominator"] < now["resolution_rate"]["denominator"]


def test_kpis_are_believable(seeded_store):
    k = seeded_store.kpis(DISTRICT, WINDOW, as_of=AS_OF, viewer=SYSTEM)["kpis"]
    assert 5000 < k["accepted"]["value"] <= 6000
    assert 0.85 <= k["closure_rate"]["value"] <= 0.99
    assert 0.95 <= k["satisfaction_rate"]["value"] <= 0.995
    assert k["overdue_open"]["value"] > 0


def test_scopes_add_up(seeded_store):
    district = seeded_store.kpis(DISTRICT, WINDOW, as_of=AS_OF, viewer=SYSTEM)["kpis"]["accepted"]["value"]
    streets = sum(
        seeded_store.kpis(Scope("street", code), WINDOW, as_of=AS_OF, viewer=SYSTEM)["kpis"]["accepted"]["value"]
        for code in ("370212001", "370212002", "370212003", "370212004", "370212005")
    )
    assert streets == district


def test_window_is_half_open_local_days(seeded_store):
    """An appeal belongs to the day of its 受理 time in Asia/Shanghai."""
    one_day = Window(date(2026, 11, 2), date(2026, 11, 3))
    items = seeded_store.appeals(DISTRICT, one_day, limit=1000, viewer=SYSTEM)["items"]
    assert items
    assert all(
        item["accepted_at"].startswith("2026-11-02T") and item["accepted_at"].endswith("+08:00")
        for item in items
    )
    split = sum(
        seeded_store.kpis(DISTRICT, Window(d, d + timedelta(days=1)), as_of=AS_OF, viewer=SYSTEM)["kpis"]["accepted"][
            "value"
        ]
        for d in (date(2026, 11, 1), date(2026, 11, 2))
    )
    assert (
        split
        == seeded_store.kpis(DISTRICT, Window(date(2026, 11, 1), date(2026, 11, 3)), as_of=AS_OF, viewer=SYSTEM)["kpis"][
            "accepted"
        ]["value"]
    )


def test_empty_window_has_no_ratios(seeded_store):
    k = seeded_store.kpis(DISTRICT, Window(date(2020, 1, 1), date(2020, 2, 1)), as_of=AS_OF, viewer=SYSTEM)["kpis"]
    assert k["accepted"] == {"value": 0, "numerator": 0, "denominator": None}
    assert k["closure_rate"]["value"] is None
    assert k["mean_hours_to_close"]["value"] is None


def test_appeals_are_masked_and_paged(seeded_store):
    page = seeded_store.appeals(Scope("street", "370212001"), WINDOW, limit=5, offset=0, viewer=SYSTEM)
    assert page["total"] > 5 and len(page["items"]) == 5
    for item in page["items"]:
        assert re.fullmatch(r"[^*]{1,2}\*+", item["reporter_name"]), item["reporter_name"]
        assert re.fullmatch(r"1[0-9]{2}\*{4}[0-9]{4}", item["reporter_phone"]), item["reporter_phone"]
        assert item["street_code"] == "370212001"
        assert item["grid_code"].startswith(item["community_code"])
    second = seeded_store.appeals(Scope("street", "370212001"), WINDOW, limit=5, offset=5, viewer=SYSTEM)["items"]
    assert {i["id"] for i in second}.isdisjoint({i["id"] for i in page["items"]})


def test_overdue_list_is_the_overdue_kpi(seeded_store):
    street = Scope("street", "370212001")
    kpi = seeded_store.kpis(street, WINDOW, as_of=AS_OF, viewer=SYSTEM)["kpis"]["overdue_open"]["value"]
    doc = seeded_store.overdue_appeals(street, WINDOW, AS_OF, limit=10, viewer=SYSTEM)
    assert doc["total"] == kpi > 0
    items = doc["items"]
    assert len(items) == min(10, kpi)
    deadlines = [datetime.fromisoformat(i["deadline"]) for i in items]
    assert deadlines == sorted(deadlines)
    for item in items:
        assert datetime.fromisoformat(item["deadline"]) < AS_OF and item["street_code"] == street.code
        assert item["closed_at"] is None or datetime.fromisoformat(item["closed_at"]) > AS_OF
        assert "*" in item["reporter_name"] and "****" in item["reporter_phone"]
    with pytest.raises(Forbidden):
        seeded_store.overdue_appeals(street, WINDOW, AS_OF, viewer=Viewer("street", Scope("street", "370212002")))


def test_appeal_timeline(seeded_store):
    item = seeded_store.appeals(DISTRICT, WINDOW, limit=1, filters=Filters(status=("closed",)), viewer=SYSTEM)["items"][0]
    events = seeded_store.appeal_events(item["id"], viewer=SYSTEM)
    assert events[0]["to_status"] == "accepted"
    assert events[-1]["to_status"] == "closed"
    with pytest.raises(NotFound):
        seeded_store.appeal_events(10**12, viewer=SYSTEM)


def test_workers(seeded_store):
    doc = seeded_store.workers(DISTRICT, viewer=SYSTEM)
    assert 1200 <= doc["total"] <= 1400
    types = pd.Series([w["type"] for w in doc["items"]]).value_counts()
    assert types["full_time"] >= 900
    assert all("*" in w["name"] for w in doc["items"])
    grid_codes = {f["properties"]["code"] for f in seeded_store.boundaries("grid", viewer=SYSTEM)["features"]}
    assert grid_codes <= {w["grid_code"] for w in doc["items"] if w["type"] == "full_time"}
    street = seeded_store.workers(Scope("street", "370212003"), viewer=SYSTEM)
    assert 0 < street["total"] < doc["total"]
    assert all(w["grid_code"].startswith("370212003") for w in street["items"])


def test_worker_counts_are_the_workers_listed_per_unit(seeded_store):
    """Counted in the database, they equal the listed workers by home grid, on both backends."""
    street = Scope("street", "370212003")
    for scope, level in ((DISTRICT, "street"), (DISTRICT, "grid"), (street, "community"), (street, "grid")):
        listed = pd.Series([w["grid_code"][:CODE_LENGTH[level]]
                            for w in seeded_store.workers(scope, viewer=SYSTEM)["items"]]).value_counts()
        assert seeded_store.worker_counts(scope, level, SYSTEM) == listed.to_dict(), (scope, level)
    # The wall is shown no home grids, hence no counts; a street account sees only its street.
    assert seeded_store.worker_counts(street, "community", Viewer("screen", DISTRICT)) == {}
    assert seeded_store.worker_counts(street, "community", Viewer("street", street))
    with pytest.raises(Forbidden):
        seeded_store.worker_counts(DISTRICT, "street", Viewer("street", street))


def test_insert_assigns_grid_and_deadlines(writable_store):
    grid = reference.read_layer("grid").iloc[10]
    point = grid.geometry.representative_point()
    accepted = pd.Timestamp("2026-11-20 09:00", tz="Asia/Shanghai")
    frame = pd.DataFrame(
        [
            {
                "idx": 0,
                "source": "hotline_12345",
                "source_ref": "TEST-1",
                "kind": "livelihood",
                "category": "heating",
                "priority": "urgent",
                "title": "暖气不热",
                "description": "室温低于16度",
                "reporter_name": "王小明",
                "reporter_phone": "13812345678",
                "lon": point.x,
                "lat": point.y,
                "handling_level": "community",
                "status": "accepted",
                "accepted_at": accepted,
                "dispatched_at": pd.NaT,
                "in_progress_at": pd.NaT,
                "feedback_at": pd.NaT,
                "visited_at": pd.NaT,
                "closed_at": pd.NaT,
                "department": None,
                "worker_id": None,
                "resolved": None,
                "satisfaction": None,
            }
        ]
    )
    ids = writable_store.insert_appeals(frame)
    day = Window(date(2026, 11, 20), date(2026, 11, 21))
    items = writable_store.appeals(Scope("grid", grid["code"]), day, limit=100, viewer=SYSTEM)["items"]
    mine = next(i for i in items if i["id"] == int(ids.iloc[0]))
    assert mine["grid_code"] == grid["code"]
    assert mine["response_deadline"] == "2026-11-20T11:00:00+08:00"  # 紧急: 2 h
    assert mine["deadline"] == "2026-11-21T09:00:00+08:00"  # 紧急: 24 h
    outside = frame.assign(source_ref="TEST-2", lon=120.80, lat=36.10)
    with pytest.raises(ValueError, match="不在崂山区"):
        writable_store.insert_appeals(outside)


def test_insert_is_idempotent_on_source_ref(writable_store):
    grid = reference.read_layer("grid").iloc[3]
    point = grid.geometry.representative_point()
    row = {
        "source": "wechat", "source_ref": "LXB-RETRY-1", "kind": "livelihood", "category": "noise",
        "priority": "normal", "title": "夜间施工", "description": "夜间施工噪音", "reporter_name": "李雷",
        "reporter_phone": "13900001111", "lon": point.x, "lat": point.y, "handling_level": "community", "status": "accepted",
        "accepted_at": pd.Timestamp("2026-11-20 10:00", tz="Asia/Shanghai"), "dispatched_at": pd.NaT,
        "in_progress_at": pd.NaT, "feedback_at": pd.NaT, "visited_at": pd.NaT, "closed_at": pd.NaT,
        "department": None, "worker_id": None, "resolved": None, "satisfaction": None,
    }
    before = writable_store.count("appeals")
    first = writable_store.insert_appeals(pd.DataFrame([{**row, "idx": 0}]))
    # A retried batch holding the same appeal twice plus a new one.
    again = writable_store.insert_appeals(
        pd.DataFrame([{**row, "idx": 0}, {**row, "idx": 1}, {**row, "idx": 2, "source_ref": "LXB-RETRY-2"}])
    )
    assert again.loc[0] == again.loc[1] == first.loc[0]
    assert again.loc[2] != first.loc[0]
    assert writable_store.count("appeals") == before + 2


@pytest.mark.postgis
def test_same_seed_same_data_on_both_backends(both_stores):
    """Row for row: every appeal field (times, codes, flags) and every event."""
    sqlite_store, pg_store = both_stores
    assert sqlite_store.count("appeals") == pg_store.count("appeals") > 0
    assert sqlite_store.count("appeal_events") == pg_store.count("appeal_events")
    a = sqlite_store.appeals(DISTRICT, WINDOW, limit=100_000, viewer=SYSTEM)["items"]
    b = pg_store.appeals(DISTRICT, WINDOW, limit=100_000, viewer=SYSTEM)["items"]
    assert a == b
    for appeal_id in (a[0]["id"], a[len(a) // 2]["id"], a[-1]["id"]):
        assert sqlite_store.appeal_events(appeal_id, viewer=SYSTEM) == pg_store.appeal_events(appeal_id, viewer=SYSTEM)


@pytest.mark.postgis
@pytest.mark.parametrize(
    "scope",
    [DISTRICT, Scope("street", "370212005"), Scope("community", "370212002001")],
    ids=lambda s: s.level,
)
def test_kpis_identical_on_both_backends(both_stores, scope):
    sqlite_store, pg_store = both_stores
    for window in (WINDOW, Window(date(2026, 11, 1), date(2026, 11, 21))):
        for filters in (Filters(), Filters(source=("wechat", "hotline_12345"))):
            assert sqlite_store.kpis(scope, window, AS_OF, filters, viewer=SYSTEM) == pg_store.kpis(
                scope, window, AS_OF, filters, viewer=SYSTEM
            )


@pytest.mark.postgis
def test_locate_identical_on_both_backends(both_stores):
    sqlite_store, pg_store = both_stores
    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(120.40, 120.72, 2000), rng.uniform(36.05, 36.35, 2000)
    assert sqlite_store.locate(lon, lat) == pg_store.locate(lon, lat)


def test_grouped_counts_add_up(seeded_store):
    total = seeded_store.kpi_counts(DISTRICT, WINDOW, AS_OF, viewer=SYSTEM)
    by_street = seeded_store.kpi_counts(DISTRICT, WINDOW, AS_OF, group_by="street_code", viewer=SYSTEM)
    assert set(by_street) == {"370212001", "370212002", "370212003", "370212004", "370212005"}
    for key in total:
        assert sum(group[key] for group in by_street.values()) == total[key]
    by_kind = seeded_store.kpi_counts(Scope("street", "370212005"), WINDOW, AS_OF, group_by="kind", viewer=SYSTEM)
    assert sum(g["accepted"] for g in by_kind.values()) == seeded_store.kpi_counts(
        Scope("street", "370212005"), WINDOW, AS_OF, viewer=SYSTEM
    )["accepted"]


def test_daily_counts(seeded_store):
    window = Window(date(2026, 11, 1), date(2026, 11, 11))
    days = seeded_store.daily_counts(Scope("street", "370212001"), window, viewer=SYSTEM)
    assert [d["day"] for d in days] == [f"2026-11-{i:02d}" for i in range(1, 11)]
    items = seeded_store.appeals(Scope("street", "370212001"), window, limit=100_000, viewer=SYSTEM)["items"]
    assert sum(d["accepted"] for d in days) == len(items)
    # "Closed" is by the day of 办结, whenever the appeal came in: check against all the street's appeals.
    everything = seeded_store.appeals(Scope("street", "370212001"), WINDOW, limit=100_000, viewer=SYSTEM)["items"]
    closed_in_window = [i for i in everything if i["closed_at"] and "2026-11-01" <= i["closed_at"][:10] <= "2026-11-10"]
    assert sum(d["closed"] for d in days) == len(closed_in_window)


def test_heat_counts_cover_the_appeals(seeded_store):
    from layers import heat

    cells = seeded_store.heat_counts(DISTRICT, WINDOW, Filters(), heat.ORIGIN, heat.CELL, heat.SHAPE, viewer=SYSTEM)
    assert all(0 <= c < heat.SHAPE[0] and 0 <= r < heat.SHAPE[1] for c, r, _ in cells)
    assert sum(n for _, _, n in cells) == seeded_store.kpi_counts(DISTRICT, WINDOW, AS_OF, viewer=SYSTEM)["accepted"]


def test_lineage_and_children(seeded_store):
    grid = Scope("grid", "370212001001001")
    assert [u.level for u in seeded_store.lineage(grid, viewer=SYSTEM)] == ["district", "street", "community", "grid"]
    streets = seeded_store.children(DISTRICT, viewer=SYSTEM)
    assert [u.code for u in streets] == ["370212001", "370212002", "370212003", "370212004", "370212005"]
    assert seeded_store.children(grid, viewer=SYSTEM) == []
    profile = seeded_store.grid_profile("370212001001001", viewer=SYSTEM)
    assert 300 <= profile["households"] <= 500
    assert profile["key_population"] == published_sum(profile["key_population_by_type"].values())


@pytest.mark.postgis
def test_panel_queries_identical_on_both_backends(both_stores):
    from layers import heat

    sqlite_store, pg_store = both_stores
    street = Scope("street", "370212002")
    for store_call in (
        lambda s: s.kpi_counts(DISTRICT, WINDOW, AS_OF, group_by="grid_code", viewer=SYSTEM),
        lambda s: s.kpi_counts(street, WINDOW, AS_OF, group_by="category", viewer=SYSTEM),
        lambda s: s.daily_counts(street, WINDOW, viewer=SYSTEM),
        lambda s: sorted(s.heat_counts(DISTRICT, WINDOW, Filters(), heat.ORIGIN, heat.CELL, heat.SHAPE, viewer=SYSTEM)),
    ):
        assert store_call(sqlite_store) == store_call(pg_store)


def test_breakdown_matches_grouped_kpis(seeded_store):
    street = Scope("street", "370212003")
    out = seeded_store.breakdown(street, WINDOW, viewer=SYSTEM)
    for dim in ("kind", "category", "source", "status", "handling_level"):
        grouped = seeded_store.kpi_counts(street, WINDOW, AS_OF, group_by=dim, viewer=SYSTEM)
        assert out[dim] == {k: v["accepted"] for k, v in grouped.items()}


def _appeal(grid: str, point, ref: str, accepted: str, closed: str | None) -> dict:
    """One appeal of an ordinary category, accepted (and perhaps closed) at the given local times."""
    at = pd.Timestamp(accepted, tz="Asia/Shanghai")
    end = pd.Timestamp(closed, tz="Asia/Shanghai") if closed else pd.NaT
    return {"idx": 0, "source": "hotline_12345", "source_ref": ref, "kind": "livelihood", "category": "heating",
            "priority": "normal", "title": "暖气不热", "description": "", "reporter_name": None,
            "reporter_phone": None, "lon": point.x, "lat": point.y, "handling_level": "community",
            "status": "closed" if closed else "accepted", "accepted_at": at,
            "dispatched_at": at + pd.Timedelta(hours=1), "in_progress_at": pd.NaT, "feedback_at": pd.NaT,
            "visited_at": pd.NaT, "closed_at": end, "department": None, "worker_id": None, "resolved": None,
            "satisfaction": None}


def test_comparisons_are_read_at_the_same_age(writable_store):
    """近7天 against the 7 days before, both as they stood 7 days apart: worked out by hand below."""
    grid = reference.read_layer("grid").iloc[20]
    point = grid.geometry.representative_point()
    rows = [
        # This window, 12-08 … 12-14, read now: 12-14 12:00.
        _appeal(grid["code"], point, "SAME-AGE-A1", "2026-12-08 09:00", "2026-12-10 09:00"),
        _appeal(grid["code"], point, "SAME-AGE-A2", "2026-12-13 09:00", None),
        # The previous window, 12-01 … 12-07, read as of 12-07 12:00.
        _appeal(grid["code"], point, "SAME-AGE-B1", "2026-12-01 09:00", "2026-12-03 09:00"),
        _appeal(grid["code"], point, "SAME-AGE-B2", "2026-12-06 09:00", "2026-12-10 09:00"),  # open at that age
        _appeal(grid["code"], point, "SAME-AGE-B3", "2026-12-07 15:00", None),  # after that age's as_of
    ]
    writable_store.insert_appeals(pd.DataFrame(rows))
    as_of = datetime(2026, 12, 14, 12, 0, tzinfo=LOCAL_TZ)
    state = ViewState.from_search(f"?scope=grid&id={grid['code']}&from=2026-12-08&to=2026-12-15", date(2026, 12, 14))
    summary = view_data.summary(writable_store, state, as_of, SYSTEM)

    now, previous = summary["kpis"], summary["comparisons"]["previous"]
    assert (now["accepted"]["value"], now["closed"]["value"], now["closure_rate"]["value"]) == (2, 1, 0.5)
    assert (previous["from"], previous["to"]) == ("2026-12-01", "2026-12-08")
    assert previous["as_of"].startswith("2026-12-07T12:00")
    before = previous["kpis"]
    # B1 and B2 had come in by 12-07 12:00, and only B1 was closed: 1 of 2, not the 2 of 3 of today.
    assert (before["accepted"]["value"], before["closed"]["value"], before["closure_rate"]["value"]) == (2, 1, 0.5)
    assert before["mean_hours_to_close"]["value"] == 48.0
    assert kpi_delta("closure_rate", summary, "previous") == ("环比 持平", "flat")
    # A year earlier there was nothing in this grid's December: no rise from nothing.
    assert summary["comparisons"]["year_ago"]["from"] == "2025-12-08"
    assert summary["comparisons"]["year_ago"]["kpis"] is None
    assert kpi_delta("accepted", summary, "year_ago") == ("同比 去年同期无数据", "none")


def test_a_window_before_the_launch_has_no_comparison(seeded_store):
    state = ViewState.from_search("?from=2022-10-20&to=2026-11-21", date(2026, 11, 20))
    summary = view_data.summary(seeded_store, state, AS_OF, SYSTEM)
    assert summary["kpis"]["accepted"]["value"] > 0
    assert summary["comparisons"]["previous"]["kpis"] is None
    assert summary["comparisons"]["year_ago"]["kpis"] is None


def test_the_ticker_shows_the_newest_appeals_of_the_view(seeded_store):
    """Scope, window and filters all apply: a filtered ticker never lists another category."""
    state = ViewState.from_search("?scope=street&id=370212001&from=2026-10-01&to=2026-10-15"
                                  "&category=property_management&source=hotline_12345", date(2026, 11, 20))
    rows = view_data.ticker(seeded_store, state, SYSTEM, limit=8)
    listed = seeded_store.appeals(state.scope, state.window, limit=8, filters=state.filters, viewer=SYSTEM)["items"]
    assert rows and [r["id"] for r in rows] == [i["id"] for i in listed]
    assert {r["category"] for r in rows} == {"物业管理"} and {r["street"] for r in rows} == {"中韩街道"}
    assert all("10-01" <= r["time"][:5] <= "10-14" for r in rows)
