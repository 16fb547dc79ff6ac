"""Appeals and their events by month: partitions on PostGIS (migration 0011), ingest keys in ``appeal_keys``.

Both backends: the migration keeps every row both ways; an appeal of a month the store has never seen is
stored (PostGIS makes the month's partitions on the way), once, with its events in the same month.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest
import sqlalchemy as sa

from dashboard.tools import housekeeping
from geo.access import SYSTEM
from geo.store import schema as t
from tests.test_position_retention import partitions
from tests.test_rollups import _new_appeal

LONG_AGO = datetime(2003, 2, 27, 17, 0, tzinfo=UTC)  # 2003-02-28 01:00 in Qingdao: a February partition


def snapshot(store) -> tuple:
    """Counts and checksums of appeals, events and keys that any lost, doubled or altered row would change."""
    with store.engine.connect() as conn:
        return conn.exec_driver_sql(
            "SELECT (SELECT count(*) FROM appeals), (SELECT sum(id) FROM appeals), "
            "(SELECT sum(close_seconds) FROM appeals), (SELECT count(DISTINCT grid_code) FROM appeals), "
            "(SELECT count(*) FROM appeal_events), (SELECT sum(id) + sum(seq) FROM appeal_events), "
            "(SELECT count(*) FROM appeal_events e JOIN appeals a ON a.id = e.appeal_id)").one()


def keys_agree(store) -> bool:
    """Every appeal has exactly its key in appeal_keys, and every event its appeal's accepted_at."""
    with store.engine.connect() as conn:
        return conn.exec_driver_sql(
            "SELECT (SELECT count(*) FROM appeals) = (SELECT count(*) FROM appeal_keys k JOIN appeals a "
            "        ON a.id = k.appeal_id AND a.source = k.source AND a.source_ref = k.source_ref) "
            "AND NOT EXISTS (SELECT 1 FROM appeal_events e JOIN appeals a ON a.id = e.appeal_id "
            "                WHERE e.accepted_at <> a.accepted_at)").scalar()


def test_the_migration_keeps_every_row_both_ways(writable_store, backend):
    store = writable_store
    before = snapshot(store)
    assert before[0] > 1000 and before[4] > before[0]  # a seeded history, with events
    assert keys_agree(store)
    if backend == "postgis":
        months = partitions(store, "appeals")
        assert len(months) >= 3 and [m.replace("appeals", "appeal_events") for m in months] == partitions(
            store, "appeal_events")
    store.downgrade("0010")
    assert snapshot(store) == before
    if backend == "postgis":
        assert partitions(store, "appeals") == [] and partitions(store, "appeal_events") == []
    store.migrate()
    assert snapshot(store) == before and keys_agree(store)
    if backend == "postgis":
        assert partitions(store, "appeals") == months
    # New appeals take ids after the moved ones, and a retry is still recognised.
    record = _new_appeal(1, 120.47, 36.10, datetime(2026, 11, 20, 3, 0, tzinfo=UTC))
    [(appeal_id, created)] = store.ingest_appeals([record])
    assert created and appeal_id > before[1] // before[0]
    assert store.ingest_appeals([record]) == [(appeal_id, False)]


def test_an_appeal_of_a_month_never_seen_is_stored_once_with_its_events(writable_store, backend):
    store = writable_store
    first = _new_appeal(2, 120.47, 36.10, LONG_AGO)
    second = _new_appeal(3, 120.47, 36.10, LONG_AGO.replace(day=3))
    [(appeal_id, created)] = store.ingest_appeals([first])
    assert created
    assert [r[1] for r in store.ingest_appeals([first, second, first])] == [False, True, False]
    store.add_event(appeal_id, {"to_status": "dispatched", "actor": "测试", "at": LONG_AGO.replace(hour=18)})
    assert keys_agree(store)
    detail = store.appeal_events(appeal_id, viewer=SYSTEM)
    assert [e["to_status"] for e in detail] == ["dispatched"]
    if backend == "postgis":
        assert "appeals_p200302" in partitions(store, "appeals")
        with store.engine.connect() as conn:
            homes = conn.exec_driver_sql(
                f"SELECT (SELECT tableoid::regclass::text FROM appeals WHERE id = {appeal_id}), "
                f"(SELECT tableoid::regclass::text FROM appeal_events WHERE appeal_id = {appeal_id})").one()
        assert homes == ("appeals_p200302", "appeal_events_p200302")


@pytest.mark.parametrize("backend", [pytest.param("postgis", marks=pytest.mark.postgis)])
def test_a_bulk_load_makes_its_months_and_ids_never_collide_with_live_ingest(writable_store, backend):
    """Bulk loads and live ingest draw ids from the same sequence: ids stay unique without the old key on id."""
    store = writable_store
    [(live_id, _)] = store.ingest_appeals([_new_appeal(4, 120.47, 36.10, LONG_AGO)])
    frame = pd.DataFrame([_new_appeal(5, 120.47, 36.10, datetime(1999, 12, 31, 12, 0, tzinfo=UTC)),
                          _new_appeal(4, 120.47, 36.10, LONG_AGO)]).assign(idx=[0, 1])
    ids = store.insert_appeals(frame)
    assert int(ids[0]) > live_id and int(ids[1]) == live_id  # the repeated key keeps the id it has
    assert "appeals_p199912" in partitions(store, "appeals")
    [(after_id, _)] = store.ingest_appeals([_new_appeal(6, 120.47, 36.10, LONG_AGO)])
    assert after_id > int(ids[0])
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) = count(DISTINCT id) FROM appeals").scalar()
    assert keys_agree(store)


@pytest.mark.parametrize("backend", [pytest.param("postgis", marks=pytest.mark.postgis)])
def test_housekeeping_makes_room_for_this_and_next_months_appeals(writable_store, backend, monkeypatch):
    monkeypatch.setattr(housekeeping.clock, "now", lambda: datetime(2031, 1, 31, 17, 0, tzinfo=UTC))  # Feb 1 local
    housekeeping.turn(writable_store, 0)
    months = partitions(writable_store, "appeal_events")
    assert {"appeal_events_p203102", "appeal_events_p203103"} <= set(months) and "appeal_events_p203101" not in months


def test_the_database_refuses_an_event_of_no_appeal(writable_store):
    """Events' foreign key (PostGIS: to appeal_keys, whose every id is a stored appeal's; SQLite: to appeals)."""
    with pytest.raises(sa.exc.IntegrityError), writable_store.connect(write=True) as conn:
        conn.execute(t.appeal_events.insert().values(appeal_id=10**12, accepted_at=LONG_AGO, seq=0,
                                                     to_status="dispatched", at=LONG_AGO, handling_level="community",
                                                     actor="测试"))
