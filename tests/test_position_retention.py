"""Worker-position history: daily partitions on PostGIS, kept POSITION_RETENTION_DAYS, latest positions always kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dashboard.tools import housekeeping
from geo.access import SYSTEM
from geo.scope import DISTRICT

NOW = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)


def history_days(store) -> list:
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT at FROM worker_positions").scalars().all()
    return sorted({(r if isinstance(r, datetime) else datetime.fromtimestamp(r, UTC)).astimezone(UTC).date()
                   for r in rows})


def partitions(store, table: str = "worker_positions") -> list[str]:
    """Names of ``table``'s partitions on PostGIS, sorted."""
    with store.engine.connect() as conn:
        return sorted(conn.exec_driver_sql(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            f"JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = '{table}'").scalars())


def test_old_history_goes_recent_and_latest_stay(writable_store):
    store = writable_store
    worker = store.workers(DISTRICT, SYSTEM)["items"][0]["id"]
    before_latest = {w["id"]: w for w in store.workers(DISTRICT, SYSTEM)["items"]}
    pings = [{"worker_id": worker, "at": NOW - timedelta(days=d), "lon": 120.45, "lat": 36.13, "status": "patrolling"}
             for d in (45, 31, 29, 1)]
    assert store.record_positions(pings) == [None] * 4  # days without a partition get one as they are written
    days = history_days(store)
    assert (NOW - timedelta(days=45)).date() in days and (NOW - timedelta(days=1)).date() in days

    assert store.prune_positions(NOW, 30) > 0
    days = history_days(store)
    cutoff = (NOW - timedelta(days=30)).date()
    assert days and min(days) >= cutoff  # nothing older than 30 whole days is left ...
    assert (NOW - timedelta(days=29)).date() in days  # ... and nothing younger went
    assert store.prune_positions(NOW, 30) == 0  # idempotent
    after = {w["id"]: w for w in store.workers(DISTRICT, SYSTEM)["items"]}
    assert after.keys() == before_latest.keys() and worker in after  # latest positions are another table
    assert store.prune_positions(NOW, 0) == 0  # 0 keeps all


@pytest.mark.postgis
@pytest.mark.parametrize("backend", ["postgis"])
def test_postgis_keeps_history_in_daily_partitions_and_drops_whole_days(writable_store, backend):
    store = writable_store
    with store.engine.connect() as conn:
        kind = conn.exec_driver_sql("SELECT partstrat FROM pg_partitioned_table p JOIN pg_class c "
                                    "ON c.oid = p.partrelid WHERE c.relname = 'worker_positions'").scalar()
        total = conn.exec_driver_sql("SELECT count(*) FROM worker_positions").scalar()
    assert kind == "r" and total > 0  # range-partitioned, the seeded history in it
    store.prune_positions(NOW, 30)
    names = partitions(store)
    for d in range(3):  # room for today and the next two days
        assert f"worker_positions_p{(NOW + timedelta(days=d)).date():%Y%m%d}" in names
    assert all(n >= f"worker_positions_p{(NOW - timedelta(days=30)).date():%Y%m%d}" for n in names)


@pytest.mark.postgis
@pytest.mark.parametrize("backend", ["postgis"])
def test_the_partitioning_migration_keeps_every_row_both_ways(writable_store, backend):
    store = writable_store

    def snapshot():
        with store.engine.connect() as conn:
            return conn.exec_driver_sql(
                "SELECT count(*), sum(id), max(id), min(at), max(at), sum(lon) FROM worker_positions").one()

    before = snapshot()
    store.downgrade("0008")
    assert partitions(store) == [] and snapshot() == before
    store.migrate()
    assert partitions(store) and snapshot() == before
    worker = store.workers(DISTRICT, SYSTEM)["items"][0]["id"]
    assert store.record_positions([{"worker_id": worker, "at": NOW, "lon": 120.45, "lat": 36.13,
                                    "status": "patrolling"}]) == [None]
    with store.engine.connect() as conn:  # new rows take ids after the moved ones (the sequence came along)
        assert conn.exec_driver_sql("SELECT max(id) FROM worker_positions").scalar() > before[2]
        assert conn.exec_driver_sql("SELECT count(*) FROM worker_positions").scalar() == before[0] + 1


def test_housekeeping_turn_prunes(writable_store, monkeypatch):
    monkeypatch.setattr(housekeeping.clock, "now", lambda: NOW + timedelta(days=400))
    housekeeping.turn(writable_store, 30)
    assert history_days(writable_store) == []  # the seeded history is far older than 30 days by then
