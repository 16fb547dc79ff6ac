"""DATABASE_READ_URL: a real streaming replica (pg_basebackup of a throwaway primary) serves the dashboard's reads.

Replay on the replica is paused to prove where reads go: a write through the
app lands on the primary and is invisible to the dashboard until the replica
replays it, then shows.
"""

from __future__ import annotations

import json
import os
import pwd
import tempfile
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import client_of
from tests.throwaway_postgres import Cluster, _free_port, pg_cluster  # noqa: F401 - the fixture

KEY = "replica-key"
VIEW = "?scope=street&id=370212001&from=2026-10-21&to=2026-12-31"


@pytest.fixture
def replica(pg_cluster):  # noqa: F811
    """A hot standby of ``pg_cluster``, streaming from it (pg_basebackup -R); always removed."""
    base = Path(tempfile.mkdtemp(prefix="zz_pg_replica_", dir="/tmp"))
    if pg_cluster.as_user:
        entry = pwd.getpwnam(pg_cluster.as_user)
        os.chown(base, entry.pw_uid, entry.pw_gid)
    standby = Cluster(pg_cluster.bindir, base, _free_port(), pg_cluster.as_user)
    try:
        standby.run("pg_basebackup", "-h", "127.0.0.1", "-p", str(pg_cluster.port), "-U", "postgres",
                    "-D", str(standby.data), "-R", "-X", "stream", "-c", "fast", "-w", timeout=120)
        standby.start()
        yield standby
    finally:
        standby.destroy()


def sql(url: str, statement: str):
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql(statement).scalar()
    finally:
        engine.dispose()


def accepted(client) -> int:
    r = client.get(f"/api/kpis{VIEW}")
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()["kpis"]["accepted"]["value"]


@pytest.mark.postgis
def test_dashboard_reads_come_from_the_replica_and_writes_reach_it(pg_cluster, replica, make_app):  # noqa: F811
    primary_url, replica_url = pg_cluster.url("zhizhi"), replica.url("zhizhi")
    assert sql(replica_url, "SELECT pg_is_in_recovery()") is True
    app = make_app(primary_url, DATABASE_READ_URL=replica_url, INGEST_API_KEYS=f"t:{KEY}")
    client = client_of(app)  # accounts are made and read on the primary
    before = accepted(client)

    sql(replica_url, "SELECT pg_wal_replay_pause()")
    appeal = {"source": "hotline_12345", "source_ref": "REPLICA-1", "kind": "livelihood", "category": "noise",
              "priority": "normal", "title": "夜间施工噪音", "description": "工地夜里施工", "reporter_name": "张三",
              "reporter_phone": "13812345678", "lon": 120.4462, "lat": 36.1349}
    r = app.server.test_client().post("/api/appeals", data=json.dumps(appeal, ensure_ascii=False),
                                      headers={"X-API-Key": KEY}, content_type="application/json")
    assert r.status_code == 201, r.get_data(as_text=True)  # written to the primary, though the replica is paused
    assert sql(primary_url, "SELECT count(*) FROM appeals WHERE source_ref = 'REPLICA-1'") == 1
    time.sleep(0.5)
    assert accepted(client) == before  # the dashboard reads the replica, which has not replayed it yet

    sql(replica_url, "SELECT pg_wal_replay_resume()")
    deadline = time.monotonic() + 10
    while accepted(client) != before + 1:
        assert time.monotonic() < deadline, "the write never reached the dashboard through the replica"
        time.sleep(0.1)
    detail = client.get(f"/api/appeals{VIEW}&limit=1").get_json()
    assert detail["total"] == before + 1


def test_a_read_url_of_another_kind_is_refused(tmp_path):
    from geo.store.store import Store

    with pytest.raises(ValueError, match="同一种数据库"):
        Store(f"sqlite:///{tmp_path / 'a.sqlite3'}", "postgresql+psycopg://postgres@127.0.0.1:5432/x")
