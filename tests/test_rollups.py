"""Rollups: every answer read from them equals the same answer read from the appeals alone.

The contract runs on both backends, at now and at past as-of values, for every scope level, for
windows that start and end mid-month and span several months, and again after the writes that
move appeals in and out of the rollups (closing, reopening, ingest, bulk load, the migration).
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from dashboard.view.data import CHILD_COLUMN, ranking, ranking_from_grids
from dashboard.view.state import ViewState
from geo import domain
from geo.access import SYSTEM
from geo.scope import DISTRICT, Filters, Scope, Window
from geo.store import rollups
from geo.store import schema as t
from tests.conftest import SEED_END

LATTICE = (domain.HEAT_ORIGIN, domain.HEAT_CELL, domain.HEAT_SHAPE)


def scopes_of(store) -> list[Scope]:
    street = store.children(DISTRICT, viewer=SYSTEM)[1].scope
    community = store.children(street, viewer=SYSTEM)[0].scope
    grid = store.children(community, viewer=SYSTEM)[0].scope
    return [DISTRICT, street, community, grid]


WINDOWS = [
    Window(date(2026, 9, 21), date(2026, 11, 21)),  # the whole history, across three month starts
    Window(date(2026, 10, 1), date(2026, 11, 1)),  # exactly one month
    Window(date(2026, 10, 17), date(2026, 11, 16)),  # ragged ends
    Window(date(2026, 11, 14), date(2026, 11, 22)),  # a week, past the last appeal
    Window(date(2026, 11, 3), date(2026, 11, 3)),  # empty
]
AS_OFS = [
    SEED_END,
    SEED_END + timedelta(days=3),
    SEED_END - timedelta(days=2, hours=5, minutes=17, seconds=3),
    SEED_END - timedelta(days=19, hours=11),
    datetime(2026, 10, 31, 23, 59, 59, tzinfo=domain.LOCAL_TZ),
    datetime(2026, 9, 1, tzinfo=domain.LOCAL_TZ),
]


def assert_rollups_agree(store, as_ofs=AS_OFS, windows=WINDOWS) -> int:
    """Compares every rolled-up read with the read from the appeals; returns how many answers were compared."""
    compared = 0
    for scope in scopes_of(store):
        for window in windows:
            for as_of in as_ofs:
                for arrived_by in (None, as_of, as_of - timedelta(hours=7)):
                    groups = [None, "grid_code"] + ([CHILD_COLUMN[scope.level]] if scope.level != "grid" else [])
                    for group_by in groups:
                        rolled = store.kpi_counts(scope, window, as_of, group_by=group_by, viewer=SYSTEM,
                                                  arrived_by=arrived_by)
                        raw = store.kpi_counts_from_appeals(scope, window, as_of, group_by=group_by, viewer=SYSTEM,
                                                            arrived_by=arrived_by)
                        assert rolled == raw, (scope, window, as_of, arrived_by, group_by)
                        compared += 1
            assert store.daily_counts(scope, window, viewer=SYSTEM) == store.daily_counts_from_appeals(
                scope, window, viewer=SYSTEM), (scope, window)
            assert store.breakdown(scope, window, viewer=SYSTEM) == store.breakdown_from_appeals(
                scope, window, viewer=SYSTEM), (scope, window)
            assert store.heat_counts(scope, window, Filters(), *LATTICE, viewer=SYSTEM) == \
                store.heat_counts_from_appeals(scope, window, Filters(), *LATTICE, viewer=SYSTEM), (scope, window)
            compared += 3
    return compared


def test_the_seeded_history_has_what_the_contract_needs(seeded_store):
    """Open, settled, in-flight-at-a-past-moment and reopened-then-closed appeals all exist, so the
    contract below exercises every part of the read."""
    a = t.appeals
    with seeded_store.connect() as conn:
        still_open = conn.execute(sa.select(sa.func.count()).where(a.c.closed_at.is_(None))).scalar()
        settled = conn.execute(sa.select(sa.func.count()).where(a.c.settled_at.is_not(None))).scalar()
        past = SEED_END - timedelta(days=19, hours=11)
        in_flight = conn.execute(sa.select(sa.func.count()).where(a.c.accepted_at <= past, a.c.settled_at > past)).scalar()
        classes = conn.execute(sa.select(sa.func.count(sa.distinct(a.c.settle_class)))).scalar()
    assert still_open > 100 and settled > 3000 and in_flight > 50 and classes >= 4


def test_rolled_up_reads_equal_reads_of_the_appeals(seeded_store):
    assert assert_rollups_agree(seeded_store) > 1000


def test_filtered_and_other_groupings_still_read_the_appeals(seeded_store):
    """Filters and groupings the rollups do not hold give the appeals' answer (the same method serves both)."""
    window, scope = WINDOWS[0], DISTRICT
    filters = Filters(category=("noise",))
    assert seeded_store.kpi_counts(scope, window, SEED_END, filters, viewer=SYSTEM) == \
        seeded_store.kpi_counts_from_appeals(scope, window, SEED_END, filters, viewer=SYSTEM)
    assert seeded_store.kpi_counts(scope, window, SEED_END, group_by="category", viewer=SYSTEM) == \
        seeded_store.kpi_counts_from_appeals(scope, window, SEED_END, group_by="category", viewer=SYSTEM)


