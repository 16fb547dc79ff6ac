"""The services one server holds for all its requests: the store, the view cache, the exporter, the ingest keys.

They live in the Flask app's ``extensions``, built once by :func:`install` from
the settings, never in module globals, so several server processes built from
the same settings give the same answers. Handlers and callbacks reach them
through the getters here, and ask :func:`current_viewer` who is asking.
"""

from __future__ import annotations

from flask import Flask, current_app
from flask_caching import Cache

from dashboard.config import Config
from dashboard.exports.exporter import Exporter
from dashboard.exports.jobs import Jobs
from dashboard.ingest.keys import KnownKeys, env_keys
from geo.access import Viewer
from geo.scope import DISTRICT
from geo.store.store import Store

STORE_KEY = "zhizhi.store"
CACHE_KEY = "zhizhi.cache"
EXPORTER_KEY = "zhizhi.exporter"
INGEST_KEYS_KEY = "zhizhi.ingest_keys"
#: Largest request body (a batch of 1,000 appeals is ~2 MB); larger ones get 413 before any parsing.
MAX_BODY_BYTES = 8 * 1024 * 1024


def install(server: Flask, config: Config) -> None:
    """Builds the services from the settings onto ``server``."""
    server.extensions[STORE_KEY] = Store(config.database_url)
    server.extensions[CACHE_KEY] = Cache(
        server,
        config={"CACHE_TYPE": "FileSystemCache", "CACHE_DIR": str(config.cache_dir),
                "CACHE_DEFAULT_TIMEOUT": config.cache_seconds, "CACHE_THRESHOLD": 5000},
    )
    jobs = Jobs(config.exports_dir, per_user=config.export_jobs_per_user, total=config.export_jobs_total)
    server.extensions[EXPORTER_KEY] = Exporter(jobs, config.briefing_font, config.export_wait_seconds)
    server.extensions[INGEST_KEYS_KEY] = env_keys(config.ingest_api_keys)
    server.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES


def get_store() -> Store:
    return current_app.extensions[STORE_KEY]


def get_cache() -> Cache | None:
    """The shared view cache, or None on a server built without one (tests of raw queries)."""
    return current_app.extensions.get(CACHE_KEY)


def get_exporter() -> Exporter:
    return current_app.extensions[EXPORTER_KEY]


def ingest_keys() -> KnownKeys:
    """The keys from the ``INGEST_API_KEYS`` setting (stored keys are looked up in the store)."""
    return current_app.extensions.get(INGEST_KEYS_KEY, {})


def current_viewer() -> Viewer:
    """Who is asking, as a role bound to a unit. There is no login yet, so a district viewer."""
    return Viewer("district", DISTRICT, "anonymous")
