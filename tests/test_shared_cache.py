"""The shared view cache and live versions on Redis: shared by apps, forgotten on write, harmless when Redis is away."""

from __future__ import annotations

import json

import pytest
import redis
from flask import Flask
from flask_caching import Cache

from dashboard import services
from dashboard.auth import accounts
from dashboard.view import shared_cache
from geo.store.errors import Conflict
from tests.conftest import client_of

KEY = "cache-key"


class CountingStore:
    """The store's version read, counted (the read the shared versions save)."""

    url = read_url = "sqlite:///counting"

    def __init__(self):
        self.reads = 0
        self.version = "a"

    def live_versions(self):
        self.reads += 1
        return {"data": self.version, "positions": "p"}


def test_versions_are_read_once_per_second_for_all_processes(redis_url):
    store = CountingStore()
    client = redis.Redis.from_url(redis_url)
    first, second = (shared_cache.ViewCache(store, None, client) for _ in range(2))
    assert first.versions() == second.versions() == {"data": "a", "positions": "p"}
    assert store.reads == 1  # the second process read Redis, not the database
    store.version = "b"  # written outside this app (a CLI seed): seen once the shared copy expires
    assert second.data_version() == "a"
    assert 0 < client.ttl(first.versions_key) <= shared_cache.VERSION_SECONDS
    first.forget_versions()  # written through this app: seen at once, everywhere
    assert second.data_version() == "b" and store.reads == 2


def test_redis_away_costs_speed_not_answers():
    store = CountingStore()
    url = "redis://127.0.0.1:1/0"  # nothing listens there
    views = Cache(Flask(__name__), config=shared_cache.flask_cache_config(url, "", 60, "tests"))
    cache = shared_cache.ViewCache(store, views, shared_cache.redis_client(url))
    assert cache.versions() == {"data": "a", "positions": "p"}  # from the database
    assert cache.get("k") is None
    cache.set("k", 1)  # dropped, no error
    cache.forget_versions()


def test_the_throttle_lets_callers_through_when_its_redis_is_away():
    from dashboard.auth.throttle import Throttle, key_checks

    throttle = Throttle(shared_cache.with_timeouts("redis://127.0.0.1:1/0"))
    throttle.failed(key_checks("10.0.0.1"))  # not counted, no error
    assert throttle.wait(key_checks("10.0.0.1")) == 0


def test_export_jobs_answer_503_when_their_redis_is_away(tmp_path):
    from dashboard.errors import HttpError
    from dashboard.exports.jobs import Jobs, RedisBoard

    jobs = Jobs(RedisBoard(shared_cache.redis_client("redis://127.0.0.1:1/0"), "tests", tmp_path))
    for call in (lambda: jobs.status("0" * 32), lambda: jobs.output("0" * 32)):
        with pytest.raises(HttpError) as away:
            call()
        assert away.value.status == 503


def test_timeouts_are_added_unless_given():
    assert shared_cache.with_timeouts("redis://h:6379/0").endswith("socket_timeout=0.5&socket_connect_timeout=0.5")
    assert shared_cache.with_timeouts("redis://h/0?socket_timeout=3") == "redis://h/0?socket_timeout=3"
    assert shared_cache.with_timeouts("memory://") == "memory://"


def test_apps_on_one_redis_share_views_and_see_writes_at_once(make_app, writable_store, redis_url):
    first = make_app(writable_store.url, REDIS_URL=redis_url, INGEST_API_KEYS=f"t:{KEY}")
    second = make_app(writable_store.url, REDIS_URL=redis_url)
    keys = redis.Redis.from_url(redis_url)
    search = "?scope=street&id=370212001&from=2026-11-01&to=2026-11-20"
    heat = client_of(first).get(f"/api/map/heat.png{search}")
    assert heat.status_code == 200
    cached = {k for k in keys.keys("zhizhi:view:*")}
    assert cached  # the first app's entries are in Redis ...
    assert client_of(second).get(f"/api/map/heat.png{search}").data == heat.data
    assert {k for k in keys.keys("zhizhi:view:*")} == cached  # ... and the second app found them there
    versions = second.server.extensions[services.CACHE_KEY].versions_key
    assert keys.get(versions) is not None
    body = {"source": "hotline_12345", "source_ref": "SC-1", "kind": "livelihood", "category": "noise",
            "priority": "normal", "title": "夜间施工噪音", "description": "工地夜里施工", "reporter_name": "张三",
            "reporter_phone": "13812345678", "lon": 120.4462, "lat": 36.1349}
    r = first.server.test_client().post("/api/appeals", data=json.dumps(body, ensure_ascii=False),
                                        headers={"X-API-Key": KEY}, content_type="application/json")
    assert r.status_code == 201
    assert keys.get(versions) is None  # forgotten: the second app's next read asks the database


def test_servers_starting_at_once_make_the_first_accounts_once(writable_store, monkeypatch):
    """Both processes saw no accounts; the one that finds the names taken makes none, and does not fail."""
    monkeypatch.setattr(type(writable_store), "count_users", lambda self: 0)  # both looked before either wrote
    first = accounts.bootstrap(writable_store)
    assert [m.username for m in first] in (["admin", "district"], [])  # [] if earlier tests made them
    assert accounts.bootstrap(writable_store) == []
    assert writable_store.user("admin") is not None and writable_store.user("district") is not None
    with pytest.raises(Conflict):
        accounts.add_account(writable_store, "admin", "admin")