def rollup_rows(store) -> dict[str, set[tuple]]:
    """Each rollup's non-zero rows."""
    out = {}
    with store.connect() as conn:
        for table in t.ROLLUPS:
            values = rollups.value_columns(table)
            rows = conn.execute(sa.select(table)).all()
            out[table.name] = {tuple(r) for r in rows if any(r._mapping[v] for v in values)}
    return out


def settling_columns(store) -> set[tuple]:
    a = t.appeals
    with store.connect() as conn:
        return {tuple(r) for r in conn.execute(sa.select(a.c.id, a.c.settled_at, a.c.settle_class))}


def rebuilt(store) -> dict[str, set[tuple]]:
    with store.connect(write=True) as conn:
        rollups.rebuild(conn, store.backend)
    return rollup_rows(store)


def test_writes_keep_the_rollups_exact(writable_store):
    """Closing, reopening, rating and ingesting move appeals in and out; the rollups follow each write
    and end equal to rollups rebuilt from scratch."""
    store = writable_store
    a = t.appeals
    rng = random.Random(13)
    with store.connect() as conn:
        open_ids = [r.id for r in conn.execute(sa.select(a.c.id).where(a.c.closed_at.is_(None)).limit(40))]
        closed_ids = [r.id for r in conn.execute(sa.select(a.c.id).where(a.c.status == "closed").order_by(a.c.id.desc())
                                                 .limit(400))]
    assert len(open_ids) >= 20 and len(closed_ids) >= 40
    at, escalated = SEED_END + timedelta(minutes=5), 0
    for appeal_id in open_ids[:20]:
        close(store, appeal_id, at)
    for appeal_id in rng.sample(closed_ids, 30):
        store.add_event(appeal_id, {"to_status": "in_progress", "actor": "测试", "reopen": True, "at": at})
    for appeal_id in rng.sample(closed_ids, 5):  # reopened (perhaps again) and closed with a new outcome
        with store.connect() as conn:
            status = conn.execute(sa.select(a.c.status).where(a.c.id == appeal_id)).scalar()
        if status == "closed":
            store.add_event(appeal_id, {"to_status": "in_progress", "actor": "测试", "reopen": True, "at": at})
        close(store, appeal_id, at + timedelta(hours=1), resolved=False, satisfaction="dissatisfied")
    with store.connect() as conn:
        lon, lat = conn.execute(sa.select(a.c.lon, a.c.lat).limit(1)).one()
    for appeal_id in open_ids[20:]:  # escalated to the street: the breakdown's handling level moves
        with store.connect() as conn:
            status, level = conn.execute(sa.select(a.c.status, a.c.handling_level).where(a.c.id == appeal_id)).one()
        if level == "community" and status in ("dispatched", "in_progress"):
            store.add_event(appeal_id, {"to_status": status, "handling_level": "street", "actor": "测试", "at": at})
            escalated += 1
    assert escalated
    store.ingest_appeals([_new_appeal(i, lon, lat, SEED_END) for i in range(3)])
    store.ingest_appeals([_new_appeal(9, lon, lat, SEED_END)])
    late = SEED_END + timedelta(days=1)
    assert_rollups_agree(store, as_ofs=[late, at, SEED_END, SEED_END - timedelta(days=10, minutes=1)])
    kept = rollup_rows(store)
    assert kept == rebuilt(store)


NEXT_STEP = {"accepted": "dispatched", "dispatched": "in_progress", "in_progress": "feedback", "feedback": "visited",
             "visited": "closed"}


def close(store, appeal_id: int, at: datetime, resolved: bool = True, satisfaction: str = "satisfied") -> None:
    """Walks an open appeal through the workflow to 办结."""
    a = t.appeals
    with store.connect() as conn:
        status = conn.execute(sa.select(a.c.status).where(a.c.id == appeal_id)).scalar()
    while status != "closed":
        status = NEXT_STEP[status]
        extra = {"resolved": resolved, "satisfaction": satisfaction} if status == "visited" else {}
        store.add_event(appeal_id, {"to_status": status, "actor": "测试", "at": at, **extra})


def _new_appeal(i: int, lon: float, lat: float, at: datetime) -> dict:
    return {"source": "hotline_12345", "source_ref": f"rollup-test-{i}", "kind": "livelihood",
            "category": "noise", "priority": "normal", "title": "路灯不亮",
            "description": "测试诉求", "reporter_name": None, "reporter_phone": None, "lon": lon, "lat": lat,
            "handling_level": "community", "status": "accepted", "accepted_at": at, "dispatched_at": None,
            "in_progress_at": None, "feedback_at": None, "visited_at": None, "closed_at": None, "department": None,
            "worker_id": None, "resolved": None, "satisfaction": None}


