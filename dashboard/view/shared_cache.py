"""The view cache every server process shares, and the store versions its keys and the live poll read.

With ``REDIS_URL`` set, entries live in Redis (Flask-Caching's RedisCache), so
servers on several machines share them; without it, in files under
``DATA_DIR/cache`` (one machine). The store's versions (one token that
changes on every appeal write, one on every position write) are read from
the database at most once per :data:`VERSION_SECONDS` for all processes
through Redis, and once per request without it; an appeal written through
this app forgets them at once, so the next poll sees it. Redis going away
costs speed, never answers: every read falls back to computing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging

import redis
from flask import g, has_request_context
from flask_caching import Cache

from geo.store.store import Store

LOG = logging.getLogger(__name__)
#: How stale the shared versions may be when written outside this app (a CLI seed, another deployment).
VERSION_SECONDS = 1


class ViewCache:
    """Get/set of computed views, plus the store's live versions, shared across processes."""

    def __init__(self, store: Store, cache: Cache, client: redis.Redis | None = None):
        self.store = store
        self.cache = cache
        self.client = client
        self.versions_key = "zhizhi:versions:" + namespace_of(store)

    def get(self, key: str):
        try:
            return self.cache.get(key)
        except redis.RedisError as exc:
            LOG.warning("视图缓存不可用，直接计算：%s", exc)
            return None

    def set(self, key: str, value) -> None:
        try:
            self.cache.set(key, value)
        except redis.RedisError as exc:
            LOG.warning("视图缓存不可用，结果未缓存：%s", exc)

    def versions(self) -> dict[str, str]:
        """The store's ``{"data", "positions"}`` versions (see :meth:`Store.live_versions`)."""
        memo = g.get("zhizhi_versions") if has_request_context() else None
        if memo is None:
            memo = self._shared_versions()
            if has_request_context():
                g.zhizhi_versions = memo
        return memo

    def data_version(self) -> str:
        return self.versions()["data"]

    def forget_versions(self) -> None:
        """Called after this app wrote appeals: the next read, in any process, asks the database."""
        if has_request_context():
            g.pop("zhizhi_versions", None)
        if self.client is not None:
            try:
                self.client.delete(self.versions_key)
            except redis.RedisError as exc:
                LOG.warning("无法清除共享的数据版本（%s 秒后自然过期）：%s", VERSION_SECONDS, exc)

    def _shared_versions(self) -> dict[str, str]:
        if self.client is None:
            return self.store.live_versions()
        try:
            raw = self.client.get(self.versions_key)
            if raw is not None:
                return json.loads(raw)
        except redis.RedisError as exc:
            LOG.warning("共享的数据版本不可用，改读数据库：%s", exc)
            return self.store.live_versions()
        versions = self.store.live_versions()
        with contextlib.suppress(redis.RedisError):  # read from the database again next time
            self.client.set(self.versions_key, json.dumps(versions), ex=VERSION_SECONDS)
        return versions


def namespace_of(store: Store) -> str:
    """Keys of one store as read from one place (the primary, or a given replica): what may be shared."""
    return hashlib.sha256(f"{store.url}|{store.read_url}".encode()).hexdigest()[:16]


#: Seconds to wait for Redis before falling back (a stalled Redis must not stall every view).
REDIS_TIMEOUT_SECONDS = 0.5


def redis_client(url: str) -> redis.Redis | None:
    """A client for ``REDIS_URL`` (None when empty); connecting waits for the first command."""
    return redis.Redis.from_url(with_timeouts(url)) if url else None


def with_timeouts(url: str) -> str:
    """A Redis ``url`` with short socket timeouts unless it names its own (Flask-Caching and ``limits`` build their
    clients from the URL); any other URL (``memory://``) as it is."""
    if not url.startswith(("redis://", "rediss://", "unix://")) or "socket_timeout=" in url:
        return url
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}socket_timeout={REDIS_TIMEOUT_SECONDS}&socket_connect_timeout={REDIS_TIMEOUT_SECONDS}"


def flask_cache_config(redis_url: str, cache_dir: str, seconds: int, namespace: str) -> dict:
    """Flask-Caching's settings: Redis when configured (keys under ``namespace``), else files."""
    if redis_url:
        return {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": with_timeouts(redis_url), "CACHE_DEFAULT_TIMEOUT": seconds,
                "CACHE_KEY_PREFIX": f"zhizhi:view:{namespace}:"}
    return {"CACHE_TYPE": "FileSystemCache", "CACHE_DIR": cache_dir, "CACHE_DEFAULT_TIMEOUT": seconds,
            "CACHE_THRESHOLD": 5000}
