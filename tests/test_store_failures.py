"""Bad input and bad databases get one clear error and lose nothing."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from geo import demo, reference, seeding
from geo.access import SYSTEM
from geo.scope import DISTRICT, Window
from geo.store import schema
from geo.store.errors import NotEmpty, PostgisMissing, StoreUnavailable
from geo.store.store import Store
from tests.conftest import SEED_END

WINDOW_BOUNDS = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 10, tzinfo=UTC))
UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/nothing"


def test_unreachable_database_is_a_clear_error():
    store = Store(UNREACHABLE)
    with pytest.raises(StoreUnavailable, match="数据库无法访问"):
        store.kpis(DISTRICT, Window.parse(None, None, SEED_END.date()), viewer=SYSTEM)
    health = store.health()
    assert health["database"] == "unreachable" and health["backend"] == "postgis"


@pytest.mark.postgis
def test_postgres_without_postgis_says_how_to_enable_it(postgres):
    name = postgres.create(postgis=False)
    try:
        store = Store(postgres.url(name))
        with pytest.raises(PostgisMissing, match="CREATE EXTENSION postgis"):
            store.migrate()
        store.dispose()
    finally:
        postgres.drop(name)


def test_seeding_a_non_empty_store_needs_reset(writable_store):
    before = writable_store.count("appeals")
    with pytest.raises(NotEmpty, match="--reset"):
        seeding.seed(writable_store, appeals=10, days=2, end=SEED_END, progress=lambda _m: None)
    assert writable_store.count("appeals") == before


def test_reset_reseeds(writable_store):
    seeding.seed(
        writable_store, appeals=300, days=3, end=SEED_END, seed=1, reset=True, progress=lambda _m: None
    )
    assert writable_store.count("appeals") == 300
    assert writable_store.count("grids") == 863


def test_upgrade_keeps_existing_data(empty_store):
    """A database at the first revision, holding data, upgrades to head without losing a row.

    The rows are written at head and the schema taken down to 0001 (today's code cannot write 0001's
    tables), so what is upgraded is exactly what 0001 holds, column names included.
    """
    store = empty_store
    store.load_geography(reference.load())
    appeals, events = next(demo.generate_appeals(reference.read_layer("grid"), None, 200, *WINDOW_BOUNDS, seed=5))
    store.insert_appeals(appeals, events)
    window = Window(WINDOW_BOUNDS[0].date(), WINDOW_BOUNDS[1].date())
    before = store.kpis(DISTRICT, window, as_of=SEED_END, viewer=SYSTEM)
    store.downgrade("0001")
    assert store.schema_revision() == "0001"
    with store.connect() as conn:
        assert "level" in {c["name"] for c in sa.inspect(conn).get_columns("appeals")}
        assert "proactive_items" not in sa.inspect(conn).get_table_names()
    assert store.count("appeals") == 200
    store.migrate()
    assert store.schema_revision() == Store.head_revision()
    assert store.count("appeals") == 200 and store.count("appeal_events") == len(events)
    assert store.kpis(DISTRICT, window, as_of=SEED_END, viewer=SYSTEM) == before
    with store.connect() as conn:
        assert "ix_appeals_kpi_street" in {i["name"] for i in sa.inspect(conn).get_indexes("appeals")}
        assert "proactive_items" in sa.inspect(conn).get_table_names()


def test_sqlite_readers_are_not_blocked_by_a_writer(seeded_sqlite_path, tmp_path):
    """WAL: while one connection holds an open write transaction, another still reads."""
    shutil.copy(seeded_sqlite_path, tmp_path / "wal.sqlite3")
    writable_store = Store(f"sqlite:///{tmp_path / 'wal.sqlite3'}")
    before = writable_store.count("appeals")
    with writable_store.connect(write=True) as writer:
        writer.execute(sa.delete(schema.appeal_events))
        writer.execute(sa.delete(schema.appeals))
        assert writable_store.count("appeals") == before  # another connection, not blocked, old snapshot
    assert writable_store.count("appeals") == 0


def test_instants_must_be_timezone_aware(empty_store):
    with (
        pytest.raises(sa.exc.StatementError, match="timezone-aware"),
        empty_store.connect(write=True) as conn,
    ):
        conn.execute(
            schema.proactive_items.insert().values(
                title="t",
                category="heating",
                level="grid",
                scope_code="370212001001001",
                basis="b",
                status="open",
                created_at=datetime(2026, 1, 1),
            )
        )
    with empty_store.connect(write=True) as conn:
        conn.execute(
            schema.proactive_items.insert().values(
                title="t",
                category="heating",
                level="grid",
                scope_code="370212001001001",
                basis="b",
                status="open",
                created_at=datetime(2026, 1, 1, tzinfo=UTC),
            )
        )
        got = conn.execute(sa.select(schema.proactive_items.c.created_at)).scalar()
    assert got == datetime(2026, 1, 1, tzinfo=UTC)


def test_sqlite_runs_in_wal_mode(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'wal.sqlite3'}")
    store.migrate()
    with store.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