def test_the_migration_builds_the_rollups_the_writes_keep(writable_store):
    """Migrating a store of existing appeals (down to 0009 and up again) backfills the settling columns and
    builds the same rollups that seeding kept as it wrote."""
    store = writable_store
    kept, settling, events = rollup_rows(store), settling_columns(store), store.count("appeal_events")
    store.downgrade("0012")  # back to rollups of settled appeals only, the breakdown's per combination of values
    a = t.appeals
    with store.connect() as conn:
        closed = pd.DataFrame(conn.execute(sa.select(*(a.c[c] for c in rollups.ARRIVAL_COLUMNS))
                                           .where(a.c.closed_at.is_not(None))).all(), columns=rollups.ARRIVAL_COLUMNS)
        heat = {tuple(r) for r in conn.execute(sa.select(t.heat_rollup).where(t.heat_rollup.c.n != 0))}
        mix_total = conn.execute(sa.text("SELECT sum(n) FROM mix_rollup")).scalar()
        assert not sa.inspect(conn).has_table("arrival_rollup")
    expected_heat = rollups.arrivals(closed)[t.heat_rollup]
    assert heat == set(expected_heat.itertuples(index=False, name=None))
    assert mix_total == len(closed) * 2 * 2  # each settled appeal once per level (district, street) and grain
    store.downgrade("0009")
    assert store.count("appeal_events") == events  # taking the columns away loses no workflow event
    store.migrate()
    assert settling_columns(store) == settling and store.count("appeal_events") == events
    assert rollup_rows(store) == kept
    assert_rollups_agree(store, as_ofs=[SEED_END], windows=WINDOWS[:2])


def test_a_window_is_tiled_by_whole_months_and_ragged_days():
    months, ranges = rollups.spans(date(2026, 1, 15), date(2026, 4, 3))
    assert months == [rollups.day_number(date(2026, 2, 1)), rollups.day_number(date(2026, 3, 1))]
    assert ranges == [(rollups.day_number(date(2026, 1, 15)), rollups.day_number(date(2026, 2, 1))),
                      (rollups.day_number(date(2026, 4, 1)), rollups.day_number(date(2026, 4, 3)))]
    assert rollups.spans(date(2026, 2, 1), date(2026, 3, 1)) == ([rollups.day_number(date(2026, 2, 1))], [])
    assert rollups.spans(date(2026, 2, 3), date(2026, 2, 9)) == (
        [], [(rollups.day_number(date(2026, 2, 3)), rollups.day_number(date(2026, 2, 9)))])
    assert rollups.spans(date(2026, 2, 3), date(2026, 2, 3)) == ([], [])
    for start in pd.date_range("2025-12-20", "2026-03-10", freq="7D").date:
        for length in (1, 12, 31, 45, 365):
            end = start + timedelta(days=length)
            months, ranges = rollups.spans(start, end)
            days = [d for a, b in ranges for d in range(a, b)]
            for m in months:
                first = rollups.EPOCH + timedelta(days=m)
                following = (first + timedelta(days=32)).replace(day=1)
                days += range(m, rollups.day_number(following))
            assert sorted(days) == list(range(rollups.day_number(start), rollups.day_number(end)))


def test_settling_classes_bound_the_time_to_settle():
    """The in-flight read relies on it: class k settles within SETTLE_CLASS_DAYS[k] days of 受理."""
    from geo import kpis

    accepted = pd.Series(pd.to_datetime(["2026-01-01T00:00Z"] * 5, utc=True))
    closed = accepted + pd.to_timedelta([0, 86400, 86401, 40 * 86400, 5000 * 86400], unit="s")
    none = pd.Series([pd.NaT] * 5, dtype="datetime64[ns, UTC]")
    settled, klass = kpis.settling(accepted, none, none, closed)
    assert list(klass) == [0, 0, 1, 6, len(kpis.SETTLE_CLASS_DAYS)]
    assert (settled == closed).all()
    visited_later = closed + pd.Timedelta(hours=1)
    assert (kpis.settling(accepted, none, visited_later, closed)[0] == visited_later).all()
    assert kpis.settling(accepted, none, none, none)[1].isna().all()


@pytest.mark.parametrize("bad", ["nope", "kind"])
def test_a_grouping_outside_the_list_is_refused(seeded_store, bad):
    if bad == "kind":
        assert seeded_store.kpi_counts(DISTRICT, WINDOWS[0], SEED_END, group_by="kind", viewer=SYSTEM)
        return
    with pytest.raises(ValueError):
        seeded_store.kpi_counts(DISTRICT, WINDOWS[0], SEED_END, group_by=bad, viewer=SYSTEM)


def test_the_ranking_from_the_grids_sums_equals_the_ranking(seeded_store):
    """The map's hover figures add up the choropleth's per-grid sums (one read for both): the same rows as the
    ranking, which reads each child unit's sums directly."""
    for window in WINDOWS[:3]:
        for scope in scopes_of(seeded_store):
            state = ViewState(scope=scope, window=window)
            rows = ranking(seeded_store, state, SEED_END, SYSTEM)
            assert ranking_from_grids(seeded_store, state, SEED_END, SYSTEM) == rows, (scope, window)
            assert len(rows) == (0 if scope.level == "grid" else len(seeded_store.children(scope, viewer=SYSTEM)))
            assert scope.level == "grid" or any(r["accepted"] for r in rows)
